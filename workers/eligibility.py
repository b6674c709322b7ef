"""Who may claim a task of a campaign: the one definition, for the feed and for the claim.

Two halves.

The worker's **standing** (:class:`Standing`) is everything about the worker that the rules
look at: their country, whether a moderator suspended them, their approved and reviewed work
over the success-rate window, the employers who blocked them, the campaigns where they
reached the per-worker cap (expired and released claims do not count; nor do check tasks),
the campaigns whose check tasks stopped them (``tasks.gold``), how many claims
they are working on, the qualifications they hold (passed tests), their level, the end of
a pause of their claims (``workers.sanctions``) and the employers' groups they are in
(private campaigns). It is read in ONE
query (:data:`STANDING_SQL`) — by the feed before it lists campaigns (:func:`standing_read`),
and by the claim inside its transaction, after its advisory lock, in the same statement that
locks the campaign row (``workers.claims``), so one worker's concurrent claims still see each
other. ``scope`` narrows the blocks and the caps to one campaign (the claim needs no more);
the feed reads them all.

The **rules** (:data:`RULES`, in the order a claim reports them) each state one condition
twice, side by side: ``allows(standing, now)``, a ``Q`` over Campaign's own columns, which
the feed filters by (:func:`eligible`), and ``refusal(campaign, standing, now)``, the
DomainError a claim raises for one campaign row (:func:`claim_refusal`). The success rate is
computed in Python from the standing's counts (:func:`rate`), never again in SQL: the feed
compares ``min_success_rate`` with the worker's number. tests/workers/
test_eligibility_property.py holds the two forms equal over generated workers and
campaigns: shown in the feed exactly when a claim succeeds.

Having an open task left is not a rule: the feed shows only campaigns with one, and a claim
finds out when it takes one (``no_task_left``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import and_

from django.conf import settings
from django.db import connections, router
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SanctionSide, SanctionStep, User
from accounts.timezones import format_time
from core.errors import DomainError
from tasks.models import (
    REVIEWED_STATUSES,
    WORKING_STATUSES,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Qualification,
)
from tasks.selectors import open_to_groups


def rate(approved: int, reviewed: int) -> int | None:
    """The success rate, in percent (Python's ``round``, half to even), of ``approved`` out
    of ``reviewed``; None before any review (such a worker passes every minimum)."""
    return None if not reviewed else round(100 * approved / reviewed)


@dataclass(frozen=True)
class Standing:
    """What the rules know about one worker (see the module's docstring)."""

    worker_id: int
    country: str  # ISO code, "" when the worker gave none
    suspended: bool
    approved: int  # over the last SUCCESS_RATE_WINDOW_DAYS
    reviewed: int  # approved or rejected (REVIEWED_STATUSES), same window
    working: int  # claims in WORKING_STATUSES, against MAX_OPEN_CLAIMS
    blocked_by: frozenset[int]  # employer ids (only the scope campaign's employer, if scoped)
    capped: frozenset[int]  # campaign ids at max_tasks_per_worker (only the scope's, if scoped)
    qualifications: frozenset[int] = frozenset()  # ids of the qualifications held
    level: int = 0  # workers.levels
    # campaign ids whose check tasks stopped the worker (tasks.gold; the scope's only, if scoped)
    stopped: frozenset[int] = frozenset()
    # the end of the pause of the worker's claims in force now (workers.sanctions), or None
    paused_until: datetime | None = None
    # ids of the employers' groups the worker is in (private campaigns: tasks.services.groups)
    groups: frozenset[int] = frozenset()

    @classmethod
    def from_row(cls, worker_id: int, row) -> Standing:
        """From the columns of :data:`STANDING_SQL`, in order."""
        (
            country,
            suspended,
            approved,
            reviewed,
            working,
            blocked_by,
            capped,
            held,
            level,
            stopped,
            paused_until,
            groups,
        ) = row
        return cls(
            worker_id,
            country or "",
            suspended,
            approved,
            reviewed,
            working,
            frozenset(blocked_by),
            frozenset(capped),
            frozenset(held),
            level,
            frozenset(stopped),
            paused_until,
            frozenset(groups),
        )

    @property
    def success_rate(self) -> int | None:
        return rate(self.approved, self.reviewed)


# The standing of worker %(worker)s, as of %(since)s (the start of the success-rate window);
# %(scope)s is a campaign id (blocks by its employer, the cap of it) or NULL (all of them).
# Raw SQL because the claim runs it on its hot path, inside its campaign statement
# (bench/claims.py); the feed runs the very same text. Statuses come as parameters
# (:func:`standing_values`).
STANDING_SQL = """
SELECT u.country AS country,
       EXISTS (SELECT 1 FROM accounts_suspension x
               WHERE x.user_id = u.id AND x.lifted_at IS NULL) AS suspended,
       w.approved, w.reviewed, w.working,
       ARRAY(SELECT b.employer_id FROM workers_block b
             WHERE b.worker_id = u.id
               AND (%(scope)s::bigint IS NULL OR b.employer_id =
                    (SELECT sc.employer_id FROM tasks_campaign sc WHERE sc.id = %(scope)s))
       ) AS blocked_by,
       ARRAY(SELECT d.campaign_id
             FROM tasks_assignment d JOIN tasks_campaign dc ON dc.id = d.campaign_id
             WHERE d.worker_id = u.id AND NOT d.status = ANY(%(gone)s) AND NOT d.is_gold
               AND (%(scope)s::bigint IS NULL OR d.campaign_id = %(scope)s)
             GROUP BY d.campaign_id, dc.max_tasks_per_worker
             HAVING COUNT(*) >= dc.max_tasks_per_worker) AS capped,
       ARRAY(SELECT h.qualification_id FROM tasks_heldqualification h
             WHERE h.worker_id = u.id) AS qualifications,
       u.level AS level,
       ARRAY(SELECT g.campaign_id FROM tasks_goldstop g
             WHERE g.worker_id = u.id AND g.lifted_at IS NULL
               AND (%(scope)s::bigint IS NULL OR g.campaign_id = %(scope)s)) AS stopped,
       (SELECT MAX(p.ends_at) FROM accounts_sanction p
        WHERE p.user_id = u.id AND p.side = %(worker_side)s AND p.step = %(pause)s
          AND p.lifted_at IS NULL AND p.ends_at > %(now)s) AS paused_until,
       ARRAY(SELECT m.group_id FROM tasks_groupmember m WHERE m.worker_id = u.id) AS groups
FROM accounts_user u, LATERAL (
    SELECT COUNT(*) FILTER (WHERE a.status = %(approved)s AND NOT a.is_gold
                            AND a.reviewed_at >= %(since)s) AS approved,
           COUNT(*) FILTER (WHERE a.status = ANY(%(reviewed)s) AND NOT a.is_gold
                            AND a.reviewed_at >= %(since)s) AS reviewed,
           COUNT(*) FILTER (WHERE a.status = ANY(%(working)s)) AS working
    FROM tasks_assignment a WHERE a.worker_id = u.id) w
WHERE u.id = %(worker)s
"""
STANDING_COLUMNS = 12
_STATUSES = {
    "approved": AssignmentStatus.APPROVED.value,
    "reviewed": [status.value for status in REVIEWED_STATUSES],
    "working": [status.value for status in WORKING_STATUSES],
    "gone": [AssignmentStatus.EXPIRED.value, AssignmentStatus.RELEASED.value],
    "worker_side": SanctionSide.WORKER.value,
    "pause": SanctionStep.PAUSE.value,
}


def standing_values(*, worker_id: int, scope: int | None, now: datetime) -> dict:
    """The parameters of :data:`STANDING_SQL`."""
    since = now - timedelta(days=settings.SUCCESS_RATE_WINDOW_DAYS)
    return {**_STATUSES, "worker": worker_id, "scope": scope, "since": since, "now": now}


def standing_read(worker: User, *, scope: int | None = None, now: datetime | None = None):
    """The worker's standing now, in one query: for every campaign, or for ``scope`` (a
    campaign id) only."""
    values = standing_values(worker_id=worker.pk, scope=scope, now=now or timezone.now())
    # The feed's replica when it reads there (core/db.py), else the primary.
    with connections[router.db_for_read(User)].cursor() as cursor:
        cursor.execute(STANDING_SQL, values)
        return Standing.from_row(worker.pk, cursor.fetchone())


# --- the rules ------------------------------------------------------------------------------

# A condition no campaign meets (Django answers it without asking the database).
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Rule:
    """One condition, for many campaigns (``allows``) and for one (``refusal``)."""

    name: str
    allows: Callable[[Standing, datetime], Q]
    refusal: Callable[[Campaign | None, Standing, datetime], DomainError | None]
    about_worker: bool = False  # the campaign does not matter: every campaign or none


def _suspended_refusal(campaign: Campaign | None, standing: Standing, now: datetime):
    if standing.suspended:
        return DomainError(
            "account_suspended",
            _("Your account is suspended: you cannot claim tasks."),
            status=403,
        )
    return None


def _paused_refusal(campaign: Campaign | None, standing: Standing, now: datetime):
    if standing.paused_until is not None and standing.paused_until > now:
        return DomainError(
            "claims_paused",
            _(
                "Your claims are paused until %(until)s: too much of your work was rejected "
                "after a warning. Your work in progress and your money are untouched. See why, "
                "and appeal, at %(url)s"
            )
            % {"until": format_time(standing.paused_until), "url": reverse("workers:warnings")},
            status=403,
        )
    return None


def _active_allows(standing: Standing, now: datetime) -> Q:
    return Q(status=CampaignStatus.ACTIVE) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def _active_refusal(campaign: Campaign, standing: Standing, now: datetime):
    if campaign.status != CampaignStatus.ACTIVE or (
        campaign.ends_at is not None and campaign.ends_at <= now
    ):
        return DomainError(
            "campaign_not_active", _("This campaign is not open for work."), status=409
        )
    return None


def _own_allows(standing: Standing, now: datetime) -> Q:
    return ~Q(employer_id=standing.worker_id)


def _own_refusal(campaign: Campaign, standing: Standing, now: datetime):
    if campaign.employer_id == standing.worker_id:
        return DomainError("own_campaign", _("You cannot work on your own campaign."), status=403)
    return None


def _private_allows(standing: Standing, now: datetime) -> Q:
    return open_to_groups(standing.groups)


def _private_refusal(campaign: Campaign, standing: Standing, now: datetime):
    if campaign.groups and not standing.groups.intersection(campaign.groups):
        return DomainError(
            "private_campaign",
            _("This campaign is open only to workers its employer chose."),
            status=403,
        )
    return None


def _country_allows(standing: Standing, now: datetime) -> Q:
    if not standing.country:  # a worker with no country: only campaigns open to all
        return Q(countries_include=[])
    return (Q(countries_include=[]) | Q(countries_include__contains=[standing.country])) & ~Q(
        countries_exclude__contains=[standing.country]
    )


def _country_refusal(campaign: Campaign, standing: Standing, now: datetime):
    country = standing.country
    if (campaign.countries_include and country not in campaign.countries_include) or (
        country and country in campaign.countries_exclude
    ):
        return DomainError(
            "not_eligible", _("This campaign is not open to your country."), status=403
        )
    return None


def _rate_allows(standing: Standing, now: datetime) -> Q:
    worker_rate = standing.success_rate
    return Q() if worker_rate is None else Q(min_success_rate__lte=worker_rate)


def _rate_refusal(campaign: Campaign, standing: Standing, now: datetime):
    worker_rate = standing.success_rate
    if worker_rate is not None and worker_rate < campaign.min_success_rate:
        return DomainError(
            "not_eligible",
            _("This campaign needs a success rate of %(rate)s%%.")
            % {"rate": campaign.min_success_rate},
            status=403,
        )
    return None


def _blocked_allows(standing: Standing, now: datetime) -> Q:
    return ~Q(employer_id__in=sorted(standing.blocked_by)) if standing.blocked_by else Q()


def _blocked_refusal(campaign: Campaign, standing: Standing, now: datetime):
    if campaign.employer_id in standing.blocked_by:
        return DomainError(
            "not_eligible", _("This employer does not take your work any more."), status=403
        )
    return None


def _cap_allows(standing: Standing, now: datetime) -> Q:
    return ~Q(pk__in=sorted(standing.capped)) if standing.capped else Q()


def _cap_refusal(campaign: Campaign, standing: Standing, now: datetime):
    if campaign.pk in standing.capped:
        return DomainError(
            "limit_reached",
            _("You have done as many tasks of this campaign as it allows."),
            status=409,
        )
    return None


def _gold_allows(standing: Standing, now: datetime) -> Q:
    return ~Q(pk__in=sorted(standing.stopped)) if standing.stopped else Q()


def _gold_refusal(campaign: Campaign, standing: Standing, now: datetime):
    if campaign.pk in standing.stopped:
        return DomainError(
            "gold_stopped",
            _(
                "Your answers to this campaign's check tasks were right too seldom, so it "
                "takes no more of your work. My work lists them: you can dispute each one."
            ),
            status=403,
        )
    return None


def _qualified_allows(standing: Standing, now: datetime) -> Q:
    # Every required qualification among those held (PostgreSQL's <@). Written with "none
    # required" apart: the planner guesses "<@" at 0.5 % of rows, and so, on its own, the
    # whole feed at a few dozen campaigns, which made it sort them all rather than read the
    # reward index until a page is full (bench/feed.py); "= '{}'" it reads from statistics.
    if not standing.qualifications:
        return Q(qualifications=[])
    return Q(qualifications=[]) | Q(qualifications__contained_by=sorted(standing.qualifications))


def _qualified_refusal(campaign: Campaign, standing: Standing, now: datetime):
    missing = set(campaign.qualifications) - standing.qualifications
    if missing:
        names = Qualification.objects.filter(pk__in=missing).values_list("name", flat=True)
        return DomainError(
            "qualification_required",
            _("This campaign is for workers who passed its test: %(names)s.")
            % {"names": ", ".join(sorted(names))},
            status=403,
        )
    return None


def _level_allows(standing: Standing, now: datetime) -> Q:
    return Q(min_level__lte=standing.level)


def _level_refusal(campaign: Campaign, standing: Standing, now: datetime):
    if standing.level < campaign.min_level:
        return DomainError(
            "level_required",
            _("This campaign is for workers at level %(level)s or above (see Levels).")
            % {"level": campaign.min_level},
            status=403,
        )
    return None


def _open_claims_refusal(campaign: Campaign | None, standing: Standing, now: datetime):
    if standing.working >= settings.MAX_OPEN_CLAIMS:
        return DomainError(
            "too_many_claims",
            _("Finish or give back one of your %(n)s open tasks first.")
            % {"n": settings.MAX_OPEN_CLAIMS},
            status=409,
        )
    return None


def _worker_rule(name: str, refusal) -> Rule:
    """A rule about the worker alone: every campaign or none."""
    return Rule(name, lambda s, now: NOTHING if refusal(None, s, now) else Q(), refusal, True)


RULES: tuple[Rule, ...] = (
    _worker_rule("suspended", _suspended_refusal),
    _worker_rule("paused", _paused_refusal),
    Rule("active", _active_allows, _active_refusal),
    Rule("own", _own_allows, _own_refusal),
    Rule("private", _private_allows, _private_refusal),
    Rule("country", _country_allows, _country_refusal),
    Rule("success_rate", _rate_allows, _rate_refusal),
    Rule("blocked", _blocked_allows, _blocked_refusal),
    Rule("cap", _cap_allows, _cap_refusal),
    Rule("gold", _gold_allows, _gold_refusal),
    Rule("level", _level_allows, _level_refusal),
    Rule("qualified", _qualified_allows, _qualified_refusal),
    # A worker at MAX_OPEN_CLAIMS may claim nothing, so the feed shows them nothing: it lists
    # what they may claim now (the page says why it is empty: worker_refusal).
    _worker_rule("open_claims", _open_claims_refusal),
)


def eligible(standing: Standing, now: datetime, *, but: tuple[str, ...] = ()) -> Q:
    """The campaigns whose tasks this worker may claim now (an open task aside); with
    ``but``, the rules so named set aside (the campaigns a passed test would open)."""
    return reduce(and_, (rule.allows(standing, now) for rule in RULES if rule.name not in but))


def claim_refusal(
    campaign: Campaign, standing: Standing, now: datetime | None = None
) -> DomainError | None:
    """Why the worker of ``standing`` may not claim from ``campaign`` now (the first rule
    that refuses, in :data:`RULES` order), or None. ``standing`` must cover the campaign
    (read for all campaigns, or scoped to this one)."""
    now = now or timezone.now()
    for rule in RULES:
        refusal = rule.refusal(campaign, standing, now)
        if refusal is not None:
            return refusal
    return None


def worker_refusal(standing: Standing) -> DomainError | None:
    """Why the worker may claim from no campaign at all (suspended, too many open claims),
    or None: what an empty feed should say."""
    now = timezone.now()
    for rule in RULES:
        error = rule.refusal(None, standing, now) if rule.about_worker else None
        if error is not None:
            return error
    return None
