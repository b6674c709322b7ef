"""Payment endpoints under /api/v1/, joined from each feature's module."""

from payments.api import ledger

urlpatterns = [
    *ledger.urlpatterns,
]
