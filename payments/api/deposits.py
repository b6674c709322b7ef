from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ErrorSerializer
from core.fields import MoneyField
from payments.models import Deposit
from payments.services.deposits import (
    deposit_start,
)


class DepositStartSerializer(serializers.Serializer):
    amount_cents = MoneyField(
        help_text="How much to add to your wallet, in cents; at least DEPOSIT_MINIMUM_CENTS."
    )


class DepositSerializer(serializers.ModelSerializer):
    checkout_url = serializers.CharField(
        help_text="Send the user here to pay; the wallet is credited once the provider "
        "confirms the payment."
    )

    class Meta:
        model = Deposit
        fields = [
            "id",
            "status",
            "amount_cents",
            "currency",
            "checkout_url",
            "created_at",
            "paid_at",
        ]
        read_only_fields = fields


class DepositListView(ListAPIView):
    """Your own deposits, newest first; ``POST`` starts a new one."""

    serializer_class = DepositSerializer

    def get_queryset(self):
        return Deposit.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(responses={200: DepositSerializer(many=True), 401: ErrorSerializer})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=DepositStartSerializer,
        responses={
            201: DepositSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            503: ErrorSerializer,
        },
        description="Starts a deposit and returns the checkout URL to pay it at. Errors: "
        "`amount_too_small`, `amount_too_large` (400); `payment_provider_unavailable` (503).",
    )
    def post(self, request: Request) -> Response:
        data = DepositStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deposit = deposit_start(
            user=request.user,
            amount_cents=data.validated_data["amount_cents"],
            base_url=request.build_absolute_uri("/"),
        )
        return Response(DepositSerializer(deposit).data, status=status.HTTP_201_CREATED)


class DepositDetailView(RetrieveAPIView):
    """One of your deposits; anybody else's is a 404."""

    serializer_class = DepositSerializer

    def get_queryset(self):
        return Deposit.objects.filter(user=self.request.user)

    @extend_schema(responses={200: DepositSerializer, 401: ErrorSerializer, 404: ErrorSerializer})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("deposits/", DepositListView.as_view(), name="deposits"),
    path("deposits/<int:pk>/", DepositDetailView.as_view(), name="deposit"),
]
