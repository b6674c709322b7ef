"""The work loop's pages. Each feature module keeps its own urlpatterns; they are joined here."""

from tasks.views import bonuses, disputes, employer, ratings, review_files, screenshots

app_name = "tasks"

urlpatterns = [
    *employer.urlpatterns,
    *screenshots.urlpatterns,
    *disputes.urlpatterns,
    *bonuses.urlpatterns,
    *review_files.urlpatterns,
    *ratings.urlpatterns,
]
