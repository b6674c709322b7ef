"""A worker's reputation, computed from their assignments (never stored, so never stale); the
worker's feed; an employer's blocks."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import BooleanField, Count, IntegerField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from tasks.models import (
    REJECTED_STATUSES,
    Assignment,
    AssignmentStatus,
    Campaign,
    TaskStatus,
)

from .eligibility import Standing, eligible, rate, standing_read
from .models import Block

FEED_SORTS = {"reward": ("-reward_cents", "-id"), "newest": ("-launched_at", "-id")}


def success_rate(worker: User) -> int | None:
    """Approved ÷ (approved + rejected) over the last SUCCESS_RATE_WINDOW_DAYS, in percent;
    None for a worker with no reviewed work yet (who meets every minimum). The standing of
    ``workers.eligibility`` counts the same rows (tests/workers/test_eligibility_property.py
    holds the two equal)."""
    since = timezone.now() - timedelta(days=settings.SUCCESS_RATE_WINDOW_DAYS)
    counts = Assignment.objects.filter(
        worker=worker, reviewed_at__gte=since, is_gold=False
    ).aggregate(
        approved=Count("id", filter=Q(status=AssignmentStatus.APPROVED)),
        rejected=Count("id", filter=Q(status__in=REJECTED_STATUSES)),
    )
    return rate(counts["approved"], counts["approved"] + counts["rejected"])


def feed(
    *,
    worker: User,
    category: str | None = None,
    sort: str = "reward",
    standing: Standing | None = None,
) -> QuerySet[Campaign]:
    """Campaigns with an open task that this worker may claim now, best first.

    Who may claim what is ``workers.eligibility``'s: the worker's standing (read here in one
    query unless the caller passes it) turned into conditions on the campaigns' own
    columns, the very rules a claim checks. Each row carries ``open_tasks``; the
    employer's stats are NOT in it: call ``tasks.selectors.employer_stats_attach`` on the
    page's campaigns (one more query per page).
    """
    now = timezone.now()
    standing = standing or standing_read(worker, now=now)
    campaigns = Campaign.objects.filter(eligible(standing, now), _has_open_task())
    if category:
        campaigns = campaigns.filter(category__slug=category)
    return (
        campaigns.annotate(open_tasks=_open_tasks())
        .select_related("category", "employer")
        .order_by(*FEED_SORTS.get(sort, FEED_SORTS["reward"]))
    )


# Whether a campaign has an open task, and how many: fixed SQL on the query's own table
# rather than ORM subqueries, whose building and compiling cost more than running them
# (bench/feed.py: about 1.5 ms of a 10 ms page).
_OPEN = (
    'FROM tasks_task t WHERE t.campaign_id = "tasks_campaign"."id"'
    f" AND t.status = '{TaskStatus.OPEN.value}'"
)


def _has_open_task() -> RawSQL:
    return RawSQL(f"EXISTS (SELECT 1 {_OPEN})", (), output_field=BooleanField())  # noqa: S611


def _open_tasks() -> RawSQL:
    return RawSQL(f"SELECT COUNT(*) {_OPEN}", (), output_field=IntegerField())  # noqa: S611


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


def tests_opening_work(standing: Standing, *, now=None) -> dict[int, int]:
    """The qualification tests the worker has not passed that live campaigns with an open
    task require, each with how many of those campaigns need it: the campaigns the worker
    could claim but for their tests (``workers.eligibility``'s rules, that one aside)."""
    now = now or timezone.now()
    required = (
        Campaign.objects.filter(eligible(standing, now, but=("qualified",)), _has_open_task())
        .exclude(qualifications=[])
        .values_list("qualifications", flat=True)
    )
    needed: dict[int, int] = {}
    for ids in required:
        for pk in set(ids) - standing.qualifications:
            needed[pk] = needed.get(pk, 0) + 1
    return needed
