"""Reads of the work loop: employers' track records, review queues, the escrow check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db import connection, connections, router, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from core.errors import not_found
from payments.selectors import Subject, Violation

from .gold import Accuracy
from .models import (
    GOLD_ANSWERED_STATUSES,
    OVERTURNED_OUTCOMES,
    REJECTED_STATUSES,
    REVIEWED_STATUSES,
    Assignment,
    AssignmentStatus,
    Campaign,
    GoldStop,
    GroupMember,
    HeldQualification,
    Qualification,
    QualificationAttempt,
    WorkerGroup,
)

_REVIEWED = ", ".join(f"'{status.value}'" for status in REVIEWED_STATUSES)


@dataclass(frozen=True)
class EmployerStats:
    """An employer's track record across all their campaigns, as workers and moderators see
    it: work approved, reviewed (approved or rejected, REVIEWED_STATUSES) and in dispute,
    the average time from submission to review, and rejections overturned (by a moderator
    or by the employer). A rejection under dispute counts as a rejection in the approval
    rate until the dispute is decided (``rated``), and is shown apart as ``disputed``: one
    definition for the feed, the campaign page and the moderators' pages. And how workers
    rated the employer (``tasks.services.ratings``): the visible ratings' count and their
    average (the mean of each rating's three scores, to one decimal; None before any)."""

    approved: int = 0
    reviewed: int = 0
    time_to_rate: timedelta | None = None
    overturned: int = 0
    disputed: int = 0
    rating_count: int = 0
    rating_average: float | None = None

    @property
    def rejected(self) -> int:
        return self.reviewed - self.approved

    @property
    def rated(self) -> int:
        """Work reviewed, rejections under dispute included."""
        return self.reviewed + self.disputed

    @property
    def approval_rate(self) -> int | None:
        """Percent of rated work approved (a rejection under dispute is not an approval until
        a moderator or the employer says so); None before any review."""
        return round(100 * self.approved / self.rated) if self.rated else None


# An employer's record is counted over all their reviewed work: some milliseconds per
# thousand tasks, on every feed page and campaign page. So it is kept in the cache, and
# forgotten whenever one of its numbers may change (:func:`employer_stats_forget`, called by
# every move into a reviewed status, and by every rating given, changed or hidden); the
# time bounds what a race between a page's read
# and a review can leave behind.
EMPLOYER_STATS_CACHE_SECONDS = 300


def _stats_key(employer_id: int) -> str:
    # v2: with the ratings (a record cached in the shape before them is not read back).
    return f"employer-stats:v2:{employer_id}"


def employer_stats(employer_ids: Iterable[int]) -> dict[int, EmployerStats]:
    """Each employer's :class:`EmployerStats`: from the cache, and the others in ONE grouped
    query for all of them (none when all are cached); an employer with no reviewed work gets
    the empty record."""
    employers = sorted(set(employer_ids))
    if not employers:
        return {}
    cached = cache.get_many([_stats_key(pk) for pk in employers])
    stats = {
        pk: EmployerStats(*cached[_stats_key(pk)]) for pk in employers if _stats_key(pk) in cached
    }
    missing = [pk for pk in employers if pk not in stats]
    if missing:
        counted = dict.fromkeys(missing, EmployerStats())
        # The feed's replica when it reads there (core/db.py), else the primary.
        with connections[router.db_for_read(Assignment)].cursor() as cursor:
            cursor.execute(_EMPLOYER_STATS_SQL, {"employers": missing})
            counted.update((row[0], EmployerStats(*row[1:])) for row in cursor.fetchall())
        cache.set_many(
            {_stats_key(pk): astuple(record) for pk, record in counted.items()},
            EMPLOYER_STATS_CACHE_SECONDS,
        )
        stats.update(counted)
    return stats


def employer_stats_forget(employer_ids: Iterable[int]) -> None:
    """Drop these employers' cached records: now, and again when the open transaction
    commits (a page that read the old numbers meanwhile may have cached them again)."""
    keys = [_stats_key(pk) for pk in set(employer_ids)]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def employer_stats_attach(campaigns: Iterable[Campaign]) -> list[Campaign]:
    """Set on each campaign its employer's record (:func:`employer_stats`) as
    ``employer_stats``: for a page of the feed, after it is fetched (one query for the page,
    instead of correlated subqueries in the page's query, whose building and compiling cost
    more than the database's work — bench/feed.py), and for one campaign's page. Returns the
    campaigns as a list."""
    campaigns = list(campaigns)
    stats = employer_stats(campaign.employer_id for campaign in campaigns)
    for campaign in campaigns:
        campaign.employer_stats = stats[campaign.employer_id]
    return campaigns


_OVERTURNED = ", ".join(f"'{outcome.value}'" for outcome in OVERTURNED_OUTCOMES)
_DISPUTED = AssignmentStatus.DISPUTED.value
# In EmployerStats' field order. An overturned rejection's assignment is approved by then.
# The work and the visible ratings are counted apart and joined by employer (still one
# query: the feed's page costs the same with ratings as without).
_EMPLOYER_STATS_SQL = f"""
WITH work AS (
    SELECT c.employer_id,
           COUNT(*) FILTER (WHERE a.status = '{AssignmentStatus.APPROVED.value}') AS approved,
           COUNT(*) FILTER (WHERE a.status IN ({_REVIEWED})) AS reviewed,
           AVG(a.reviewed_at - a.submitted_at) FILTER (WHERE a.status IN ({_REVIEWED}))
               AS time_to_rate,
           COUNT(d.id) FILTER (WHERE d.outcome IN ({_OVERTURNED})) AS overturned,
           COUNT(*) FILTER (WHERE a.status = '{_DISPUTED}') AS disputed
    FROM tasks_assignment a JOIN tasks_campaign c ON c.id = a.campaign_id
    LEFT JOIN tasks_dispute d ON d.assignment_id = a.id
    WHERE c.employer_id = ANY(%(employers)s) AND NOT a.is_gold
      AND a.status IN ({_REVIEWED}, '{_DISPUTED}')
    GROUP BY c.employer_id
), rated AS (
    SELECT employer_id, COUNT(*) AS rating_count,
           ROUND(AVG((pay + clarity + speed) / 3.0), 1)::float8 AS rating_average
    FROM tasks_employerrating
    WHERE employer_id = ANY(%(employers)s) AND hidden_at IS NULL
    GROUP BY employer_id
)
SELECT COALESCE(w.employer_id, r.employer_id), COALESCE(w.approved, 0),
       COALESCE(w.reviewed, 0), w.time_to_rate, COALESCE(w.overturned, 0),
       COALESCE(w.disputed, 0), COALESCE(r.rating_count, 0), r.rating_average
FROM work w FULL JOIN rated r ON r.employer_id = w.employer_id
"""  # noqa: S608  (fixed status values, no input)


def campaign_subjects(ids: list[int], user) -> dict[int, Subject]:
    """The wallet's names for campaigns (``campaign:<id>`` movements): the title, linked to
    the campaign's page for its employer (registered in ``TasksConfig.ready``)."""
    from django.urls import reverse

    campaigns = Campaign.objects.filter(pk__in=ids).values_list("pk", "title", "employer_id")
    return {
        pk: Subject(title, reverse("tasks:campaign_manage", args=[pk]) if owner == user.pk else "")
        for pk, title, owner in campaigns
    }


def assignment_subjects(ids: list[int], user) -> dict[int, Subject]:
    """The wallet's names for tasks (``assignment:<id>`` movements): the campaign's title,
    linked to the worker's assignment page for the worker, to the review queue at that
    submission for the employer."""
    from django.urls import reverse

    rows = Assignment.objects.filter(pk__in=ids).values_list(
        "pk", "worker_id", "campaign_id", "campaign__title", "campaign__employer_id"
    )
    subjects = {}
    for pk, worker_id, campaign_id, title, employer_id in rows:
        url = ""
        if worker_id == user.pk:
            url = reverse("workers:assignment", args=[pk])
        elif employer_id == user.pk:
            url = reverse("tasks:campaign_manage", args=[campaign_id]) + f"#assignment-{pk}"
        subjects[pk] = Subject(title, url)
    return subjects


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


def gold_violations() -> list[Violation]:
    """Check tasks paid otherwise than once, by Kaaj, at their campaign's reward: every
    approved check task has its ``gold_payment`` (and no other task has one), of the reward.
    Registered with payments' ledger check (``TasksConfig.ready``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, a.is_gold, a.status, m.kind, SUM(t.amount)
            FROM tasks_assignment a
            JOIN tasks_campaign c ON c.id = a.campaign_id
            LEFT JOIN payments_movement m ON m.idempotency_key = 'approve:assignment:' || a.id
            LEFT JOIN payments_transfer t ON t.movement_id = m.id
            WHERE a.is_gold
            GROUP BY a.id, a.status, c.reward_cents, m.kind
            HAVING (a.status = 'approved') <> (m.kind IS NOT DISTINCT FROM 'gold_payment')
                OR (a.status = 'approved' AND SUM(t.amount) <> c.reward_cents)
            UNION ALL
            SELECT a.id, a.is_gold, a.status, m.kind, NULL
            FROM payments_movement m
            JOIN tasks_assignment a ON 'assignment:' || a.id = m.reference
            WHERE m.kind = 'gold_payment' AND NOT a.is_gold
            LIMIT 50
            """
        )
        return [
            Violation("gold", f"assignment {pk}: check task {gold}, {status}, paid {kind} {paid}")
            for pk, gold, status, kind, paid in cursor.fetchall()
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


def qualifications_usable(employer) -> QuerySet[Qualification]:
    """The tests an employer's campaigns may require: their own open ones and the
    platform's."""
    return Qualification.objects.filter(is_active=True).filter(
        Q(owner=employer) | Q(owner__isnull=True)
    )


def qualifications_for(user) -> QuerySet[Qualification]:
    """The tests ``user`` may see, each with ``held`` (they passed it) and ``last_attempt``
    (when they last tried it): every open test, and their own (and, for a moderator, the
    platform's) open or retired. Owner loaded; one query."""
    visible = Q(is_active=True) | Q(owner=user)
    if user.is_moderator:
        visible |= Q(owner__isnull=True)
    return (
        Qualification.objects.filter(visible)
        .select_related("owner")
        .annotate(
            held=Exists(
                HeldQualification.objects.filter(qualification=OuterRef("pk"), worker=user)
            ),
            last_attempt=Subquery(
                QualificationAttempt.objects.filter(qualification=OuterRef("pk"), worker=user)
                .order_by("-created_at")
                .values("created_at")[:1]
            ),
        )
        .order_by("owner_id", "name", "id")
    )


def qualification_of(user, pk: int) -> Qualification:
    """One test ``user`` may see (:func:`qualifications_for`), or DomainError not_found."""
    found = qualifications_for(user).filter(pk=pk).first()
    if found is None:
        raise not_found()
    return found


def qualifications_named(ids) -> list[Qualification]:
    """The tests of these ids, by name (a campaign's requirements, to show)."""
    return list(Qualification.objects.filter(pk__in=list(ids)).order_by("name", "id"))


# --- employers who reject far more than the platform ------------------------------------------

# The statuses that count as rejected for flags and warnings: a disputed rejection still
# counts until a moderator or the employer overturns it (then the assignment is approved).
REJECTED_OR_DISPUTED = tuple(s.value for s in (*REJECTED_STATUSES, AssignmentStatus.DISPUTED))
_REVIEWED_OR_DISPUTED = (AssignmentStatus.APPROVED.value, *REJECTED_OR_DISPUTED)

# %(employers)s narrows the result to these employers (NULL: all); the platform's rate is
# always everybody's.
_EMPLOYER_FLAG_SQL = """
WITH reviewed AS (
    SELECT c.employer_id, a.status = ANY(%(rejected)s) AS rejected
    FROM tasks_assignment a JOIN tasks_campaign c ON c.id = a.campaign_id
    WHERE a.reviewed_at >= %(since)s AND a.status = ANY(%(reviewed)s) AND NOT a.is_gold
), platform AS (
    SELECT 100.0 * COUNT(*) FILTER (WHERE rejected) / NULLIF(COUNT(*), 0) AS rate FROM reviewed
)
SELECT u.*, COUNT(*) AS reviewed_count, COUNT(*) FILTER (WHERE r.rejected) AS rejected_count,
       ROUND(100.0 * COUNT(*) FILTER (WHERE r.rejected) / COUNT(*)) AS rejection_rate,
       ROUND(MAX(p.rate)) AS platform_rate
FROM reviewed r CROSS JOIN platform p JOIN accounts_user u ON u.id = r.employer_id
WHERE %(employers)s::bigint[] IS NULL OR r.employer_id = ANY(%(employers)s)
GROUP BY u.id
HAVING COUNT(*) >= %(min_reviewed)s
   AND 100.0 * COUNT(*) FILTER (WHERE r.rejected) / COUNT(*) >= %(factor)s * MAX(p.rate)
   AND 100.0 * COUNT(*) FILTER (WHERE r.rejected) / COUNT(*) >= MAX(p.rate) + %(points)s
ORDER BY rejection_rate DESC, reviewed_count DESC, u.id
LIMIT %(limit)s
"""


def rejecting_employers(
    *, employer_ids: list[int] | None = None, limit: int | None = None, now=None
) -> list[User]:
    """Employers who reviewed at least FLAG_EMPLOYER_MIN_REVIEWED submissions in the last
    FLAG_WINDOW_DAYS and rejected far more of them than the platform does (at least FACTOR
    times its rate and POINTS points above it), check tasks aside: the moderators' flag and
    the employers' ladder of warnings (``workers.sanctions``). Users with ``reviewed_count``,
    ``rejected_count``, ``rejection_rate`` and ``platform_rate`` (percent), the highest rate
    first; only ``employer_ids`` if given; one grouped query."""
    now = now or timezone.now()
    return list(
        User.objects.raw(
            _EMPLOYER_FLAG_SQL,
            {
                "since": now - timedelta(days=settings.FLAG_WINDOW_DAYS),
                "reviewed": list(_REVIEWED_OR_DISPUTED),
                "rejected": list(REJECTED_OR_DISPUTED),
                "employers": employer_ids,
                "min_reviewed": settings.FLAG_EMPLOYER_MIN_REVIEWED,
                "factor": settings.FLAG_EMPLOYER_REJECTION_FACTOR,
                "points": settings.FLAG_EMPLOYER_REJECTION_POINTS,
                "limit": limit,
            },
        )
    )


# --- check tasks (tasks.gold) -------------------------------------------------------------------


def _gold_answers(**filters) -> QuerySet[Assignment]:
    return Assignment.objects.filter(is_gold=True, status__in=GOLD_ANSWERED_STATUSES, **filters)


def gold_accuracy(*, campaign_id: int, worker_id: int) -> Accuracy:
    """One worker's answers to one campaign's check tasks."""
    counts = _gold_answers(campaign_id=campaign_id, worker_id=worker_id).aggregate(
        answered=Count("id"), right=Count("id", filter=Q(status=AssignmentStatus.APPROVED))
    )
    return Accuracy(counts["answered"], counts["right"])


@dataclass(frozen=True)
class GoldRow:
    """A worker's line in a campaign's check-task accuracy (the employer's page)."""

    worker: User
    accuracy: Accuracy
    stopped: bool


def gold_accuracies(campaign: Campaign) -> list[GoldRow]:
    """Every worker who answered the campaign's check tasks: least accurate first. Three
    queries (answers, stops, workers), however many workers."""
    counts = (
        _gold_answers(campaign=campaign)
        .values("worker")
        .annotate(
            answered=Count("id"), right=Count("id", filter=Q(status=AssignmentStatus.APPROVED))
        )
        .order_by()
    )
    counts = {row["worker"]: Accuracy(row["answered"], row["right"]) for row in counts}
    stopped = set(
        GoldStop.objects.filter(campaign=campaign, lifted_at=None).values_list("worker", flat=True)
    )
    workers = User.objects.in_bulk(list(counts))
    rows = [GoldRow(workers[pk], accuracy, pk in stopped) for pk, accuracy in counts.items()]
    return sorted(rows, key=lambda row: (row.accuracy.right / row.accuracy.answered, row.worker.pk))


# --- groups of chosen workers -----------------------------------------------------------------


def groups_of(owner) -> QuerySet[WorkerGroup]:
    """The employer's groups, by name, each with ``member_count`` (one query)."""
    return (
        WorkerGroup.objects.filter(owner=owner)
        .annotate(member_count=Count("members"))
        .order_by("name", "id")
    )


def group_of(owner, pk: int) -> WorkerGroup:
    """One of the employer's groups (:func:`groups_of`), or DomainError not_found."""
    found = groups_of(owner).filter(pk=pk).first()
    if found is None:
        raise not_found()
    return found


def group_members(group: WorkerGroup) -> QuerySet[GroupMember]:
    """A group's members, newest first, each with its worker (one query)."""
    return GroupMember.objects.filter(group=group).select_related("worker")


def groups_named(ids) -> list[WorkerGroup]:
    """The groups of these ids, by name (a private campaign's groups, to show)."""
    return list(WorkerGroup.objects.filter(pk__in=list(ids)).order_by("name", "id"))


def open_to_groups(groups) -> Q:
    """Campaigns open to everyone, or to one of these groups (ids) of chosen workers: the
    condition of ``workers.eligibility``'s rule "private", and of who may see such a
    campaign at all."""
    return Q(groups=[]) | Q(groups__overlap=sorted(groups)) if groups else Q(groups=[])


def open_to_member(worker) -> Q:
    """:func:`open_to_groups` for the groups ``worker`` is in, inside the same query (who may
    see a campaign's page)."""
    member_of = GroupMember.objects.filter(worker=worker).values("group_id")
    return Q(groups=[]) | Q(groups__overlap=ArraySubquery(member_of))
