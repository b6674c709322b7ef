"""A worker's reputation, computed from their assignments (never stored, so never stale); the
worker's feed; an employer's blocks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db.models import BooleanField, Count, Exists, IntegerField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from tasks.models import (
    REJECTED_STATUSES,
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignText,
    TaskStatus,
)
from tasks.search import QUERY_CONFIG, search_query, tsquery_text

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


@dataclass(frozen=True)
class FeedFilters:
    """What a worker narrows the feed to (all optional): words (``tasks.search``), a
    category, a reward range in cents, and campaigns they have not worked on yet. A saved
    search is one of these with a name (``SavedSearch.filters``)."""

    q: str = ""
    category: str | None = None
    min_reward_cents: int | None = None
    max_reward_cents: int | None = None
    hide_done: bool = False

    def __post_init__(self) -> None:
        """The one rule over the fields together (the forms and serializers bound each)."""
        low, high = self.min_reward_cents, self.max_reward_cents
        if low is not None and high is not None and low > high:
            raise DomainError(
                "invalid",
                _("The highest reward must not be below the lowest."),
                field="max_reward_cents",
            )

    @property
    def is_empty(self) -> bool:
        return self == FeedFilters()

    def narrow(self, campaigns: QuerySet[Campaign], worker_id: int) -> QuerySet[Campaign]:
        if tsquery_text(self.q) is not None:
            campaigns = campaigns.filter(_words(self.q))
        if self.category:
            campaigns = campaigns.filter(category__slug=self.category)
        if self.min_reward_cents is not None:
            campaigns = campaigns.filter(reward_cents__gte=self.min_reward_cents)
        if self.max_reward_cents is not None:
            campaigns = campaigns.filter(reward_cents__lte=self.max_reward_cents)
        if self.hide_done:
            campaigns = campaigns.exclude(_done_by(worker_id))
        return campaigns


def feed(
    *,
    worker: User,
    category: str | None = None,
    sort: str = "reward",
    standing: Standing | None = None,
    filters: FeedFilters | None = None,
) -> QuerySet[Campaign]:
    """Campaigns with an open task that this worker may claim now, best first.

    Who may claim what is ``workers.eligibility``'s: the worker's standing (read here in one
    query unless the caller passes it) turned into conditions on the campaigns' own
    columns, the very rules a claim checks. ``filters`` (:class:`FeedFilters`; ``category``
    alone for short) narrow it to what the worker looks for. Each row carries
    ``open_tasks``; the employer's stats are NOT in it: call
    ``tasks.selectors.employer_stats_attach`` on the page's campaigns (one more query per
    page).
    """
    now = timezone.now()
    standing = standing or standing_read(worker, now=now)
    campaigns = Campaign.objects.filter(eligible(standing, now), _has_open_task())
    filters = filters or FeedFilters()
    if category:
        filters = replace(filters, category=category)
    campaigns = filters.narrow(campaigns, worker.pk)
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


# Campaigns a search may match and still be looked up by id (see _words).
FEW_MATCHES = 400
# The campaign's words checked row by row, as the feed reads campaigns in its order: the
# OFFSET 0 keeps PostgreSQL from turning it into a join it would plan on a guess.
# (QUERY_CONFIG is a constant of tasks.search, no input.)
_WORDS_CHECK = (
    'EXISTS (SELECT 1 FROM tasks_campaigntext x WHERE x.campaign_id = "tasks_campaign"."id"'  # noqa: S608
    f" AND x.vector @@ to_tsquery('{QUERY_CONFIG}', %s) OFFSET 0)"
)


def _words(text: str) -> Q:
    """Campaigns whose words match the search ``text`` (``tasks.search``), said so that
    the plan fits how many there are, which PostgreSQL's estimates of several words (taken
    as unrelated) or of prefixes miss by ten times either way (bench/feed.py). First the
    matching campaigns' ids, from the GIN index, at most FEW_MATCHES + 1 of them (one
    short query): few, and the feed reads just those by id; many, and it reads campaigns in
    its own order checking each one's words until the page is full, which many matches
    make short."""
    ids = list(
        CampaignText.objects.filter(vector=search_query(text)).values_list(
            "campaign_id", flat=True
        )[: FEW_MATCHES + 1]
    )
    if len(ids) <= FEW_MATCHES:  # one array parameter, not an IN list of hundreds
        return Q(RawSQL('"tasks_campaign"."id" = ANY(%s)', (ids,), output_field=BooleanField()))
    return Q(RawSQL(_WORDS_CHECK, (tsquery_text(text),), output_field=BooleanField()))  # noqa: S611


def _done_by(worker_id: int) -> Exists:
    """Campaigns the worker has worked on (hide_done): any assignment but those given back
    or let expire, as the per-worker cap counts them (check tasks, unseen, count too)."""
    return Exists(
        Assignment.objects.filter(campaign=OuterRef("pk"), worker_id=worker_id).exclude(
            status__in=(AssignmentStatus.EXPIRED, AssignmentStatus.RELEASED)
        )
    )


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
