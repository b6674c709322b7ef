"""Assignments through the API: the campaign's owner approves, rejects, asks for a revision,
reviews many at once, or pays a bonus; the screenshots of a proof stream only to those
allowed to see them. The worker's side (claim, list, submit, give back) is in workers.api."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.files import screenshot_for, screenshot_response
from tasks.models import Assignment
from tasks.services import (
    bonus_pay,
    submission_approve,
    submission_reject,
    submission_request_revision,
    submissions_bulk_review,
)

from .base import assignment_of_employer, errors, fresh
from .serializers import (
    AssignmentSerializer,
    BonusSerializer,
    BulkReviewResponseSerializer,
    BulkReviewSerializer,
    ReasonSerializer,
)


def _render(request: Request, assignment: Assignment) -> Response:
    return Response(AssignmentSerializer(fresh(assignment), context={"request": request}).data)


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


class BonusView(APIView):
    @extend_schema(
        request=BonusSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Your own key for this bonus (a UUID fits): the same key again "
                "returns the bonus already paid and moves no money.",
            )
        ],
        responses={201: BonusSerializer, 200: BonusSerializer, **errors(400, 401, 404, 409)},
        description="Pays the assignment's worker a bonus from your wallet, with Kaaj's fee "
        "on top; the worker is told, with the reason. 201 when paid, 200 when this key "
        "paid it before. Errors: `invalid`, `reason_required`, `key_required` (400); "
        "`not_submitted` (the worker sent nothing), `insufficient_funds`, `key_reused` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = assignment_of_employer(request, pk)
        data = BonusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bonus, created = bonus_pay(
            assignment=assignment,
            by=request.user,
            key=request.headers.get("Idempotency-Key", ""),
            **data.validated_data,
        )
        return Response(BonusSerializer(bonus).data, status=201 if created else 200)


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
