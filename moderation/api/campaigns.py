"""Moderators' campaign queue: what waits for review (with the automatic flags), and the
decision on each."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsModerator
from tasks.api.base import errors, with_open_tasks
from tasks.api.serializers import CampaignSerializer, ReasonSerializer
from tasks.models import Campaign, CampaignStatus
from tasks.services import campaign_moderate


class ModerationCampaignSerializer(CampaignSerializer):
    """A campaign waiting for a moderator: who posted it, with the flags."""

    employer = serializers.IntegerField(source="employer_id", read_only=True)
    employer_name = serializers.CharField(source="employer.public_name", read_only=True)


@extend_schema_view(
    get=extend_schema(responses={200: ModerationCampaignSerializer(many=True), **errors(401, 403)})
)
class ModerationCampaignListView(ListAPIView):
    """Campaigns waiting for a moderator, oldest launch first, each with why it was flagged."""

    serializer_class = ModerationCampaignSerializer
    permission_classes = [IsModerator]

    def get_queryset(self):
        campaigns = Campaign.objects.filter(status=CampaignStatus.IN_REVIEW)
        return with_open_tasks(campaigns.select_related("category", "employer")).order_by(
            "launched_at", "id"
        )


class _Decision(APIView):
    permission_classes = [IsModerator]
    approve = True

    def post(self, request: Request, pk: int) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_moderate(
            campaign=get_object_or_404(Campaign, pk=pk),
            by=request.user,
            approve=self.approve,
            reason=data.validated_data["reason"],
        )
        campaign = with_open_tasks(Campaign.objects.select_related("category", "employer")).get(
            pk=campaign.pk
        )
        return Response(ModerationCampaignSerializer(campaign).data)


def _decision_schema(description: str):
    return extend_schema_view(
        post=extend_schema(
            request=ReasonSerializer,
            responses={200: ModerationCampaignSerializer, **errors(400, 401, 403, 404, 409)},
            description=description,
        )
    )


@_decision_schema(
    "Approves a campaign in review: it goes live. A reason is optional (kept in its history). "
    "Errors: `own_case` (403, the moderator's own campaign); `invalid_status` (409)."
)
class ModerationApproveView(_Decision):
    approve = True


@_decision_schema(
    "Rejects a campaign in review with a reason the employer sees; its whole escrow goes "
    "back to the employer. Errors: `reason_required` (400); `own_case` (403, the "
    "moderator's own campaign); `invalid_status` (409)."
)
class ModerationRejectView(_Decision):
    approve = False


urlpatterns = [
    path("campaigns/", ModerationCampaignListView.as_view(), name="moderation-campaigns"),
    path(
        "campaigns/<int:pk>/approve/",
        ModerationApproveView.as_view(),
        name="moderation-campaign-approve",
    ),
    path(
        "campaigns/<int:pk>/reject/",
        ModerationRejectView.as_view(),
        name="moderation-campaign-reject",
    ),
]
