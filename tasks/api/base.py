"""What the work loop's API views share: the error statuses for the schema, and the helpers that
fetch an object only if this user may see it (404 otherwise: existence never leaks)."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from rest_framework.request import Request

from core.api import ErrorSerializer
from tasks.models import (
    PUBLIC_STATUSES,
    Assignment,
    Campaign,
    Submission,
    Task,
    TaskStatus,
)
from tasks.selectors import open_to_member


def errors(*codes: int) -> dict:
    """``responses=`` entries for the schema: these statuses answer the error shape."""
    return dict.fromkeys(codes, ErrorSerializer)


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
    """A campaign a worker may know of (launched and approved, a private one only for the
    members of its groups; or their own), or 404."""
    public = Q(status__in=PUBLIC_STATUSES) & open_to_member(request.user)
    return get_object_or_404(Campaign.objects.filter(public | Q(employer=request.user)), pk=pk)


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
