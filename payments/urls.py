"""Payment pages. Each feature module keeps its own urlpatterns; they are joined here."""

from payments.views import deposits, payouts, wallet

app_name = "payments"

urlpatterns = [
    *wallet.urlpatterns,
    *payouts.urlpatterns,
    *deposits.urlpatterns,
]
