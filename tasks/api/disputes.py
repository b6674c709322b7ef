"""Disputes through the API: the assignee disputes a rejection; the campaign's owner answers
or reverses it. Moderators list and decide them under /api/v1/moderation/
(moderation/api/disputes.py)."""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.dispute_selectors import disputes_with_parties
from tasks.files import dispute_for, evidence_response
from tasks.models import Dispute, DisputeOutcome, DisputeStatus
from tasks.services.disputes import (
    MAX_STATEMENT,
    dispute_open,
    dispute_respond,
    dispute_reverse,
)

from .base import assignment_of_worker, errors
from .serializers import assignment_status_field

# --- shapes ----------------------------------------------------------------------------------


class DisputeSerializer(serializers.Serializer):
    """A dispute as its worker, the campaign's employer and moderators see it."""

    id = serializers.IntegerField()
    assignment = serializers.IntegerField(source="assignment_id")
    assignment_status = assignment_status_field(source="assignment.status")
    campaign = serializers.IntegerField(source="assignment.campaign_id")
    worker = serializers.IntegerField(source="assignment.worker_id")
    employer = serializers.IntegerField(source="assignment.campaign.employer_id")
    rejection_reason = serializers.CharField(source="assignment.review_reason")
    status = serializers.ChoiceField(choices=DisputeStatus.choices)
    outcome = serializers.ChoiceField(
        choices=[("", ""), *DisputeOutcome.choices],
        help_text=_("Empty while open: `worker`, `employer` or `reversed` (by the employer)."),
    )
    worker_statement = serializers.CharField()
    evidence = serializers.SerializerMethodField(
        help_text=_("The extra screenshot's URL, for the two sides and moderators; or null.")
    )
    employer_statement = serializers.CharField()
    responded_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_evidence(self, dispute: Dispute) -> str | None:
        if not dispute.evidence:
            return None
        path = reverse("api:dispute-evidence", args=[dispute.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class DisputeOpenSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_STATEMENT,
        allow_blank=True,
        default="",
        help_text=_("Why the rejection is wrong."),
    )


class StatementSerializer(serializers.Serializer):
    statement = serializers.CharField(max_length=MAX_STATEMENT, allow_blank=True, default="")


class ReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_STATEMENT, allow_blank=True, default="", help_text=_("Optional.")
    )


def dispute_response(
    request: Request, dispute: Dispute, code: int = status.HTTP_200_OK
) -> Response:
    """The dispute as it is now, with its parties, as the API shows it."""
    fresh = disputes_with_parties(Dispute.objects).get(pk=dispute.pk)
    return Response(DisputeSerializer(fresh, context={"request": request}).data, status=code)


def _employers(request: Request, pk: int) -> Dispute:
    return get_object_or_404(Dispute.objects, pk=pk, assignment__campaign__employer=request.user)


# --- the worker ------------------------------------------------------------------------------


class DisputeOpenView(APIView):
    @extend_schema(
        request={
            "application/json": DisputeOpenSerializer,
            "multipart/form-data": OpenApiTypes.OBJECT,
        },
        responses={201: DisputeSerializer, **errors(400, 401, 404, 409)},
        description="Disputes the rejection of your assignment within its window "
        "(`dispute_until`). JSON `{reason}`, or multipart with `reason` and one screenshot "
        "under `evidence`. Errors: `reason_required`, `invalid` (400, with `errors`); "
        "`already_disputed`, `invalid_status`, `dispute_window_closed` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = assignment_of_worker(request, pk)
        data = DisputeOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = dispute_open(
            assignment=assignment,
            by=request.user,
            reason=data.validated_data["reason"],
            evidence=request.FILES.get("evidence"),
        )
        return dispute_response(request, dispute, status.HTTP_201_CREATED)


class DisputeDetailView(APIView):
    @extend_schema(responses={200: DisputeSerializer, **errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        """A dispute, for its worker, the campaign's employer and moderators."""
        return dispute_response(request, dispute_for(request.user, pk))


class DisputeEvidenceView(APIView):
    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY, **errors(401, 404)})
    def get(self, request: Request, pk: int) -> FileResponse:
        """The dispute's extra screenshot, for the two sides and moderators."""
        return evidence_response(dispute_for(request.user, pk))


# --- the employer ----------------------------------------------------------------------------


class DisputeRespondView(APIView):
    @extend_schema(
        request=StatementSerializer,
        responses={200: DisputeSerializer, **errors(400, 401, 404, 409)},
        description="Answers a dispute on your campaign (again to replace the answer, while "
        "it is open). Errors: `statement_required` (400); `invalid_status` (409, decided).",
    )
    def post(self, request: Request, pk: int) -> Response:
        dispute = _employers(request, pk)
        data = StatementSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = dispute_respond(
            dispute=dispute, by=request.user, statement=data.validated_data["statement"]
        )
        return dispute_response(request, dispute)


class DisputeReverseView(APIView):
    @extend_schema(
        request=ReverseSerializer,
        responses={200: DisputeSerializer, **errors(400, 401, 404, 409)},
        description="Takes your rejection back: the assignment is approved and the worker "
        "paid from escrow (once). Errors: `invalid_status` (409, already decided).",
    )
    def post(self, request: Request, pk: int) -> Response:
        dispute = _employers(request, pk)
        data = ReverseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = dispute_reverse(
            dispute=dispute, by=request.user, reason=data.validated_data["reason"]
        )
        return dispute_response(request, dispute)
