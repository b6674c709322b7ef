"""Payout methods and payouts. Moderators decide manual payouts under /api/v1/moderation/
(moderation/api/payouts.py)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer
from core.fields import MoneyField
from payments.models import Payout, PayoutMethod, PayoutMethodKind
from payments.services.payouts import (
    payout_method_add,
    payout_method_remove,
    payout_request,
)


class PayoutMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayoutMethod
        fields = ["id", "kind", "destination", "label"]
        read_only_fields = fields


class PayoutMethodAddSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PayoutMethodKind.choices)
    destination = serializers.CharField(
        max_length=255,
        help_text="The Stripe Connect account id (acct_…), the PayPal or Skrill email "
        "address, or the bKash mobile number (01XXXXXXXXX or +8801XXXXXXXXX).",
    )
    label = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class PayoutSerializer(serializers.ModelSerializer):
    method = serializers.IntegerField(source="method_id", help_text="The payout method's id.")

    class Meta:
        model = Payout
        fields = [
            "id",
            "amount_cents",
            "method",
            "status",
            "reference",
            "failure_reason",
            "created_at",
        ]
        read_only_fields = fields


class PayoutRequestSerializer(serializers.Serializer):
    amount_cents = MoneyField(
        help_text="How much to withdraw, in cents; at least PAYOUT_MINIMUM_CENTS."
    )
    method = serializers.IntegerField(help_text="The id of one of your saved payout methods.")


class PayoutMethodListView(ListAPIView):
    """Your saved payout methods; ``POST`` saves another."""

    serializer_class = PayoutMethodSerializer

    def get_queryset(self):
        return PayoutMethod.objects.filter(user=self.request.user, removed_at__isnull=True)

    @extend_schema(responses={200: PayoutMethodSerializer(many=True), 401: ErrorSerializer})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=PayoutMethodAddSerializer,
        responses={201: PayoutMethodSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
        description="The destination is checked and normalised by kind (a bKash number "
        "given as +880… is stored as 01…).",
    )
    def post(self, request: Request) -> Response:
        data = PayoutMethodAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            method = payout_method_add(user=request.user, **data.validated_data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return Response(PayoutMethodSerializer(method).data, status=status.HTTP_201_CREATED)


class PayoutMethodDetailView(APIView):
    """One of your payout methods; anybody else's is a 404."""

    @extend_schema(responses={204: None, 401: ErrorSerializer, 404: ErrorSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        method = get_object_or_404(PayoutMethod, pk=pk, user=request.user, removed_at__isnull=True)
        payout_method_remove(user=request.user, method=method)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PayoutListView(ListAPIView):
    """Your own payouts, newest first; ``POST`` asks for a withdrawal."""

    serializer_class = PayoutSerializer

    def get_queryset(self):
        return Payout.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(responses={200: PayoutSerializer(many=True), 401: ErrorSerializer})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=PayoutRequestSerializer,
        responses={
            201: PayoutSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
        description="Reserves the amount from your wallet at once. Errors: "
        "`amount_too_small`, `invalid_method` (400); `account_suspended`, `payouts_disabled` "
        "(403: a demo, whose money is pretend); `insufficient_funds` (409).",
    )
    def post(self, request: Request) -> Response:
        data = PayoutRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        method = PayoutMethod.objects.filter(pk=data.validated_data["method"]).first()
        payout = payout_request(
            user=request.user,
            method=method,
            amount_cents=data.validated_data["amount_cents"],
        )
        return Response(PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("payout-methods/", PayoutMethodListView.as_view(), name="payout-methods"),
    path("payout-methods/<int:pk>/", PayoutMethodDetailView.as_view(), name="payout-method-detail"),
    path("payouts/", PayoutListView.as_view(), name="payouts"),
]
