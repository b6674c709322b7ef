"""Payment pages. Each feature module keeps its own urlpatterns; they are joined here."""

from payments.views import adjustments, deposits, moderation, payouts, wallet

app_name = "payments"

urlpatterns = [
    *wallet.urlpatterns,
    *payouts.urlpatterns,
    *moderation.urlpatterns,
    *deposits.urlpatterns,
    *adjustments.urlpatterns,
]
