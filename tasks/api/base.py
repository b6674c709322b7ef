"""What the work loop's API views share: the domain errors' HTTP shape, and the helpers that
fetch an object only if this user may see it (404 otherwise: existence never leaks)."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ErrorSerializer
from tasks.models import (
    Assignment,
    Campaign,
    CampaignStatus,
    Screenshot,
    Submission,
    Task,
    TaskStatus,
)
from tasks.services import AssignmentError, CampaignError

CAMPAIGN_ERROR_STATUS = {
    "permission_denied": status.HTTP_404_NOT_FOUND,
    "invalid": status.HTTP_400_BAD_REQUEST,
    "not_allowed": status.HTTP_400_BAD_REQUEST,
    "reward_too_small": status.HTTP_400_BAD_REQUEST,
    "reason_required": status.HTTP_400_BAD_REQUEST,
    "insufficient_funds": status.HTTP_409_CONFLICT,
    "invalid_status": status.HTTP_409_CONFLICT,
    "not_draft": status.HTTP_409_CONFLICT,
    "not_live": status.HTTP_409_CONFLICT,
    "account_suspended": status.HTTP_403_FORBIDDEN,
    "employer_suspended": status.HTTP_409_CONFLICT,
}
# Campaigns anybody signed in may know of; drafts, those in review and rejected ones are
# their owner's (and moderators') business.
PUBLIC_STATUSES = (
    CampaignStatus.ACTIVE,
    CampaignStatus.PAUSED,
    CampaignStatus.COMPLETED,
    CampaignStatus.CANCELLED,
    CampaignStatus.EXPIRED,
)


def errors(*codes: int) -> dict:
    """``responses=`` entries for the schema: these statuses answer the error shape."""
    return dict.fromkeys(codes, ErrorSerializer)


def _not_found() -> Response:
    return Response(
        {"code": "not_found", "detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND
    )


def domain_error_response(error: Exception) -> Response | None:
    """``{code, detail}`` (and ``errors`` per field) for a service's refusal, else None."""
    if isinstance(error, AssignmentError):
        if error.status == status.HTTP_404_NOT_FOUND:
            return _not_found()
        body = {"code": error.code, "detail": error.message}
        if error.errors:
            body["errors"] = {key: [str(m) for m in msgs] for key, msgs in error.errors.items()}
        return Response(body, status=error.status)
    if isinstance(error, CampaignError):
        code = CAMPAIGN_ERROR_STATUS.get(error.code, status.HTTP_400_BAD_REQUEST)
        if code == status.HTTP_404_NOT_FOUND:
            return _not_found()
        body = {"code": error.code, "detail": error.message}
        if error.field:
            body["errors"] = {error.field: [error.message]}
        return Response(body, status=code)
    return None


class DomainErrors:
    """Mix into an API view: CampaignError and AssignmentError become 4xx responses, so
    views call a service and let its refusal speak for itself."""

    def handle_exception(self, exc: Exception) -> Response:
        return domain_error_response(exc) or super().handle_exception(exc)


# --- fetching what this user may see --------------------------------------------------------


def with_open_tasks(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Each campaign's count of open tasks, in the same query."""
    open_tasks = (
        Task.objects.filter(campaign=OuterRef("pk"), status=TaskStatus.OPEN)
        .order_by()
        .values("campaign")
        .annotate(n=Count("id"))
        .values("n")
    )
    return campaigns.annotate(open_tasks=Coalesce(Subquery(open_tasks), 0))


def own_campaign(request: Request, pk: int) -> Campaign:
    """One of the user's own campaigns, or 404."""
    return get_object_or_404(
        with_open_tasks(Campaign.objects.select_related("category")),
        pk=pk,
        employer=request.user,
    )


def campaign_for_worker(request: Request, pk: int) -> Campaign:
    """A campaign a worker may know of (launched and approved, or their own), or 404."""
    return get_object_or_404(
        Campaign.objects.filter(Q(status__in=PUBLIC_STATUSES) | Q(employer=request.user)), pk=pk
    )


def with_proof(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Everything an assignment's representation needs, in a fixed number of queries."""
    return assignments.select_related("campaign", "task", "worker").prefetch_related(
        Prefetch("submissions", queryset=Submission.objects.prefetch_related("screenshots"))
    )


def assignment_of_worker(request: Request, pk: int) -> Assignment:
    """One of the user's own assignments (as the worker), or 404."""
    return get_object_or_404(with_proof(Assignment.objects), pk=pk, worker=request.user)


def assignment_of_employer(request: Request, pk: int) -> Assignment:
    """An assignment on one of the user's campaigns, or 404."""
    return get_object_or_404(with_proof(Assignment.objects), pk=pk, campaign__employer=request.user)


def fresh(assignment: Assignment) -> Assignment:
    """The assignment as it is now, ready to render."""
    return with_proof(Assignment.objects).get(pk=assignment.pk)


def visible_screenshot(request: Request, pk: int) -> Screenshot:
    """A screenshot for the worker who sent it, the campaign's employer or a moderator."""
    shot = get_object_or_404(
        Screenshot.objects.select_related("submission__assignment__campaign"), pk=pk
    )
    assignment = shot.submission.assignment
    user = request.user
    if user.pk not in (assignment.worker_id, assignment.campaign.employer_id) and not (
        user.is_moderator
    ):
        raise Http404
    return shot
