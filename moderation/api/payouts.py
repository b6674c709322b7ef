"""Moderators' decisions on manual payouts: record one as paid, or reject it."""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsModerator
from core.api import ErrorSerializer
from payments.api.payouts import PayoutSerializer
from payments.models import Payout
from payments.services.payouts import payout_mark_paid, payout_reject


class MarkPaidSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=255, help_text="The provider's transaction id; unique per method."
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Shown to the worker.")


class _ModerationView(APIView):
    """A moderator's decision on one payout: validate the body, call one service."""

    permission_classes = [IsModerator]
    body: type[serializers.Serializer]
    decide = None  # the service, as a staticmethod

    def post(self, request: Request, pk: int) -> Response:
        data = self.body(data=request.data)
        data.is_valid(raise_exception=True)
        payout = get_object_or_404(Payout, pk=pk)
        payout = self.decide(payout=payout, by=request.user, **data.validated_data)
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
    path(
        "payouts/<int:pk>/mark-paid/",
        PayoutMarkPaidView.as_view(),
        name="moderation-payout-mark-paid",
    ),
    path("payouts/<int:pk>/reject/", PayoutRejectView.as_view(), name="moderation-payout-reject"),
]
