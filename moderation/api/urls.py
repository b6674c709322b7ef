"""The moderators' endpoints, under /api/v1/moderation/. Each feature module keeps its own
urlpatterns; they are joined here."""

from django.urls import include, path

from moderation.api import audit, campaigns, disputes, payouts, ratings, sanctions, users

urlpatterns = [
    path(
        "moderation/",
        include(
            [
                *campaigns.urlpatterns,
                *disputes.urlpatterns,
                *payouts.urlpatterns,
                *users.urlpatterns,
                *audit.urlpatterns,
                *sanctions.urlpatterns,
                *ratings.urlpatterns,
            ]
        ),
    ),
]
