"""The moderators' pages, under /moderation/. Each feature module keeps its own urlpatterns;
they are joined here."""

from moderation.views import (
    adjustments,
    campaigns,
    console,
    disputes,
    payouts,
    ratings,
    sanctions,
    users,
)

app_name = "moderation"

urlpatterns = [
    *console.urlpatterns,
    *campaigns.urlpatterns,
    *disputes.urlpatterns,
    *payouts.urlpatterns,
    *adjustments.urlpatterns,
    *users.urlpatterns,
    *sanctions.urlpatterns,
    *ratings.urlpatterns,
]
