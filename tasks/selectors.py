"""Reads of the work loop: the worker's feed, employers' track records, review queues."""

from __future__ import annotations

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from workers.models import Block
from workers.selectors import success_rate

from .models import Assignment, AssignmentStatus, Campaign, CampaignStatus, Task, TaskStatus

FEED_SORTS = {"reward": ("-reward_cents", "-id"), "newest": ("-launched_at", "-id")}


def _count(queryset: QuerySet) -> Subquery:
    return Subquery(
        queryset.order_by().values(group=Value(1)).annotate(n=Count("id")).values("n")[:1],
        output_field=IntegerField(),
    )


def with_employer_stats(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Each campaign's employer's track record, for workers to judge: approved and reviewed
    counts, and the average time from submission to review, across all their campaigns."""
    theirs = Assignment.objects.filter(campaign__employer=OuterRef("employer"))
    reviewed = theirs.filter(status__in=(AssignmentStatus.APPROVED, AssignmentStatus.REJECTED))
    rating_time = ExpressionWrapper(
        F("reviewed_at") - F("submitted_at"), output_field=DurationField()
    )
    average = Subquery(
        reviewed.order_by().values(group=Value(1)).annotate(t=Avg(rating_time)).values("t")[:1],
        output_field=DurationField(),
    )
    return campaigns.annotate(
        employer_approved=Coalesce(_count(theirs.filter(status=AssignmentStatus.APPROVED)), 0),
        employer_reviewed=Coalesce(_count(reviewed), 0),
        employer_time_to_rate=average,
    )


def feed(*, worker: User, category: str | None = None, sort: str = "reward") -> QuerySet[Campaign]:
    """Active campaigns with an open task this worker may claim now, best first.

    Country rules, success-rate minimum, the per-worker cap, employers' blocks and the
    worker's own campaigns are all applied in the one query; one more query computes the
    worker's success rate. Each row carries ``open_tasks`` and the employer's stats.
    """
    now = timezone.now()
    rate = success_rate(worker)
    open_tasks = Task.objects.filter(campaign=OuterRef("pk"), status=TaskStatus.OPEN)
    mine = Assignment.objects.filter(campaign=OuterRef("pk"), worker=worker).exclude(
        status__in=(AssignmentStatus.EXPIRED, AssignmentStatus.RELEASED)
    )
    campaigns = (
        Campaign.objects.filter(status=CampaignStatus.ACTIVE)
        .exclude(employer=worker)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .filter(Exists(open_tasks))
        .exclude(Exists(Block.objects.filter(employer=OuterRef("employer"), worker=worker)))
        .filter(min_success_rate__lte=100 if rate is None else rate)
        .annotate(mine=Coalesce(_count(mine), 0))
        .filter(mine__lt=F("max_tasks_per_worker"))
    )
    country = worker.country.code if worker.country else ""
    if country:
        campaigns = campaigns.filter(
            Q(countries_include=[]) | Q(countries_include__contains=[country])
        ).exclude(countries_exclude__contains=[country])
    else:
        campaigns = campaigns.filter(countries_include=[])
    if category:
        campaigns = campaigns.filter(category__slug=category)
    campaigns = campaigns.annotate(open_tasks=_count(open_tasks))
    return (
        with_employer_stats(campaigns)
        .select_related("category", "employer")
        .order_by(*FEED_SORTS.get(sort, FEED_SORTS["reward"]))
    )


def review_queue(*, campaign: Campaign, status: str | None = None) -> QuerySet[Assignment]:
    """A campaign's assignments for its employer, oldest submission first, with the latest
    proof and its screenshots prefetched (a fixed number of queries per page)."""
    from django.db.models import Prefetch

    from .models import Submission

    assignments = Assignment.objects.filter(campaign=campaign)
    if status:
        assignments = assignments.filter(status=status)
    return (
        assignments.select_related("worker", "task")
        .prefetch_related(
            Prefetch(
                "submissions",
                queryset=Submission.objects.prefetch_related("screenshots__duplicate_of"),
            )
        )
        .order_by(F("submitted_at").asc(nulls_last=True), "id")
    )


def escrow_violations() -> list[tuple[int, int, int]]:
    """Campaigns whose escrow differs from what their unpaid tasks still owe:
    ``[(campaign id, escrow balance, owed)]``. Owed = tasks open or assigned (including
    rejected ones inside their dispute window) times (reward + fee)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.id, a.balance,
                   COUNT(t.id) FILTER (WHERE t.status IN ('open', 'assigned'))
                   * (c.reward_cents + c.fee_cents) AS owed
            FROM tasks_campaign c
            JOIN payments_account a ON a.key = 'escrow:campaign:' || c.id
            LEFT JOIN tasks_task t ON t.campaign_id = c.id
            GROUP BY c.id, a.balance
            HAVING a.balance <> COUNT(t.id) FILTER (WHERE t.status IN ('open', 'assigned'))
                   * (c.reward_cents + c.fee_cents)
            LIMIT 50
            """
        )
        return cursor.fetchall()
