"""Warnings before sanctions (workers.sanctions): a worker's rejection rate over the window
warns first, with the rejections listed; a further rejection after it pauses claims for
growing numbers of days; flagged employers climb the same ladder on launches. Each step is
audited and notified, taken once however many evaluations race, forgotten after a while, and
lifted by a dispute decided for the worker or by a moderator on appeal."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import (
    AppealStatus,
    ModerationAction,
    Sanction,
    SanctionSide,
    SanctionStep,
)
from notifications.models import Notification, NotificationKind
from notifications.texts import render_title
from tasks.models import (
    AssignmentStatus,
    CampaignStatus,
)
from tasks.services import campaign_create, campaign_launch, submission_reject
from tasks.services.disputes import dispute_open, dispute_resolve
from workers.claims import task_claim
from workers.eligibility import standing_read
from workers.sanctions import (
    Evidence,
    next_step,
    sanction_appeal,
    sanction_appeal_decide,
    sanction_evaluate,
    sanctions_evaluate_all,
    worker_evidence,
)
from workers.selectors import feed

from ..factories import UserFactory
from ..payments.helpers import give, run_together
from ..refusals import refused
from ..tasks.api_helpers import submitted
from ..tasks.helpers import active_campaign, spec
from .helpers import past

pytestmark = pytest.mark.django_db

A = AssignmentStatus
W = SanctionSide.WORKER


@pytest.fixture(autouse=True)
def _ladder(settings):
    settings.SANCTION_WINDOW_DAYS = 30
    settings.SANCTION_MIN_REVIEWED = 4
    settings.SANCTION_REJECTION_PERCENT = 50
    settings.SANCTION_PAUSE_DAYS = (1, 3, 7)
    settings.SANCTION_MEMORY_DAYS = 60


def evaluate(user, side=W, **kwargs):
    return sanction_evaluate(user_id=user.pk, side=side, **kwargs)


def paused(worker, employer) -> Sanction:
    """A worker warned two days ago, then rejected again: paused for a day from now."""
    past(worker, employer, rejected=4, days_ago=3)
    evaluate(worker, now=timezone.now() - timedelta(days=2))
    past(worker, employer, rejected=1, days_ago=1)
    return evaluate(worker)


def test_a_worker_under_the_line_or_with_too_few_reviews_is_not_warned(worker, employer):
    past(worker, employer, approved=3, rejected=2, days_ago=2)  # 40%: under 50
    assert evaluate(worker) is None
    past(worker, employer, rejected=9, days_ago=40)  # outside the window
    past(worker, employer, rejected=9, days_ago=2, gold=True)  # check tasks never count
    assert evaluate(worker) is None
    outsider = UserFactory()
    past(outsider, employer, rejected=3)  # 100%, but only 3 reviewed
    assert evaluate(outsider) is None
    assert not Sanction.objects.exists()


def test_crossing_the_line_warns_once_with_the_rejections_listed_audited_and_notified(
    worker, employer
):
    rejected = past(worker, employer, approved=2, rejected=1, status=A.CLOSED)
    rejected += past(worker, employer, rejected=1, status=A.DISPUTED)  # counts until decided

    warning = evaluate(worker)

    assert (warning.step, warning.side, warning.number) == (SanctionStep.WARNING, W, 1)
    assert (warning.rejected, warning.reviewed, warning.rejection_rate) == (2, 4, 50)
    assert warning.ends_at is None
    assert {r["id"] for r in warning.details["rejections"]} == {a.pk for a in rejected}
    assert warning.details["rejections"][0]["reason"].startswith("Wrong username")
    audit = ModerationAction.objects.get(action="sanction.warn")
    assert audit.actor is None and audit.target_id == str(worker.pk)
    assert audit.details["sanction"] == warning.pk
    [notice] = Notification.objects.filter(user=worker, kind=NotificationKind.SANCTION_WARNING)
    assert notice.url == "/warnings/"
    # Idempotent: nothing new, no second step.
    assert evaluate(worker) is None
    assert Sanction.objects.count() == 1


def test_a_further_rejection_after_the_warning_pauses_claims_for_growing_days(
    worker, employer, moderator
):
    past(worker, employer, rejected=4, days_ago=3)
    now = timezone.now()
    assert evaluate(worker, now=now - timedelta(days=2)).step == SanctionStep.WARNING
    past(worker, employer, rejected=1, days_ago=1)  # sent after the warning

    pause = evaluate(worker, now=now)

    assert (pause.step, pause.number) == (SanctionStep.PAUSE, 2)
    assert pause.ends_at == now + timedelta(days=1)
    assert ModerationAction.objects.filter(action="sanction.pause").count() == 1
    assert Notification.objects.filter(user=worker, kind=NotificationKind.SANCTION_PAUSE).exists()
    # While it stands, nothing else happens; after it, a new rejection means 3 days.
    past(worker, employer, rejected=1, days_ago=0)
    assert evaluate(worker, now=now + timedelta(hours=1)) is None
    later = now + timedelta(days=1, hours=1)
    with time_machine.travel(later - timedelta(minutes=30), tick=False):
        past(worker, employer, rejected=1, days_ago=0)
    second = evaluate(worker, now=later)
    assert second.step == SanctionStep.PAUSE and second.ends_at == later + timedelta(days=3)


def test_old_rejections_alone_never_take_a_second_step(worker, employer):
    past(worker, employer, rejected=5, days_ago=5)
    now = timezone.now()
    evaluate(worker, now=now - timedelta(days=4))
    assert evaluate(worker, now=now) is None  # the same rejections: still just the warning


def test_a_pause_stops_claims_and_empties_the_feed_while_it_stands(worker, employer, moderator):
    campaign = active_campaign(employer, moderator)
    pause = paused(worker, employer)

    assert standing_read(worker).paused_until == pause.ends_at
    assert not feed(worker=worker).exists()
    with refused("claims_paused", match="/warnings/"):
        task_claim(campaign=campaign, worker=worker)
    with time_machine.travel(pause.ends_at + timedelta(seconds=1)):
        assert feed(worker=worker).filter(pk=campaign.pk).exists()
        assert task_claim(campaign=campaign, worker=worker).status == A.CLAIMED


def test_steps_are_forgotten_after_the_memory_and_the_ladder_starts_again(worker, employer):
    past(worker, employer, rejected=4, days_ago=1)
    first = evaluate(worker)
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        past(worker, employer, rejected=4, days_ago=1)
        again = evaluate(worker)
    assert first.step == again.step == SanctionStep.WARNING and again.number == 2


@pytest.mark.parametrize(
    ("steps", "new", "expected"),
    [
        ([], 0, (SanctionStep.WARNING, 0)),  # the first step needs nothing "new"
        (["warning"], 0, None),  # nothing since the warning
        (["warning"], 1, (SanctionStep.PAUSE, 1)),
        (["warning", "pause"], 1, (SanctionStep.PAUSE, 3)),
        (["warning", "pause", "pause", "pause"], 1, (SanctionStep.PAUSE, 7)),  # the last repeats
        (["warning*"], 1, (SanctionStep.WARNING, 0)),  # a lifted step does not count
        (["warning", "pause*"], 1, (SanctionStep.PAUSE, 1)),
    ],
)
def test_the_next_step_follows_the_ladder(steps, new, expected):
    now = timezone.now()
    rows = [
        Sanction(
            step=name.rstrip("*"),
            number=n + 1,
            starts_at=now - timedelta(days=20),
            ends_at=now - timedelta(days=19) if name.startswith("pause") else None,
            lifted_at=now if name.endswith("*") else None,
        )
        for n, name in enumerate(steps)
    ]
    evidence = Evidence(10, 6, True, new, 30, [])
    assert next_step(rows, evidence, now) == expected
    assert next_step(rows, Evidence(10, 4, False, new, 30, []), now) is None


def test_a_rejection_through_the_service_warns_its_worker_after_commit(
    worker, employer, moderator, django_capture_on_commit_callbacks
):
    past(worker, employer, rejected=3, days_ago=1)
    assignment = submitted(employer, worker, moderator)
    with django_capture_on_commit_callbacks(execute=True):
        submission_reject(assignment=assignment, by=employer, reason="No sign-up found")
    warning = Sanction.objects.get(user=worker, side=W)
    assert assignment.pk in {r["id"] for r in warning.details["rejections"]}


def test_a_dispute_decided_for_the_worker_lifts_the_steps_that_listed_it(
    worker, employer, moderator, outsider, django_capture_on_commit_callbacks
):
    past(worker, employer, rejected=3, days_ago=1)
    assignment = submitted(employer, worker, moderator)
    with django_capture_on_commit_callbacks(execute=True):
        submission_reject(assignment=assignment, by=employer, reason="No sign-up found")
    dispute = dispute_open(assignment=assignment, by=worker, reason="I did sign up")
    other = UserFactory()
    past(other, employer, rejected=4)
    unrelated = evaluate(other)

    with django_capture_on_commit_callbacks(execute=True):
        dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="Signed up")

    warning = Sanction.objects.get(user=worker)
    assert warning.lifted_at is not None and warning.lifted_by is None
    assert "overturned" in warning.lift_reason
    assert Notification.objects.filter(user=worker, kind=NotificationKind.SANCTION_LIFTED).exists()
    assert ModerationAction.objects.filter(action="sanction.lift", actor=None).count() == 1
    unrelated.refresh_from_db()
    assert unrelated.lifted_at is None


def test_two_evaluations_racing_take_one_step(transactional_db):
    worker, employer = UserFactory(), UserFactory()
    past(worker, employer, rejected=5)

    results = run_together(4, lambda i: evaluate(worker))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r is not None for r in results) == 1
    assert Sanction.objects.filter(user=worker).count() == 1
    assert ModerationAction.objects.filter(action="sanction.warn").count() == 1


def test_the_clock_evaluates_workers_over_the_line_and_flagged_employers(
    worker, employer, settings
):
    settings.FLAG_EMPLOYER_MIN_REVIEWED = 4
    past(worker, employer, rejected=4)
    fine = UserFactory()
    past(fine, UserFactory(), approved=9)

    assert sanctions_evaluate_all() == 2  # the worker, and the employer who rejected it all
    assert Sanction.objects.get(user=worker).side == W
    assert Sanction.objects.get(user=employer).side == SanctionSide.EMPLOYER
    assert sanctions_evaluate_all() == 0


def test_worker_evidence_counts_the_window_only(worker, employer):
    past(worker, employer, approved=1, rejected=1, days_ago=2)
    past(worker, employer, rejected=5, days_ago=31)
    evidence = worker_evidence(worker.pk, now=timezone.now())
    assert (evidence.reviewed, evidence.rejected, evidence.crossing) == (2, 1, False)


# --- employers ---------------------------------------------------------------------------------


def test_a_flagged_employer_is_warned_then_paused_from_launching_and_nothing_else_moves(
    employer, moderator, settings
):
    settings.FLAG_EMPLOYER_MIN_REVIEWED = 4
    running = active_campaign(employer, moderator, title="Running")
    past(UserFactory(), UserFactory(), approved=20)  # the platform rejects little
    past(UserFactory(), employer, rejected=4, days_ago=3)
    now = timezone.now()
    warning = evaluate(employer, side=SanctionSide.EMPLOYER, now=now - timedelta(days=2))
    assert warning.step == SanctionStep.WARNING and warning.rejected == 4
    give(employer, 10_000, key="draft")
    draft = campaign_create(employer=employer, spec=spec(title="Next"))
    campaign_launch(campaign=draft, by=employer)  # a warning stops nothing

    past(UserFactory(), employer, rejected=1, days_ago=1)
    pause = evaluate(employer, side=SanctionSide.EMPLOYER, now=now)
    assert pause.step == SanctionStep.PAUSE

    another = campaign_create(employer=employer, spec=spec(title="Another"))
    with refused("launch_paused", match="/warnings/"):
        campaign_launch(campaign=another, by=employer)
    another.refresh_from_db()
    running.refresh_from_db()
    assert another.status == CampaignStatus.DRAFT and running.status == CampaignStatus.ACTIVE
    assert Notification.objects.filter(
        user=employer, kind=NotificationKind.SANCTION_PAUSE, params__side="employer"
    ).exists()


# --- appeals -----------------------------------------------------------------------------------


@pytest.fixture
def warning(worker, employer):
    past(worker, employer, rejected=4)
    return evaluate(worker)


def test_a_step_is_appealed_once_by_its_own_user(warning, worker, outsider):
    with refused("not_found"):
        sanction_appeal(sanction=warning, by=outsider, reason="Not mine")
    with refused("reason_required"):
        sanction_appeal(sanction=warning, by=worker, reason="  ")
    appealed = sanction_appeal(sanction=warning, by=worker, reason="The employer rejects all")
    assert appealed.appeal_status == AppealStatus.OPEN and appealed.appealed_at
    with refused("already_appealed"):
        sanction_appeal(sanction=warning, by=worker, reason="Again")


def test_a_moderator_lifts_an_appealed_pause_and_claims_work_again(worker, employer, moderator):
    campaign = active_campaign(employer, moderator)
    pause = paused(worker, employer)
    sanction_appeal(sanction=pause, by=worker, reason="Those were fair")

    decided = sanction_appeal_decide(
        sanction=pause, by=moderator, lift=True, reason="The employer's reasons are empty"
    )

    assert decided.appeal_status == AppealStatus.LIFTED and decided.lifted_by == moderator
    assert task_claim(campaign=campaign, worker=worker).status == A.CLAIMED
    audit = ModerationAction.objects.get(action="sanction.lift")
    assert audit.actor == moderator and audit.reason == "The employer's reasons are empty"
    assert Notification.objects.filter(user=worker, kind=NotificationKind.SANCTION_LIFTED).exists()
    with refused("appeal_not_open"):
        sanction_appeal_decide(sanction=pause, by=moderator, lift=False, reason="Changed mind")


def test_an_upheld_appeal_keeps_the_step_and_tells_why(warning, worker, moderator):
    sanction_appeal(sanction=warning, by=worker, reason="Unfair")
    decided = sanction_appeal_decide(
        sanction=warning, by=moderator, lift=False, reason="The proofs were empty"
    )
    assert decided.appeal_status == AppealStatus.UPHELD and decided.lifted_at is None
    assert ModerationAction.objects.get(action="sanction.uphold").actor == moderator
    notice = Notification.objects.get(
        user=worker, kind=NotificationKind.SANCTION_WARNING, params__appeal="upheld"
    )
    assert "turned down your appeal" in render_title(notice.kind, notice.params)
    assert notice.params["reason"] == "The proofs were empty"


def test_only_another_moderator_decides_an_appeal(warning, worker, employer, moderator):
    sanction_appeal(sanction=warning, by=worker, reason="Unfair")
    with refused("permission_denied"):
        sanction_appeal_decide(sanction=warning, by=employer, lift=True, reason="Sure")
    with refused("reason_required"):
        sanction_appeal_decide(sanction=warning, by=moderator, lift=True, reason="")
    past(moderator, employer, rejected=4)
    own = evaluate(moderator)
    sanction_appeal(sanction=own, by=moderator, reason="Mine")
    with refused("own_case"):
        sanction_appeal_decide(sanction=own, by=moderator, lift=True, reason="Mine is fine")
    warning.refresh_from_db()
    assert warning.appeal_status == AppealStatus.OPEN
