"""Assignments through the API: a worker claims, submits, gives back and lists their own; the
campaign's owner approves, rejects, asks for a revision, or reviews many at once; the
screenshots of a proof stream only to those allowed to see them."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import client_ip
from tasks.files import screenshot_for, screenshot_response
from tasks.models import Assignment, AssignmentStatus
from tasks.services import (
    assignment_release,
    assignment_submit,
    submission_approve,
    submission_reject,
    submission_request_revision,
    submissions_bulk_review,
    task_claim,
)

from .base import (
    assignment_of_employer,
    assignment_of_worker,
    campaign_for_worker,
    errors,
    fresh,
    with_proof,
)
from .serializers import (
    AssignmentSerializer,
    BulkReviewResponseSerializer,
    BulkReviewSerializer,
    ClaimSerializer,
    ReasonSerializer,
    StatusQuerySerializer,
    SubmitSerializer,
)


def _render(request: Request, assignment: Assignment) -> Response:
    return Response(AssignmentSerializer(fresh(assignment), context={"request": request}).data)


# --- the worker's side -----------------------------------------------------------------------


class ClaimView(APIView):
    @extend_schema(
        request=None,
        responses={201: ClaimSerializer, **errors(401, 403, 404, 409)},
        description="Reserves one open task of the campaign for you until `expires_at`. "
        "Errors: `own_campaign`, `not_eligible` (403); `no_task_left`, `limit_reached`, "
        "`too_many_claims`, `campaign_not_active` (409).",
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
        return _render(request, assignment)

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
        return _render(request, assignment)


# --- the employer's side ---------------------------------------------------------------------


class ApproveView(APIView):
    @extend_schema(
        request=None,
        responses={200: AssignmentSerializer, **errors(401, 404, 409)},
        description="Approves the submission: the worker is paid from the campaign's escrow. "
        "Errors: `invalid_status` (409) when it is not waiting for review.",
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = submission_approve(
            assignment=assignment_of_employer(request, pk), by=request.user
        )
        return _render(request, assignment)


def _reasoned_schema(description: str):
    return extend_schema_view(
        post=extend_schema(
            request=ReasonSerializer,
            responses={200: AssignmentSerializer, **errors(400, 401, 404, 409)},
            description=description,
        )
    )


class _ReasonedReview(APIView):
    service = None  # a staticmethod(assignment=, by=, reason=)

    def post(self, request: Request, pk: int) -> Response:
        assignment = assignment_of_employer(request, pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = self.service(
            assignment=assignment, by=request.user, reason=data.validated_data["reason"]
        )
        return _render(request, assignment)


@_reasoned_schema(
    "Rejects the submission with a reason the worker sees; the money stays in escrow "
    "until the dispute window closes. Errors: `reason_required` (400); `invalid_status` (409)."
)
class RejectView(_ReasonedReview):
    service = staticmethod(submission_reject)


@_reasoned_schema(
    "Sends the work back with what to fix; the worker gets a fresh time to complete. "
    "Errors: `reason_required` (400); `invalid_status` (409)."
)
class RequestRevisionView(_ReasonedReview):
    service = staticmethod(submission_request_revision)


class BulkReviewView(APIView):
    @extend_schema(
        request=BulkReviewSerializer,
        responses={200: BulkReviewResponseSerializer, **errors(400, 401)},
        description="Reviews many of your campaigns' submissions at once. Each id gets its "
        "own result: `done`, `not_found` (not yours, or no such id) or `invalid_status` "
        "(already reviewed); one failing does not stop the others. Errors: "
        "`reason_required`, `invalid` (400).",
    )
    def post(self, request: Request) -> Response:
        data = BulkReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        results = submissions_bulk_review(by=request.user, **data.validated_data)
        body = {"results": [{"id": pk, "result": result} for pk, result in results.items()]}
        return Response(BulkReviewResponseSerializer(body).data)


# --- screenshots -----------------------------------------------------------------------------


class ScreenshotView(APIView):
    """A proof's screenshot, for the worker who sent it, the campaign's employer and
    moderators; anybody else gets a 404. Never a public media URL."""

    @extend_schema(
        responses={
            (200, "image/*"): OpenApiTypes.BINARY,
            **errors(401, 404),
        }
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        return screenshot_response(screenshot_for(request.user, pk))
