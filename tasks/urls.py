"""The work loop's pages. Each feature module keeps its own urlpatterns; they are joined here."""

from tasks.views import disputes, employer, screenshots, worker

app_name = "tasks"

urlpatterns = [
    *worker.urlpatterns,
    *employer.urlpatterns,
    *screenshots.urlpatterns,
    *disputes.urlpatterns,
]
