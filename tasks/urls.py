"""The work loop's pages. Each feature module keeps its own urlpatterns; they are joined here."""

from tasks.views import bonuses, disputes, employer, ratings, review_files, screenshots, statistics

app_name = "tasks"

urlpatterns = [
    *employer.urlpatterns,
    *screenshots.urlpatterns,
    *disputes.urlpatterns,
    *bonuses.urlpatterns,
    *review_files.urlpatterns,
    *statistics.urlpatterns,
    *ratings.urlpatterns,
]
