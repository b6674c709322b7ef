from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination

from core.api import ErrorSerializer
from payments.selectors import history_lines, transfers_of


class LedgerLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="transfer.id")
    created_at = serializers.DateTimeField()
    kind = serializers.CharField(source="movement.kind")
    reference = serializers.CharField(source="movement.reference")
    account = serializers.CharField(
        source="account_kind", help_text="wallet, escrow or payout: which of your balances"
    )
    amount_cents = serializers.IntegerField(help_text="Positive came in, negative went out.")
    description = serializers.CharField()


class LedgerView(ListAPIView):
    """Your own money movements, newest first."""

    serializer_class = LedgerLineSerializer
    pagination_class = PageNumberPagination

    def get_queryset(self):
        return transfers_of(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return history_lines(self.request.user, page)

    @extend_schema(responses={200: LedgerLineSerializer(many=True), 401: ErrorSerializer})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("ledger/", LedgerView.as_view(), name="ledger"),
]
