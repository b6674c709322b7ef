"""An employer's blocks: list them, block a worker, lift a block. Only the employer who made
a block sees it (anybody else's is a 404). The worker's side of the loop: the feed, claiming,
their assignments, submitting proof, giving a task back."""

from __future__ import annotations

from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.http import client_ip
from accounts.models import User
from core.api import ErrorSerializer
from core.db import replica_reads
from core.pagination import count_free_page, page_number
from tasks.api.base import assignment_of_worker, campaign_for_worker, errors, fresh, with_proof
from tasks.api.serializers import (
    AssignmentSerializer,
    ClaimSerializer,
    StatusQuerySerializer,
    SubmitSerializer,
)
from tasks.models import Assignment, AssignmentStatus
from tasks.selectors import employer_stats_attach
from tasks.services import assignment_release, assignment_submit

from . import selectors, services
from .claims import task_claim
from .models import Block
from .serializers import FeedItemSerializer, FeedQuerySerializer

FEED_PAGE_SIZE = 20


class BlockSerializer(serializers.ModelSerializer):
    worker = serializers.IntegerField(source="worker_id", read_only=True)
    worker_name = serializers.CharField(
        source="worker.public_name", read_only=True, help_text="The worker's public name."
    )

    class Meta:
        model = Block
        fields = ["id", "worker", "worker_name", "reason", "created_at"]
        read_only_fields = fields


class BlockCreateSerializer(serializers.Serializer):
    worker = serializers.IntegerField(min_value=1, help_text="The id of the worker to block.")
    reason = serializers.CharField(
        max_length=services.REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="A note for yourself; the worker does not see it.",
    )


class BlockListView(ListAPIView):
    """The workers you blocked, newest first; ``POST`` blocks one."""

    serializer_class = BlockSerializer

    def get_queryset(self):
        return selectors.blocks_of(self.request.user)

    @extend_schema(responses={200: BlockSerializer(many=True), 401: ErrorSerializer})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=BlockCreateSerializer,
        responses={
            200: BlockSerializer,
            201: BlockSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
        },
        description="The worker no longer sees your campaigns in their feed nor may claim "
        "their tasks. 201 with the new block; blocking a worker already blocked is 200 with "
        "the existing block, its reason unchanged. Errors (400, with `errors.worker` or "
        "`errors.reason`): `invalid_worker` (no such user), `cannot_block_self`, `invalid`.",
    )
    def post(self, request: Request) -> Response:
        data = BlockCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block, created = services.worker_block(
            employer=request.user,
            worker=User.objects.filter(pk=data.validated_data["worker"]).first(),
            reason=data.validated_data["reason"],
        )
        return Response(
            BlockSerializer(block).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BlockDetailView(APIView):
    """One of your blocks; anybody else's is a 404."""

    @extend_schema(responses={204: None, 401: ErrorSerializer, 404: ErrorSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        """Lift the block: the worker sees and may claim your campaigns again."""
        block = selectors.block_of(request.user, pk)
        services.block_remove(block=block, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the worker's side of the loop -----------------------------------------------------------


class FeedPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = FeedItemSerializer(many=True)


@extend_schema_view(
    get=extend_schema(
        parameters=[FeedQuerySerializer],
        responses={200: FeedPageSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    )
)
class FeedView(GenericAPIView):
    """Active campaigns you may claim now (country, success rate, your per-campaign cap, the
    employer's blocks, private campaigns' groups; nothing while you are suspended or hold as
    many open claims as allowed), searched by words (``q``, English or Bengali) and narrowed
    by category, reward range and campaigns not worked on yet, best paid or newest first,
    each with the employer's approval rate, average time to rate and workers' rating. A
    fixed number of queries per page, whatever its size. A reward range upside down is
    refused: 400 ``invalid``."""

    serializer_class = FeedItemSerializer

    def get_queryset(self):
        query = FeedQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.feed(
            worker=self.request.user, filters=query.filters(), sort=query.validated_data["sort"]
        )

    pagination_class = None  # see get(): pages without a COUNT

    @method_decorator(replica_reads)  # from the read replica, if there is one
    def get(self, request, *args, **kwargs):
        """One page (``?page=``), with its employers' track records (one more query)."""
        number = page_number(request.query_params.get("page"))
        page = count_free_page(self.get_queryset(), number, FEED_PAGE_SIZE)
        items = self.get_serializer(employer_stats_attach(page.object_list), many=True).data
        url = request.build_absolute_uri()
        return Response(
            {
                "next": replace_query_param(url, "page", number + 1) if page.has_next else None,
                "previous": (
                    replace_query_param(url, "page", number - 1) if page.has_previous else None
                ),
                "results": items,
            }
        )


def _assignment(request: Request, assignment: Assignment) -> Response:
    return Response(AssignmentSerializer(fresh(assignment), context={"request": request}).data)


class ClaimView(APIView):
    @extend_schema(
        request=None,
        responses={201: ClaimSerializer, **errors(401, 403, 404, 409)},
        description="Reserves one open task of the campaign for you until `expires_at`. "
        "Errors: `account_suspended`, `own_campaign`, `not_eligible` (403); `no_task_left`, "
        "`limit_reached`, `too_many_claims`, `campaign_not_active` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        campaign = campaign_for_worker(request, pk)
        assignment = task_claim(campaign=campaign, worker=request.user, ip=client_ip(request))
        body = ClaimSerializer(assignment, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, enum=AssignmentStatus.values, description="Only this status."
            )
        ],
        responses={200: AssignmentSerializer(many=True), **errors(400, 401)},
    )
)
class AssignmentListView(ListAPIView):
    """Your own assignments as a worker, newest claim first."""

    serializer_class = AssignmentSerializer

    def get_queryset(self):
        query = StatusQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        assignments = Assignment.objects.filter(worker=self.request.user)
        if query.validated_data.get("status"):
            assignments = assignments.filter(status=query.validated_data["status"])
        return with_proof(assignments).order_by("-claimed_at", "-id")


class SubmitView(APIView):
    @extend_schema(
        request={
            "application/json": SubmitSerializer,
            "multipart/form-data": OpenApiTypes.OBJECT,
        },
        responses={200: AssignmentSerializer, **errors(400, 401, 404, 409)},
        description="Sends your proof. JSON: `{answers: {<key>: value}}`. Multipart: each "
        "proof under its field's key, text as a value and a screenshot as a file (JPEG, PNG "
        "or WebP). Errors: `invalid` (400, with `errors` per key); `expired`, "
        "`invalid_status` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = assignment_of_worker(request, pk)
        answers, files = self._proof(request)
        assignment_submit(assignment=assignment, worker=request.user, answers=answers, files=files)
        return _assignment(request, assignment)

    @staticmethod
    def _proof(request: Request) -> tuple[dict, dict]:
        if request.content_type.startswith("application/json"):
            data = SubmitSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            return data.validated_data["answers"], {}
        files = {key: request.FILES.getlist(key) for key in request.FILES}
        answers = {key: request.data.get(key) for key in request.data if key not in files}
        return answers, files


class ReleaseView(APIView):
    @extend_schema(
        request=None,
        responses={200: AssignmentSerializer, **errors(401, 404, 409)},
        description="Gives the task back before you submit; it reopens for others. "
        "Errors: `invalid_status` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = assignment_release(
            assignment=assignment_of_worker(request, pk), worker=request.user
        )
        return _assignment(request, assignment)
