"""Employers' campaigns: list and create drafts, read and edit them, the lifecycle actions,
and each campaign's review queue. Only the owner sees a campaign here (others get 404)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.models import AssignmentStatus, Campaign, Category
from tasks.results import results_lines
from tasks.selectors import review_queue
from tasks.services import (
    campaign_add_positions,
    campaign_cancel,
    campaign_create,
    campaign_launch,
    campaign_pause,
    campaign_resume,
    campaign_update,
)

from .base import errors, own_campaign, with_open_tasks
from .serializers import (
    AddPositionsSerializer,
    AssignmentSerializer,
    CampaignSerializer,
    CategorySerializer,
    StatusQuerySerializer,
)


class CategoryListView(ListAPIView):
    """Every category with its minimum reward and usual proof; open to anybody."""

    serializer_class = CategorySerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None
    queryset = Category.objects.all()

    @extend_schema(responses={200: CategorySerializer(many=True)}, auth=[])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class CampaignListView(ListAPIView):
    """Your own campaigns, newest first; ``POST`` creates a draft."""

    serializer_class = CampaignSerializer

    def get_queryset(self):
        campaigns = Campaign.objects.filter(employer=self.request.user)
        return with_open_tasks(campaigns.select_related("category")).order_by("-created_at", "-id")

    @extend_schema(responses={200: CampaignSerializer(many=True), **errors(401)})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=CampaignSerializer,
        responses={201: CampaignSerializer, **errors(400, 401)},
        description="Creates a draft; nothing is charged until launch. Errors (400): "
        "`invalid`, `reward_too_small`, `not_allowed` (the platform refuses the task), each "
        "with `errors` naming the field.",
    )
    def post(self, request: Request) -> Response:
        data = CampaignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_create(employer=request.user, spec=data.to_spec())
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailView(APIView):
    """One of your campaigns; anybody else's is a 404."""

    @extend_schema(responses={200: CampaignSerializer, **errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        return Response(CampaignSerializer(own_campaign(request, pk)).data)

    @extend_schema(
        request=CampaignSerializer(partial=True),
        responses={200: CampaignSerializer, **errors(400, 401, 404, 409)},
        description="Edits a draft (the fields sent replace the draft's). Errors: "
        "`invalid`, `reward_too_small`, `not_allowed` (400); `not_draft` (409).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        campaign = own_campaign(request, pk)
        data = CampaignSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        campaign = campaign_update(campaign=campaign, spec=data.to_spec(campaign), by=request.user)
        return Response(CampaignSerializer(own_campaign(request, campaign.pk)).data)


def _action_schema(description: str, request=None):
    return extend_schema_view(
        post=extend_schema(
            request=request,
            responses={200: CampaignSerializer, **errors(400, 401, 404, 409)},
            description=description,
        )
    )


class _CampaignAction(APIView):
    """The owner moves their campaign: fetch it (404 if not theirs), call one service."""

    service = None  # a staticmethod(campaign=, by=)

    def post(self, request: Request, pk: int) -> Response:
        campaign = self.service(campaign=own_campaign(request, pk), by=request.user)
        return Response(CampaignSerializer(own_campaign(request, campaign.pk)).data)


@_action_schema(
    "Moves the draft's cost, positions * (reward + fee), from your wallet to its escrow and "
    "sends it to a moderator. Errors: `insufficient_funds`, `invalid_status` (409)."
)
class CampaignLaunchView(_CampaignAction):
    service = staticmethod(campaign_launch)


@_action_schema("Stops new claims for now. Errors: `invalid_status` (409).")
class CampaignPauseView(_CampaignAction):
    service = staticmethod(campaign_pause)


@_action_schema("Opens a paused campaign again. Errors: `invalid_status` (409).")
class CampaignResumeView(_CampaignAction):
    service = staticmethod(campaign_resume)


@_action_schema(
    "Stops the campaign for good: open tasks are refunded now; tasks already claimed or "
    "submitted run their course. Errors: `invalid_status` (409)."
)
class CampaignCancelView(_CampaignAction):
    service = staticmethod(campaign_cancel)


@_action_schema(
    "Funds and opens more positions at the campaign's price. Errors: `invalid` (400); "
    "`insufficient_funds`, `not_live` (409).",
    request=AddPositionsSerializer,
)
class CampaignAddPositionsView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        campaign = own_campaign(request, pk)
        data = AddPositionsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_add_positions(
            campaign=campaign,
            by=request.user,
            count=data.validated_data["count"],
            task_inputs=data.validated_data.get("task_inputs"),
        )
        return Response(CampaignSerializer(own_campaign(request, campaign.pk)).data)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=AssignmentStatus.values,
                description="Only assignments in this status (e.g. `submitted`).",
            )
        ],
        responses={200: AssignmentSerializer(many=True), **errors(400, 401, 404)},
    )
)
class CampaignAssignmentsView(ListAPIView):
    """The review queue of one of your campaigns: oldest submission first, with the latest
    answers and screenshot links."""

    serializer_class = AssignmentSerializer

    def get_queryset(self):
        campaign = own_campaign(self.request, self.kwargs["pk"])
        query = StatusQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return review_queue(campaign=campaign, status=query.validated_data.get("status"))


class CampaignResultsView(APIView):
    """Every assignment of one of your campaigns as CSV (``tasks.results``), streamed."""

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR, **errors(401, 404)},
        description="The campaign's results as CSV, streamed: one line an assignment (check "
        "tasks marked), with the task's input, the worker, the times, the review's reason and "
        "each proof's answer (screenshots as links only you, the worker and moderators may "
        "open). Cells a spreadsheet would run as formulas start with '.",
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        campaign = own_campaign(request, pk)

        def link(shot: int) -> str:
            return request.build_absolute_uri(reverse("api:screenshot", args=[shot]))

        response = StreamingHttpResponse(
            results_lines(campaign, link=link), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="campaign-{campaign.pk}-results.csv"'
        )
        return response
