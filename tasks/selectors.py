"""Reads of the work loop: the worker's feed, employers' track records, review queues."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from payments.selectors import Violation

from .models import (
    OVERTURNED_OUTCOMES,
    REVIEWED_STATUSES,
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Dispute,
    TaskStatus,
)

FEED_SORTS = {"reward": ("-reward_cents", "-id"), "newest": ("-launched_at", "-id")}


def _count(queryset: QuerySet) -> Subquery:
    return Subquery(
        queryset.order_by().values(group=Value(1)).annotate(n=Count("id")).values("n")[:1],
        output_field=IntegerField(),
    )


def with_employer_stats(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Each campaign's employer's track record, for workers to judge: approved and reviewed
    counts, the average time from submission to review, across all their campaigns, and
    how many of their rejections were overturned (by a moderator or by themselves)."""
    theirs = Assignment.objects.filter(campaign__employer=OuterRef("employer"))
    reviewed = theirs.filter(status__in=REVIEWED_STATUSES)
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
        employer_overturned=Coalesce(
            _count(
                Dispute.objects.filter(
                    assignment__campaign__employer=OuterRef("employer"),
                    outcome__in=OVERTURNED_OUTCOMES,
                )
            ),
            0,
        ),
    )


def feed(*, worker: User, category: str | None = None, sort: str = "reward") -> QuerySet[Campaign]:
    """Active campaigns with an open task this worker may claim now, best first.

    Country rules, the success-rate minimum (the worker's rate computed inside the query,
    as :func:`workers.selectors.success_rate` does), the per-worker cap, employers' blocks
    and the worker's own campaigns are all applied in the one query. Each row carries
    ``open_tasks``; the employer's stats are NOT in it: call :func:`employer_stats_attach`
    on the page's campaigns (one more query per page).

    The eligibility rules are one fixed SQL condition rather than ORM expressions: the
    feed is the busiest page, and building and compiling its subqueries cost more than
    running them (bench/feed.py).
    """
    now = timezone.now()
    country = worker.country.code if worker.country else ""
    since = now - timedelta(days=settings.SUCCESS_RATE_WINDOW_DAYS)
    condition = _FEED_ELIGIBLE
    params = [now, worker.pk, worker.pk, since, worker.pk, worker.pk, worker.pk]
    if country:
        condition += _FEED_COUNTRY
        params += [json.dumps([country]), json.dumps([country])]
    else:
        condition += _FEED_NO_COUNTRY
    eligible = RawSQL(condition, params, output_field=BooleanField())  # noqa: S611  (fixed SQL)
    campaigns = Campaign.objects.filter(eligible, status=CampaignStatus.ACTIVE)
    if category:
        campaigns = campaigns.filter(category__slug=category)
    open_tasks = RawSQL(_FEED_OPEN_TASKS, (), output_field=IntegerField())  # noqa: S611  (fixed)
    return (
        campaigns.annotate(open_tasks=open_tasks)
        .select_related("category", "employer")
        .order_by(*FEED_SORTS.get(sort, FEED_SORTS["reward"]))
    )


_REVIEWED = ", ".join(f"'{status.value}'" for status in REVIEWED_STATUSES)
# The feed's rules, on the query's own table (Django names it "tasks_campaign"). In order:
# not past its end date; an open task left; not the worker's own; not blocked by the
# employer; the worker's success rate (approved / reviewed over the window, rounded half to
# even like Python's round(), 100 before any review) reaches the minimum; fewer tasks held or
# done than the per-worker cap (expired and released claims do not count; the campaigns at
# their cap are found once, for the worker, rather than counted again on every row); the
# worker not suspended by a moderator (nothing at all for them then).
_FEED_ELIGIBLE = f"""
("tasks_campaign"."ends_at" IS NULL OR "tasks_campaign"."ends_at" > %s)
AND EXISTS (SELECT 1 FROM tasks_task t WHERE t.campaign_id = "tasks_campaign"."id"
            AND t.status = '{TaskStatus.OPEN.value}')
AND "tasks_campaign"."employer_id" <> %s
AND NOT EXISTS (SELECT 1 FROM workers_block b WHERE b.employer_id = "tasks_campaign"."employer_id"
                AND b.worker_id = %s)
AND "tasks_campaign"."min_success_rate" <= (
    SELECT CASE WHEN r.reviewed = 0 THEN 100
                ELSE 100 * r.approved / r.reviewed
                     + CASE WHEN 2 * (100 * r.approved %% r.reviewed) > r.reviewed
                                 OR (2 * (100 * r.approved %% r.reviewed) = r.reviewed
                                     AND 100 * r.approved / r.reviewed %% 2 = 1)
                            THEN 1 ELSE 0 END END
    FROM (SELECT COUNT(*) FILTER (WHERE a.status = '{AssignmentStatus.APPROVED.value}') AS approved,
                 COUNT(*) AS reviewed
          FROM tasks_assignment a
          WHERE a.reviewed_at >= %s AND a.worker_id = %s
            AND a.status IN ({_REVIEWED})) r)
AND "tasks_campaign"."id" NOT IN (
    SELECT m.campaign_id FROM tasks_assignment m JOIN tasks_campaign mc ON mc.id = m.campaign_id
    WHERE m.worker_id = %s AND m.status NOT IN ('{AssignmentStatus.EXPIRED.value}',
                                                '{AssignmentStatus.RELEASED.value}')
    GROUP BY m.campaign_id, mc.max_tasks_per_worker HAVING COUNT(*) >= mc.max_tasks_per_worker)
AND NOT EXISTS (SELECT 1 FROM accounts_suspension s WHERE s.user_id = %s
                AND s.lifted_at IS NULL)
"""  # noqa: S608  (fixed values, the worker's through parameters)
_FEED_COUNTRY = """
AND ("tasks_campaign"."countries_include" = '[]'::jsonb
     OR "tasks_campaign"."countries_include" @> %s::jsonb)
AND NOT "tasks_campaign"."countries_exclude" @> %s::jsonb
"""
_FEED_NO_COUNTRY = """
AND "tasks_campaign"."countries_include" = '[]'::jsonb
"""
_FEED_OPEN_TASKS = f"""
SELECT COUNT(*) FROM tasks_task t WHERE t.campaign_id = "tasks_campaign"."id"
AND t.status = '{TaskStatus.OPEN.value}'
"""  # noqa: S608  (a fixed value)


def employer_stats_attach(campaigns: Iterable[Campaign]) -> list[Campaign]:
    """Set on each campaign its employer's track record, as :func:`with_employer_stats`
    annotates it (``employer_approved``, ``employer_reviewed``, ``employer_time_to_rate``,
    ``employer_overturned``),
    in ONE grouped query for all their employers (none for no campaigns): for a page of
    the feed, after it is fetched, instead of three correlated subqueries in the page's
    query (whose building and compiling cost more than the database's work). Returns the
    campaigns as a list."""
    campaigns = list(campaigns)
    employers = sorted({campaign.employer_id for campaign in campaigns})
    stats = {}
    if employers:
        with connection.cursor() as cursor:
            cursor.execute(_EMPLOYER_STATS_SQL, [employers])
            stats = {row[0]: row[1:] for row in cursor.fetchall()}
    for campaign in campaigns:
        (
            campaign.employer_approved,
            campaign.employer_reviewed,
            campaign.employer_time_to_rate,
            campaign.employer_overturned,
        ) = stats.get(campaign.employer_id, (0, 0, None, 0))
    return campaigns


_OVERTURNED = ", ".join(f"'{outcome.value}'" for outcome in OVERTURNED_OUTCOMES)
_EMPLOYER_STATS_SQL = f"""
SELECT c.employer_id,
       COUNT(*) FILTER (WHERE a.status = '{AssignmentStatus.APPROVED.value}'),
       COUNT(*),
       AVG(a.reviewed_at - a.submitted_at),
       COUNT(d.id) FILTER (WHERE d.outcome IN ({_OVERTURNED}))
FROM tasks_assignment a JOIN tasks_campaign c ON c.id = a.campaign_id
LEFT JOIN tasks_dispute d ON d.assignment_id = a.id
WHERE c.employer_id = ANY(%s)
  AND a.status IN ({_REVIEWED})
GROUP BY c.employer_id
"""  # noqa: S608  (fixed status values, no input)


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


def escrow_violations() -> list[Violation]:
    """Campaigns whose escrow differs from what their unpaid tasks still owe (tasks open or
    assigned — rejected ones inside their dispute window too — times reward + fee).
    Registered with payments' ledger check (``TasksConfig.ready``)."""
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
        return [
            Violation("escrow", f"campaign {pk}: escrow {balance}, unpaid tasks owe {owed}")
            for pk, balance, owed in cursor.fetchall()
        ]


def screenshot_duplicates(*, campaign_id: int, phashes: list[int]) -> dict[int, int]:
    """For each perceptual hash, the oldest screenshot already sent to the campaign that looks
    the same (at most ``SCREENSHOT_DUPLICATE_DISTANCE`` bits differ): ``{phash: screenshot
    id}``, hashes without one left out. One query, the distance counted by PostgreSQL."""
    if not phashes:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT h.phash, (
                SELECT s.id FROM tasks_screenshot s
                JOIN tasks_submission sub ON sub.id = s.submission_id
                JOIN tasks_assignment a ON a.id = sub.assignment_id
                WHERE a.campaign_id = %s
                  AND bit_count((s.phash # h.phash)::bit(64)) <= %s
                ORDER BY s.id LIMIT 1)
            FROM unnest(%s::bigint[]) AS h(phash)
            """,
            [campaign_id, settings.SCREENSHOT_DUPLICATE_DISTANCE, sorted(set(phashes))],
        )
        return {phash: pk for phash, pk in cursor.fetchall() if pk is not None}
