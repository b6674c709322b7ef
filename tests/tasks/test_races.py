"""Races of the work loop on real PostgreSQL: threads released together by a barrier, each
with its own connection. Slots are never sold twice, money never moves twice, and the
books balance (``ledger_violations``, with each campaign's escrow check) after every race.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from core.errors import DomainError
from payments.models import Account, Movement, MovementKind
from payments.selectors import balances_of, ledger_violations
from tasks import services
from tasks.models import (
    HOLDING_STATUSES,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    Submission,
    Task,
    TaskStatus,
)
from workers.claims import task_claim

from ..factories import UserFactory
from ..payments.helpers import run_together
from .helpers import active_campaign

# The flush between transactional tests empties the categories the data migration seeded;
# the conftest's ``_categories`` fixture puts them back. (No serialized_rollback: after a
# plain transactional test's flush recreated the content types under new ids, reloading the
# serialized ones failed on their unique key.)
pytestmark = pytest.mark.django_db(transaction=True)

LATER = timedelta(days=30)  # far past every claim deadline and time to rate


def submit(assignment, worker, username="karim"):
    return services.assignment_submit(
        assignment=assignment, worker=worker, answers={"username": username}, files={}
    )


def submitted(campaign, workers):
    """Each worker claims one task of ``campaign`` and submits proof for it."""
    assignments = []
    for worker in workers:
        assignment = task_claim(campaign=campaign, worker=worker)
        submit(assignment, worker)
        assignments.append(assignment)
    return assignments


def escrow_of(campaign) -> int:
    return Account.objects.get(key=f"escrow:campaign:{campaign.pk}").balance


def codes(results) -> Counter:
    """How the threads ended: ``"ok"`` for a value, the code of an DomainError; any
    other exception (a deadlock, an integrity error) is a bug and fails the test here."""
    unexpected = [r for r in results if isinstance(r, Exception) and not _known(r)]
    assert unexpected == [], unexpected
    return Counter(r.code if isinstance(r, DomainError) else "ok" for r in results)


def _known(error: Exception) -> bool:
    return isinstance(error, (DomainError, DomainError))


def assert_one_holder_per_task(campaign) -> None:
    doubled = (
        Assignment.objects.filter(campaign=campaign, status__in=HOLDING_STATUSES)
        .values("task_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert list(doubled) == []
    # a task is assigned exactly when somebody holds it
    for task in Task.objects.filter(campaign=campaign):
        held = Assignment.objects.filter(task=task, status__in=HOLDING_STATUSES).exists()
        assert held == (task.status == TaskStatus.ASSIGNED), (task, task.status)


def payments_for(assignment) -> int:
    return Movement.objects.filter(
        kind=MovementKind.TASK_PAYMENT, reference=f"assignment:{assignment.pk}"
    ).count()


def moves_to(assignment, status) -> int:
    return AssignmentEvent.objects.filter(assignment_id=assignment.pk, to_status=status).count()


# --- claims ------------------------------------------------------------------------------


def test_many_workers_claiming_the_last_three_tasks_get_exactly_three(employer, moderator):
    campaign = active_campaign(employer, moderator, positions=5)
    early = UserFactory.create_batch(2)
    for worker in early:
        task_claim(campaign=campaign, worker=worker)
    crowd = UserFactory.create_batch(12)

    results = run_together(
        12, lambda i: task_claim(campaign=campaign, worker=crowd[i], ip="10.0.0.9")
    )

    assert codes(results) == {"ok": 3, "no_task_left": 9}, results
    won = [r for r in results if isinstance(r, Assignment)]
    assert len({a.task_id for a in won}) == 3
    assert all(r.status == 409 for r in results if isinstance(r, DomainError))  # the API's 409
    assert Task.objects.filter(campaign=campaign, status=TaskStatus.ASSIGNED).count() == 5
    assert Assignment.objects.filter(campaign=campaign).count() == 5
    assert_one_holder_per_task(campaign)
    assert ledger_violations() == []


def test_one_worker_firing_claims_at_once_gets_one_task_of_a_one_per_worker_campaign(
    employer, worker, moderator
):
    campaign = active_campaign(employer, moderator, positions=8, max_tasks_per_worker=1)

    results = run_together(6, lambda i: task_claim(campaign=campaign, worker=worker))

    assert codes(results) == {"ok": 1, "limit_reached": 5}, results
    assert Assignment.objects.filter(campaign=campaign, worker=worker).count() == 1
    assert Task.objects.filter(campaign=campaign, status=TaskStatus.OPEN).count() == 7
    assert_one_holder_per_task(campaign)
    assert ledger_violations() == []


def test_one_worker_claiming_across_campaigns_at_once_stops_at_max_open_claims(
    employer, worker, moderator
):
    cap = settings.MAX_OPEN_CLAIMS
    campaigns = [
        active_campaign(employer, moderator, title=f"Sign up, round {n}", positions=2)
        for n in range(cap + 3)
    ]

    results = run_together(
        len(campaigns), lambda i: task_claim(campaign=campaigns[i], worker=worker)
    )

    assert codes(results) == {"ok": cap, "too_many_claims": 3}, results
    assert Assignment.objects.filter(worker=worker).count() == cap
    for campaign in campaigns:
        assert_one_holder_per_task(campaign)
    assert ledger_violations() == []


def test_claims_against_the_expiry_job_never_give_a_task_two_holders(employer, moderator):
    campaign = active_campaign(employer, moderator, positions=2)
    for stale in UserFactory.create_batch(2):
        task_claim(campaign=campaign, worker=stale)
    crowd = UserFactory.create_batch(6)
    later = timezone.now() + LATER

    def work(i):
        if i == 0:
            return services.assignments_expire_due(now=later)
        return task_claim(campaign=campaign, worker=crowd[i - 1])

    results = run_together(7, work)

    assert results[0] == 2, results  # nobody else touches the stale claims: both expire
    claimed = codes(results[1:])
    assert set(claimed) <= {"ok", "no_task_left"}, results
    assert claimed["ok"] <= 2
    assert (
        Task.objects.filter(campaign=campaign, status=TaskStatus.ASSIGNED).count() == claimed["ok"]
    )
    assert Task.objects.filter(campaign=campaign, status=TaskStatus.OPEN).count() == (
        2 - claimed["ok"]
    )
    assert_one_holder_per_task(campaign)
    assert ledger_violations() == []


# --- reviews -----------------------------------------------------------------------------


def test_a_double_approve_pays_once(employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    (assignment,) = submitted(campaign, [worker])

    results = run_together(
        4, lambda i: services.submission_approve(assignment=assignment, by=employer)
    )

    assert codes(results) == {"ok": 1, "invalid_status": 3}, results
    assert payments_for(assignment) == 1
    assert moves_to(assignment, AssignmentStatus.APPROVED) == 1
    assert balances_of(worker).available_cents == 50
    assert escrow_of(campaign) == 2 * 55
    assert ledger_violations() == []


def test_approve_against_reject_decides_once(employer, moderator):
    campaign = active_campaign(employer, moderator, positions=6)
    crowd = UserFactory.create_batch(6)
    assignments = submitted(campaign, crowd)

    def work(i):
        assignment = assignments[i // 2]
        if i % 2:
            return services.submission_reject(
                assignment=assignment, by=employer, reason="The username does not exist."
            )
        return services.submission_approve(assignment=assignment, by=employer)

    results = run_together(12, work)

    for n, assignment in enumerate(assignments):
        pair = results[2 * n : 2 * n + 2]
        assert sorted(codes(pair).elements()) == ["invalid_status", "ok"], pair
        assignment.refresh_from_db()
        decisions = AssignmentEvent.objects.filter(
            assignment=assignment,
            to_status__in=(AssignmentStatus.APPROVED, AssignmentStatus.REJECTED),
        )
        assert [e.to_status for e in decisions] == [assignment.status]
        if assignment.status == AssignmentStatus.APPROVED:
            assert payments_for(assignment) == 1
            assert balances_of(crowd[n]).available_cents == 50
            assert assignment.review_reason == ""
        else:
            assert assignment.status == AssignmentStatus.REJECTED
            assert payments_for(assignment) == 0
            assert balances_of(crowd[n]).available_cents == 0
            assert assignment.dispute_until is not None
    approved = Assignment.objects.filter(campaign=campaign, status=AssignmentStatus.APPROVED)
    assert escrow_of(campaign) == (6 - approved.count()) * 55
    assert ledger_violations() == []


def test_the_employer_approving_against_the_auto_approve_job_pays_each_once(employer, moderator):
    campaign = active_campaign(employer, moderator, positions=8)
    crowd = UserFactory.create_batch(8)
    assignments = submitted(campaign, crowd)
    later = timezone.now() + LATER

    def employer_approves_all():
        outcomes = []
        for assignment in assignments:
            try:
                services.submission_approve(assignment=assignment, by=employer)
                outcomes.append("ok")
            except DomainError as error:
                outcomes.append(error.code)
        return outcomes

    def work(i):
        if i == 0:
            return employer_approves_all()
        return services.submissions_auto_approve_due(now=later)

    by_employer, by_clock = run_together(2, work)

    assert set(by_employer) <= {"ok", "invalid_status"}, by_employer
    assert by_employer.count("ok") + by_clock == 8, (by_employer, by_clock)
    for assignment, worker in zip(assignments, crowd, strict=True):
        assignment.refresh_from_db()
        assert assignment.status == AssignmentStatus.APPROVED
        assert moves_to(assignment, AssignmentStatus.APPROVED) == 1
        assert payments_for(assignment) == 1
        assert balances_of(worker).available_cents == 50
    assert escrow_of(campaign) == 0
    assert ledger_violations() == []


def test_one_approve_against_the_auto_approve_job_pays_once(employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    (assignment,) = submitted(campaign, [worker])
    later = timezone.now() + LATER

    def work(i):
        if i == 0:
            return services.submission_approve(assignment=assignment, by=employer)
        return services.submissions_auto_approve_due(now=later)

    by_employer, by_clock = run_together(2, work)

    if isinstance(by_employer, Assignment):
        assert by_clock == 0
    else:
        assert (getattr(by_employer, "code", by_employer), by_clock) == ("invalid_status", 1)
    assert payments_for(assignment) == 1
    assert moves_to(assignment, AssignmentStatus.APPROVED) == 1
    assert balances_of(worker).available_cents == 50
    assert ledger_violations() == []


def test_two_auto_approve_jobs_over_many_due_submissions_pay_each_once(employer, moderator):
    campaign = active_campaign(employer, moderator, positions=12)
    crowd = UserFactory.create_batch(12)
    assignments = submitted(campaign, crowd)
    later = timezone.now() + LATER

    def job_until_done(i):
        total = 0
        while done := services.submissions_auto_approve_due(now=later, batch=3):
            total += done
        return total

    results = run_together(3, job_until_done)

    assert codes(results)["ok"] == 3, results
    assert sum(results) == 12, results
    for assignment, worker in zip(assignments, crowd, strict=True):
        assert moves_to(assignment, AssignmentStatus.APPROVED) == 1
        assert payments_for(assignment) == 1
        assert balances_of(worker).available_cents == 50
    assert Movement.objects.filter(kind=MovementKind.TASK_PAYMENT).count() == 12
    assert escrow_of(campaign) == 0
    assert ledger_violations() == []


# --- the expiry clock --------------------------------------------------------------------


def test_submit_against_the_expiry_job_ends_either_submitted_or_expired(employer, moderator):
    campaign = active_campaign(employer, moderator, positions=6)
    crowd = UserFactory.create_batch(6)
    assignments = [task_claim(campaign=campaign, worker=w) for w in crowd]
    later = timezone.now() + LATER

    def work(i):
        if i == 0:
            return services.assignments_expire_due(now=later)
        return submit(assignments[i - 1], crowd[i - 1])

    results = run_together(7, work)

    expired = 0
    for assignment, result in zip(assignments, results[1:], strict=True):
        assignment.refresh_from_db()
        task = Task.objects.get(pk=assignment.task_id)
        submissions = Submission.objects.filter(assignment=assignment).count()
        ends = {
            e.to_status
            for e in AssignmentEvent.objects.filter(assignment=assignment)
            if e.to_status in (AssignmentStatus.SUBMITTED, AssignmentStatus.EXPIRED)
        }
        assert ends == {assignment.status}, (assignment.status, ends)
        if assignment.status == AssignmentStatus.SUBMITTED:
            assert isinstance(result, Submission), result
            assert (submissions, task.status) == (1, TaskStatus.ASSIGNED)
        else:
            assert assignment.status == AssignmentStatus.EXPIRED
            assert getattr(result, "code", result) == "invalid_status"
            assert (submissions, task.status) == (0, TaskStatus.OPEN)
            expired += 1
    assert results[0] == expired, results
    assert_one_holder_per_task(campaign)
    assert escrow_of(campaign) == 6 * 55
    assert ledger_violations() == []


def test_two_expiry_jobs_at_once_expire_each_claim_once(employer, moderator):
    campaign = active_campaign(employer, moderator, positions=10)
    crowd = UserFactory.create_batch(10)
    assignments = [task_claim(campaign=campaign, worker=w) for w in crowd]
    later = timezone.now() + LATER

    results = run_together(2, lambda i: services.assignments_expire_due(now=later, batch=4))
    results += run_together(2, lambda i: services.assignments_expire_due(now=later, batch=4))
    results += run_together(2, lambda i: services.assignments_expire_due(now=later, batch=4))

    assert sum(results) == 10, results
    for assignment in assignments:
        assert moves_to(assignment, AssignmentStatus.EXPIRED) == 1
    assert Task.objects.filter(campaign=campaign, status=TaskStatus.OPEN).count() == 10
    assert escrow_of(campaign) == 10 * 55
    assert ledger_violations() == []


# --- cancel ------------------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(3))
def test_cancel_against_claims_leaves_each_task_withdrawn_or_held_once(employer, moderator, round_):
    campaign = active_campaign(employer, moderator, positions=6)
    crowd = UserFactory.create_batch(10)

    def work(i):
        if i == 5:  # the employer, in the middle of the crowd
            return services.campaign_cancel(campaign=campaign, by=employer)
        return task_claim(campaign=campaign, worker=crowd[i if i < 5 else i - 1])

    results = run_together(11, work)

    ended = codes(results)
    assert set(ended) <= {"ok", "no_task_left", "campaign_not_active"}, results
    assert not isinstance(results[5], Exception), results[5]  # the cancel went through
    won = [r for r in results if isinstance(r, Assignment)]
    statuses = Counter(Task.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert statuses == Counter(
        {TaskStatus.ASSIGNED: len(won), TaskStatus.WITHDRAWN: 6 - len(won)}
    ), (statuses, results)
    assert_one_holder_per_task(campaign)
    assert escrow_of(campaign) == len(won) * 55
    assert balances_of(employer).available_cents == 10_000 - len(won) * 55
    assert ledger_violations() == []


@pytest.mark.parametrize("round_", range(3))
def test_cancel_against_the_expiry_job_refunds_every_task_it_frees(employer, moderator, round_):
    campaign = active_campaign(employer, moderator, positions=6)
    for worker in UserFactory.create_batch(6):
        task_claim(campaign=campaign, worker=worker)
    later = timezone.now() + LATER

    def work(i):
        if i == 0:
            return services.campaign_cancel(campaign=campaign, by=employer)
        return services.assignments_expire_due(now=later, batch=2)

    results = run_together(4, work)

    assert codes(results)["ok"] == 4, results
    assert sum(results[1:]) == 6, results
    # every claim expired and the campaign is over: no task may stay open (nobody could ever
    # claim it, and its money would be stuck in escrow)
    statuses = Counter(Task.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert statuses == {TaskStatus.WITHDRAWN: 6}, statuses
    assert escrow_of(campaign) == 0
    assert balances_of(employer).available_cents == 10_000
    assert ledger_violations() == []
