"""Payout methods, payouts, and the moderators' decisions on manual payouts."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ApiError, ErrorSerializer
from core.fields import MoneyField
from payments.models import Payout, PayoutMethod, PayoutMethodKind
from payments.services.payouts import (
    PayoutError,
    PayoutMethodInvalid,
    payout_mark_paid,
    payout_method_add,
    payout_method_remove,
    payout_reject,
    payout_request,
)

# Errors that are about the state of things rather than the request's content.
CONFLICT_CODES = {"insufficient_funds", "reference_used", "payout_not_pending"}


def _api_error(error: PayoutError) -> ApiError:
    code = status.HTTP_409_CONFLICT if error.code in CONFLICT_CODES else status.HTTP_400_BAD_REQUEST
    if error.code in ("account_suspended", "payouts_disabled"):
        code = status.HTTP_403_FORBIDDEN
    return ApiError(code, error.code, error.message)


class IsModerator(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_moderator)


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


class MarkPaidSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=255, help_text="The provider's transaction id; unique per method."
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Shown to the worker.")


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
        try:
            if method is None:
                raise PayoutMethodInvalid()
            payout = payout_request(
                user=request.user,
                method=method,
                amount_cents=data.validated_data["amount_cents"],
            )
        except PayoutError as error:
            raise _api_error(error) from error
        return Response(PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)


class _ModerationView(APIView):
    """A moderator's decision on one payout: validate the body, call one service."""

    permission_classes = [IsModerator]
    body: type[serializers.Serializer]
    decide = None  # the service, as a staticmethod

    def post(self, request: Request, pk: int) -> Response:
        data = self.body(data=request.data)
        data.is_valid(raise_exception=True)
        payout = get_object_or_404(Payout, pk=pk)
        try:
            payout = self.decide(payout=payout, by=request.user, **data.validated_data)
        except PayoutError as error:
            raise _api_error(error) from error
        return Response(PayoutSerializer(payout).data)


def _decision_schema(body: type[serializers.Serializer], errors: str):
    codes = (200, 400, 401, 403, 404, 409)
    return extend_schema_view(
        post=extend_schema(
            request=body,
            responses={
                code: PayoutSerializer if code == 200 else ErrorSerializer for code in codes
            },
            description=f"Errors: {errors}.",
        )
    )


@_decision_schema(
    MarkPaidSerializer,
    "`not_manual` (400); `payouts_disabled` (403, a demo); `own_case` (403, the moderator's "
    "own payout); `reference_used`, `payout_not_pending` (409)",
)
class PayoutMarkPaidView(_ModerationView):
    """A moderator records a manual payout as paid, with the provider's reference."""

    body = MarkPaidSerializer
    decide = staticmethod(payout_mark_paid)


@_decision_schema(
    RejectSerializer, "`own_case` (403, the moderator's own payout); `payout_not_pending` (409)"
)
class PayoutRejectView(_ModerationView):
    """A moderator rejects a requested payout; the money goes back to the worker's wallet."""

    body = RejectSerializer
    decide = staticmethod(payout_reject)


urlpatterns = [
    path("payout-methods/", PayoutMethodListView.as_view(), name="payout-methods"),
    path("payout-methods/<int:pk>/", PayoutMethodDetailView.as_view(), name="payout-method-detail"),
    path("payouts/", PayoutListView.as_view(), name="payouts"),
    path(
        "moderation/payouts/<int:pk>/mark-paid/",
        PayoutMarkPaidView.as_view(),
        name="moderation-payout-mark-paid",
    ),
    path(
        "moderation/payouts/<int:pk>/reject/",
        PayoutRejectView.as_view(),
        name="moderation-payout-reject",
    ),
]
