"""A worker's reputation, computed from their assignments (never stored, so never stale)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User


def success_rate(worker: User) -> int | None:
    """Approved ÷ (approved + rejected) over the last SUCCESS_RATE_WINDOW_DAYS, in percent;
    None for a worker with no reviewed work yet (who is treated as 100 for eligibility)."""
    from tasks.models import Assignment, AssignmentStatus

    since = timezone.now() - timedelta(days=settings.SUCCESS_RATE_WINDOW_DAYS)
    counts = Assignment.objects.filter(worker=worker, reviewed_at__gte=since).aggregate(
        approved=Count("id", filter=Q(status=AssignmentStatus.APPROVED)),
        rejected=Count("id", filter=Q(status=AssignmentStatus.REJECTED)),
    )
    reviewed = counts["approved"] + counts["rejected"]
    return None if not reviewed else round(100 * counts["approved"] / reviewed)


def is_blocked(*, employer_id: int, worker: User) -> bool:
    from workers.models import Block

    return Block.objects.filter(employer_id=employer_id, worker=worker).exists()
