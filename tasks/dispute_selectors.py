"""Reads of disputes: the moderators' queue, an employer's open disputes, and each side's
track record for the moderator who decides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User

from .models import (
    OVERTURNED_OUTCOMES,
    REJECTED_STATUSES,
    Assignment,
    AssignmentStatus,
    Dispute,
    DisputeStatus,
)
from .selectors import employer_stats

RECENT_DISPUTES = 5


def disputes_with_parties(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Everything a dispute's card shows, joined in the same query."""
    return disputes.select_related(
        "assignment__campaign__employer",
        "assignment__campaign__category",
        "assignment__worker",
        "assignment__task",
    )


def open_disputes() -> QuerySet[Dispute]:
    """The moderators' queue: open disputes, oldest first."""
    return disputes_with_parties(Dispute.objects.filter(status=DisputeStatus.OPEN)).order_by(
        "created_at", "id"
    )


def employer_open_disputes(*, employer: User, campaign_id: int | None = None) -> QuerySet[Dispute]:
    """Open disputes on the employer's campaigns (or one of them), oldest first."""
    disputes = Dispute.objects.filter(
        status=DisputeStatus.OPEN, assignment__campaign__employer=employer
    )
    if campaign_id is not None:
        disputes = disputes.filter(assignment__campaign_id=campaign_id)
    return disputes_with_parties(disputes).order_by("created_at", "id")


@dataclass
class Record:
    """One side's history, as a moderator weighs it."""

    approved: int = 0
    rejected: int = 0
    disputed: int = 0
    overturned: int = 0
    rate: int | None = None  # approved ÷ (approved + rejected), percent
    recent: list[Dispute] = field(default_factory=list)


def _record(assignments: QuerySet[Assignment], disputes: QuerySet[Dispute]) -> Record:
    counts = assignments.aggregate(
        approved=Count("id", filter=Q(status=AssignmentStatus.APPROVED)),
        rejected=Count("id", filter=Q(status__in=REJECTED_STATUSES)),
        disputed=Count("id", filter=Q(status=AssignmentStatus.DISPUTED)),
        overturned=Count("id", filter=Q(dispute__outcome__in=OVERTURNED_OUTCOMES)),
    )
    reviewed = counts["approved"] + counts["rejected"]
    return Record(
        **counts,
        rate=round(100 * counts["approved"] / reviewed) if reviewed else None,
        recent=_recent(disputes),
    )


def _recent(disputes: QuerySet[Dispute]) -> list[Dispute]:
    return list(disputes_with_parties(disputes).order_by("-created_at", "-id")[:RECENT_DISPUTES])


def worker_record(worker: User) -> Record:
    """The worker's reviewed work over the success-rate window (as
    ``workers.selectors.success_rate`` counts it) and their latest disputes."""
    since = timezone.now() - timedelta(days=settings.SUCCESS_RATE_WINDOW_DAYS)
    return _record(
        Assignment.objects.filter(worker=worker, reviewed_at__gte=since, is_gold=False),
        Dispute.objects.filter(assignment__worker=worker),
    )


def employer_record(employer: User) -> Record:
    """The employer's record as workers see it in the feed (``employer_stats``: reviews
    across all their campaigns, work in dispute, rejections overturned) and the latest
    disputes against them."""
    stats = employer_stats([employer.pk])[employer.pk]
    disputes = Dispute.objects.filter(assignment__campaign__employer=employer)
    return Record(
        approved=stats.approved,
        rejected=stats.rejected,
        disputed=stats.disputed,
        overturned=stats.overturned,
        rate=stats.approval_rate,
        recent=_recent(disputes),
    )
