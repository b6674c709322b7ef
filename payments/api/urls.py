"""Payment endpoints under /api/v1/, joined from each feature's module."""

from payments.api import deposits, ledger, payouts

urlpatterns = [
    *ledger.urlpatterns,
    *payouts.urlpatterns,
    *deposits.urlpatterns,
]
