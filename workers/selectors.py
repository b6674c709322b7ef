"""A worker's reputation, computed from their assignments (never stored, so never stale); an
employer's blocks."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from tasks.models import REJECTED_STATUSES, Assignment, AssignmentStatus

from .models import Block


def success_rate(worker: User) -> int | None:
    """Approved ÷ (approved + rejected) over the last SUCCESS_RATE_WINDOW_DAYS, in percent;
    None for a worker with no reviewed work yet (who is treated as 100 for eligibility)."""
    since = timezone.now() - timedelta(days=settings.SUCCESS_RATE_WINDOW_DAYS)
    counts = Assignment.objects.filter(worker=worker, reviewed_at__gte=since).aggregate(
        approved=Count("id", filter=Q(status=AssignmentStatus.APPROVED)),
        rejected=Count("id", filter=Q(status__in=REJECTED_STATUSES)),
    )
    reviewed = counts["approved"] + counts["rejected"]
    return None if not reviewed else round(100 * counts["approved"] / reviewed)


def is_blocked(*, employer_id: int, worker: User) -> bool:
    return Block.objects.filter(employer_id=employer_id, worker=worker).exists()


def blocks_of(employer: User) -> QuerySet[Block]:
    """The employer's blocks, newest first, each with its worker (one query)."""
    return (
        Block.objects.filter(employer=employer)
        .select_related("worker")
        .order_by("-created_at", "-id")
    )


def block_of(employer: User, pk: int) -> Block:
    """One of the employer's blocks, with its worker; Http404 for anybody else's."""
    return get_object_or_404(Block.objects.select_related("worker"), pk=pk, employer=employer)
