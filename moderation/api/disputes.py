"""Disputes to decide: the open ones, oldest first, and the decision on one."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsModerator
from tasks.api.base import errors
from tasks.api.disputes import DisputeSerializer, dispute_response
from tasks.dispute_selectors import open_disputes
from tasks.models import Dispute
from tasks.services.disputes import MAX_STATEMENT, MODERATOR_OUTCOMES, dispute_resolve


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[o.value for o in MODERATOR_OUTCOMES])
    reason = serializers.CharField(
        max_length=MAX_STATEMENT, allow_blank=True, default="", help_text=_("Both sides see it.")
    )


@extend_schema_view(
    get=extend_schema(responses={200: DisputeSerializer(many=True), **errors(401, 403)})
)
class ModerationDisputeListView(ListAPIView):
    """Open disputes, oldest first."""

    serializer_class = DisputeSerializer
    permission_classes = [IsModerator]

    def get_queryset(self):
        return open_disputes()


class ModerationResolveView(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        request=ResolveSerializer,
        responses={200: DisputeSerializer, **errors(400, 401, 403, 404, 409)},
        description="Decides a dispute with a reason both sides see. `worker`: the "
        "assignment is approved and paid from escrow. `employer`: the rejection is final; the "
        "task reopens or its money goes back to the employer. Errors: `reason_required`, "
        "`invalid` (400); `own_case` (403, the moderator is its worker or employer); "
        "`invalid_status` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        dispute = get_object_or_404(Dispute, pk=pk)
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = dispute_resolve(dispute=dispute, by=request.user, **data.validated_data)
        return dispute_response(request, dispute)


urlpatterns = [
    path("disputes/", ModerationDisputeListView.as_view(), name="moderation-disputes"),
    path(
        "disputes/<int:pk>/resolve/",
        ModerationResolveView.as_view(),
        name="moderation-dispute-resolve",
    ),
]
