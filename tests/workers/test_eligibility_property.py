"""The feed and the claim agree: a campaign is in a worker's feed exactly when the worker's
claim on it succeeds, over generated workers and campaigns (workers.eligibility).

Each example builds one campaign (with an open task, so ``no_task_left`` never decides) and
the worker's history around it — country, suspensions, reviews in and out of the
success-rate window at the rounding edges (2/3, 1/8, 5/8 ...), blocks, earlier claims of the
campaign in every status against its cap, open claims elsewhere against MAX_OPEN_CLAIMS, the
qualifications the campaign requires against those the worker holds, the worker's level
against the campaign's minimum, a pause of the worker's claims (in force, ended or lifted), a
stop by the campaign's check tasks (standing, lifted, or from another campaign), the
groups a private campaign is open to against those the worker is in — then asks the feed,
the campaign page's refusal and the claim itself. The people are built once; each example
runs in a savepoint rolled back at its end. ``derandomize``: the same examples on every run
and machine.

A plain test pins the success-rate minimum to numbers worked out by hand.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Sanction, SanctionSide, SanctionStep, Suspension
from accounts.selectors import is_suspended
from core.errors import DomainError
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Category,
    GoldStop,
    GroupMember,
    HeldQualification,
    Qualification,
    QualificationAttempt,
    Task,
    TaskStatus,
    WorkerGroup,
)
from workers.claims import task_claim
from workers.eligibility import claim_refusal, standing_read
from workers.models import Block
from workers.selectors import feed, success_rate

from ..factories import UserFactory
from ..refusals import refused

pytestmark = pytest.mark.django_db

A = AssignmentStatus
COUNTRIES = ["BD", "IN", "US"]
# Minimums at the rounding edges of small histories: 1/8 = 12.5 → 12 (half to even), 1/3 →
# 33, 3/8 = 37.5 → 38, 5/8 = 62.5 → 62, 2/3 → 67.
EDGES = [0, 12, 13, 33, 34, 37, 38, 62, 63, 66, 67, 68, 99, 100]
# Statuses an earlier assignment of this campaign may be in (expired and released ones do not
# count against the cap; claimed and revision_requested ones are open claims too).
EARLIER = [A.CLAIMED, A.SUBMITTED, A.REVISION_REQUESTED, A.APPROVED, A.REJECTED, A.CLOSED]
EARLIER += [A.DISPUTED, A.EXPIRED, A.RELEASED]
MAX = django_settings.MAX_OPEN_CLAIMS
REFUSALS = {
    "account_suspended",
    "campaign_not_active",
    "own_campaign",
    "not_eligible",
    "limit_reached",
    "too_many_claims",
    "qualification_required",
    "level_required",
    "claims_paused",
    "gold_stopped",
    "private_campaign",
}


@dataclass(frozen=True)
class Case:
    country: str
    include: list[str]
    exclude: list[str]
    approved: int  # reviews in the window
    rejected: int
    closed: int
    old: int  # rejections before the window: they do not count
    disputed: int  # neither approved nor rejected yet
    min_rate: int
    cap: int
    earlier: list[str]  # this worker's earlier assignments of the campaign
    working: int  # claims open on other campaigns
    blocked: bool
    blocked_elsewhere: bool
    suspension: str  # none, active, lifted
    own: bool
    ends: str  # none, past, future
    status: str
    required: tuple[int, ...] = ()  # of People.qualifications, by index
    held: tuple[int, ...] = ()
    level: int = 0  # the worker's
    min_level: int = 0  # the campaign's
    pause: str = "none"  # of the worker's claims (workers.sanctions): none, active, ended, lifted
    # a stop by check tasks (tasks.gold): none, from this campaign, lifted, from another one
    stop: str = "none"
    # the employer's groups the campaign is open to (private), of People.groups by index:
    # the worker is in the first, not in the second
    private: tuple[int, ...] = ()


# Each rule, with the refusal a claim gives when only it is in the way.
RULES = {
    "active": "campaign_not_active",
    "own": "own_campaign",
    "country": "not_eligible",
    "rate": "not_eligible",
    "blocked": "not_eligible",
    "cap": "limit_reached",
    "open_claims": "too_many_claims",
    "suspended": "account_suspended",
    "qualified": "qualification_required",
    "level": "level_required",
    "paused": "claims_paused",
    "gold": "gold_stopped",
    "private": "private_campaign",
}
QUALIFICATION_SETS = st.sampled_from([(), (0,), (1,), (0, 1)])
# A private campaign's groups: the worker is in group 0, not in group 1.
GROUP_SETS = st.sampled_from([(1,), (), (0,), (1,), (0, 1)])


def _near(rate: int | None) -> st.SearchStrategy[int]:
    base = 100 if rate is None else rate
    return st.sampled_from([max(0, base - 1), base, min(100, base + 1)])


@st.composite
def cases(draw, focus: str) -> Case:
    """A worker and a campaign. ``focus`` puts one rule (or all: "mixed") to the test with
    values at its edges, and gives the others values that let a claim through, so every
    rule's edge is reached with the others open (and with "mixed", their order)."""

    def pick(rule: str, usual, edges):
        return draw(edges if focus in (rule, "mixed") else usual)

    no_reviews = draw(st.integers(0, 9)) == 0
    approved, rejected, closed = (0 if no_reviews else draw(st.integers(0, 8)) for _ in "arc")
    reviewed = approved + rejected + closed
    rate = round(100 * approved / reviewed) if reviewed else None  # only to aim the minimum
    return Case(
        country=draw(st.sampled_from(["BD", "BD", "IN", ""])),
        include=pick(
            "country", st.just([]), st.sampled_from([[], ["BD"], ["IN", "US"], ["BD", "IN"]])
        ),
        exclude=pick("country", st.just([]), st.sampled_from([[], ["BD"], ["IN"], ["US"]])),
        approved=approved,
        rejected=rejected,
        closed=closed,
        old=draw(st.integers(0, 2)),
        disputed=draw(st.integers(0, 1)),
        min_rate=pick(
            "rate", st.just(0), st.one_of(_near(rate), _near(rate), st.sampled_from(EDGES))
        ),
        cap=draw(st.integers(1, 2)),
        earlier=pick("cap", st.just([]), st.lists(st.sampled_from(EARLIER), max_size=3)),
        working=pick("open_claims", st.just(0), st.sampled_from([0, MAX - 2, MAX - 1, MAX])),
        blocked=pick("blocked", st.just(False), st.booleans()),
        blocked_elsewhere=draw(st.booleans()),
        suspension=pick(
            "suspended", st.sampled_from(["none", "lifted"]), st.sampled_from(["lifted", "active"])
        ),
        own=pick("own", st.just(False), st.booleans()),
        ends=pick("active", st.sampled_from(["none", "future"]), st.sampled_from(["none", "past"])),
        status=pick(
            "active",
            st.just(CampaignStatus.ACTIVE),
            st.sampled_from([CampaignStatus.ACTIVE] * 4 + list(CampaignStatus)),
        ),
        required=pick("qualified", st.just(()), QUALIFICATION_SETS),
        held=draw(QUALIFICATION_SETS),
        level=draw(st.integers(0, 3)),
        min_level=pick("level", st.just(0), st.integers(0, 3)),
        pause=pick(
            "paused",
            st.just("none"),
            st.sampled_from(["ended", "lifted", "active"]),
        ),
        stop=pick(
            "gold", st.just("none"), st.sampled_from(["none", "lifted", "elsewhere", "active"])
        ),
        private=pick("private", st.just(()), GROUP_SETS),
    )


@dataclass
class People:
    worker: object
    employer: object
    other: object  # another employer: the worker's past work, a block that does not matter
    moderator: object
    qualifications: tuple = ()  # two tests of the employer's
    groups: tuple = ()  # two groups of the employer's: the worker is in the first only


def _campaign(employer, category, **fields) -> Campaign:
    values = {
        "employer": employer,
        "title": "Sign up",
        "category": category,
        "instructions": "Sign up.",
        "reward_cents": 50,
        "positions": 10,
    }
    return Campaign.objects.create(**(values | fields))


def _tasks(campaign, statuses) -> list[Task]:
    first = Task.objects.filter(campaign=campaign).count() + 1
    return Task.objects.bulk_create(
        Task(campaign=campaign, number=first + n, status=status)
        for n, status in enumerate(statuses)
    )


def _assign(campaign, worker, statuses, *, reviewed_at) -> None:
    """One assignment of ``worker`` per status, each on its own task of ``campaign``."""
    now = timezone.now()
    tasks = _tasks(campaign, [TaskStatus.ASSIGNED] * len(statuses))
    Assignment.objects.bulk_create(
        Assignment(
            task=task,
            campaign=campaign,
            worker=worker,
            status=status,
            expires_at=now + timedelta(hours=1),
            reviewed_at=reviewed_at if status in (A.APPROVED, A.REJECTED, A.CLOSED) else None,
        )
        for task, status in zip(tasks, statuses, strict=True)
    )


def _build(case: Case, people: People) -> Campaign:
    """The case's rows; returns its campaign (with one open task)."""
    now = timezone.now()
    worker, category = people.worker, Category.objects.get(slug="sign-up")
    worker.country, worker.level = case.country, case.level
    worker.save(update_fields=["country", "level"])
    past = _campaign(people.other, category, status=CampaignStatus.COMPLETED)
    window = now - timedelta(days=1)
    before = now - timedelta(days=django_settings.SUCCESS_RATE_WINDOW_DAYS + 1)
    _assign(past, worker, [A.APPROVED] * case.approved, reviewed_at=window)
    _assign(
        past, worker, [A.REJECTED] * case.rejected + [A.CLOSED] * case.closed, reviewed_at=window
    )
    _assign(past, worker, [A.REJECTED] * case.old, reviewed_at=before)
    _assign(past, worker, [A.DISPUTED] * case.disputed, reviewed_at=window)
    elsewhere = _campaign(people.other, category, status=CampaignStatus.ACTIVE)
    _assign(elsewhere, worker, [A.CLAIMED] * case.working, reviewed_at=None)
    campaign = _campaign(
        worker if case.own else people.employer,
        category,
        status=case.status,
        countries_include=case.include,
        countries_exclude=case.exclude,
        min_success_rate=case.min_rate,
        max_tasks_per_worker=case.cap,
        ends_at={"none": None, "past": now - timedelta(minutes=1)}.get(
            case.ends, now + timedelta(days=1)
        ),
        qualifications=[people.qualifications[n].pk for n in case.required],
        min_level=case.min_level,
        groups=[people.groups[n].pk for n in case.private],
    )
    for n in case.held:
        _hold(worker, people.qualifications[n])
    _assign(campaign, worker, case.earlier, reviewed_at=window)
    _tasks(campaign, [TaskStatus.OPEN])
    if case.blocked:
        Block.objects.create(employer=campaign.employer, worker=worker)
    if case.blocked_elsewhere:
        Block.objects.create(employer=people.other, worker=worker)
    if case.suspension != "none":
        lifted = case.suspension == "lifted"
        Suspension.objects.create(
            user=worker,
            reason="Fake proofs",
            by=people.moderator,
            lifted_at=now if lifted else None,
            lifted_by=people.moderator if lifted else None,
        )
    if case.pause != "none":
        Sanction.objects.create(
            user=worker,
            side=SanctionSide.WORKER,
            step=SanctionStep.PAUSE,
            number=1,
            rejection_rate=60,
            reviewed=10,
            rejected=6,
            starts_at=now - timedelta(days=2),
            ends_at=now + timedelta(days=1 if case.pause != "ended" else -1),
            lifted_at=now if case.pause == "lifted" else None,
        )
    if case.stop != "none":
        GoldStop.objects.create(
            campaign=elsewhere if case.stop == "elsewhere" else campaign,
            worker=worker,
            answered=3,
            right=0,
            lifted_at=now if case.stop == "lifted" else None,
        )
    return campaign


def _hold(worker, qualification) -> None:
    attempt = QualificationAttempt.objects.create(
        qualification=qualification, worker=worker, answers=[0], score=100, passed=True
    )
    HeldQualification.objects.create(qualification=qualification, worker=worker, attempt=attempt)


@pytest.mark.parametrize("focus", [*RULES, "mixed"])
def test_the_feed_shows_a_campaign_exactly_when_the_claim_succeeds(focus):
    employer = UserFactory(email="property-employer@example.com")
    people = People(
        worker=UserFactory(email="property-worker@example.com"),
        employer=employer,
        other=UserFactory(email="property-other@example.com"),
        moderator=UserFactory(email="property-moderator@example.com"),
        qualifications=tuple(
            Qualification.objects.create(
                owner=employer,
                created_by=employer,
                name=name,
                pass_mark=100,
                questions=[{"text": "?", "kind": "choice", "choices": ["a", "b"], "answer": 0}],
            )
            for name in ("Bangla typing", "Map reading")
        ),
    )
    people.groups = (
        WorkerGroup.objects.create(owner=employer, name="Trusted"),
        WorkerGroup.objects.create(owner=employer, name="Others"),
    )
    GroupMember.objects.create(group=people.groups[0], worker=people.worker)
    GroupMember.objects.create(group=people.groups[1], worker=people.other)
    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=60 if focus == "mixed" else 12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(case=cases(focus))
    def check(case: Case) -> None:
        with transaction.atomic():
            campaign = _build(case, people)
            worker = people.worker
            standing = standing_read(worker)
            # The standing is the reputation and the suspension other apps read.
            assert standing.success_rate == success_rate(worker), case
            assert standing.suspended == is_suspended(worker), case
            shown = feed(worker=worker).filter(pk=campaign.pk).exists()
            fresh = Campaign.objects.get(pk=campaign.pk)
            page = claim_refusal(fresh, standing_read(worker, scope=campaign.pk))
            unscoped = claim_refusal(fresh, standing)
            try:
                task_claim(campaign=campaign, worker=worker)
            except DomainError as error:
                assert error.code in REFUSALS, (case, error)
                claimed, code = False, error.code
            else:
                claimed, code = True, "ok"
            assert shown == claimed, (case, code)
            assert (page.code if page else "ok") == code, (case, page)
            assert (unscoped.code if unscoped else "ok") == code, (case, unscoped)
            outcomes[code] += 1
            transaction.set_rollback(True)

    check()
    # Not vacuous: the rule's edge was reached from both sides (with every rule at its
    # edges, claims still succeed and fail for several reasons).
    assert "ok" in outcomes, outcomes
    if focus in RULES:
        assert RULES[focus] in outcomes, outcomes
    else:
        assert len(set(outcomes) & REFUSALS) >= 4, outcomes


# --- the success-rate minimum, by hand -----------------------------------------------------------


def _reviewed(worker, employer, approved: int, rejected: int) -> None:
    past = _campaign(employer, Category.objects.get(slug="sign-up"), status="completed")
    reviewed_at = timezone.now() - timedelta(days=1)
    _assign(past, worker, [A.APPROVED] * approved, reviewed_at=reviewed_at)
    _assign(past, worker, [A.CLOSED] * rejected, reviewed_at=reviewed_at)


@pytest.mark.parametrize(
    ("approved", "rejected", "rate"),
    [(1, 7, 12), (5, 3, 62), (3, 5, 38), (2, 1, 67), (0, 4, 0), (4, 0, 100)],
)
def test_the_success_rate_minimum_is_held_to_the_rounded_rate(
    approved, rejected, rate, employer, worker, outsider
):
    _reviewed(worker, outsider, approved, rejected)
    assert success_rate(worker) == rate
    category = Category.objects.get(slug="sign-up")
    minimums = [rate, rate + 1] if rate < 100 else [rate]  # no minimum above 100
    reachable, *above = (
        _campaign(employer, category, status="active", min_success_rate=minimum)
        for minimum in minimums
    )
    for campaign in (reachable, *above):
        _tasks(campaign, [TaskStatus.OPEN])
    assert list(feed(worker=worker).values_list("pk", flat=True)) == [reachable.pk]
    for campaign in above:
        with refused("not_eligible", match=f"success rate of {rate + 1}%"):
            task_claim(campaign=campaign, worker=worker)
    assert task_claim(campaign=reachable, worker=worker).campaign_id == reachable.pk


def test_a_worker_with_no_reviewed_work_meets_every_minimum(employer, worker):
    category = Category.objects.get(slug="sign-up")
    strict = _campaign(employer, category, status="active", min_success_rate=100)
    _tasks(strict, [TaskStatus.OPEN])
    assert success_rate(worker) is None
    assert [c.pk for c in feed(worker=worker)] == [strict.pk]
    assert task_claim(campaign=strict, worker=worker).campaign_id == strict.pk


def test_reviews_before_the_window_do_not_count(employer, worker, outsider):
    past = _campaign(outsider, Category.objects.get(slug="sign-up"), status="completed")
    long_ago = timezone.now() - timedelta(days=django_settings.SUCCESS_RATE_WINDOW_DAYS + 1)
    _assign(past, worker, [A.REJECTED] * 3, reviewed_at=long_ago)
    _reviewed(worker, outsider, approved=1, rejected=0)
    strict = _campaign(employer, past.category, status="active", min_success_rate=100)
    _tasks(strict, [TaskStatus.OPEN])
    assert success_rate(worker) == 100
    assert task_claim(campaign=strict, worker=worker).campaign_id == strict.pk


@pytest.mark.parametrize(
    ("earlier", "capped"),
    [
        ([A.EXPIRED, A.RELEASED], False),  # claims that came to nothing do not count
        ([A.SUBMITTED], True),
        ([A.CLOSED], True),  # work rejected for good still counts
        ([A.APPROVED, A.EXPIRED], True),
    ],
)
def test_the_per_worker_cap_counts_what_the_worker_held_or_did(employer, worker, earlier, capped):
    category = Category.objects.get(slug="sign-up")
    campaign = _campaign(employer, category, status="active", max_tasks_per_worker=1)
    _assign(campaign, worker, earlier, reviewed_at=timezone.now())
    _tasks(campaign, [TaskStatus.OPEN])
    assert feed(worker=worker).filter(pk=campaign.pk).exists() is not capped
    if capped:
        with refused("limit_reached"):
            task_claim(campaign=campaign, worker=worker)
    else:
        assert task_claim(campaign=campaign, worker=worker).campaign_id == campaign.pk
