"""Payment pages. Each feature module keeps its own urlpatterns; they are joined here."""

from payments.views import wallet

app_name = "payments"

urlpatterns = [
    *wallet.urlpatterns,
]
