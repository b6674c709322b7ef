"""Disputes' races on real PostgreSQL (threads released together, each with its own
connection): a moderator's decision, a second moderator, the employer reversing and the
window sweeper — the task is paid or released at most once and the books balance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import moderator_grant
from payments.models import Movement
from payments.selectors import balances_of, ledger_violations
from tasks import services
from tasks.models import AssignmentStatus, Dispute, DisputeStatus, TaskStatus
from tasks.services.disputes import dispute_open, dispute_resolve, dispute_reverse

from ..factories import UserFactory
from ..payments.helpers import run_together
from .dispute_helpers import disputed, escrow_of, rejected
from .test_races import codes

# Categories come back after each flush through the conftest fixture, so no serialized
# rollback (which breaks when content types were recreated in another order).
pytestmark = pytest.mark.django_db(transaction=True)

FAR = timedelta(days=30)  # past every dispute window


def paid(assignment_id: int) -> int:
    return Movement.objects.filter(idempotency_key=f"approve:assignment:{assignment_id}").count()


@pytest.mark.parametrize("round_", range(3))
def test_moderators_the_employer_and_the_sweeper_race_and_pay_once(
    employer, worker, moderator, round_
):
    second = moderator_grant(user=UserFactory(email=f"second{round_}@example.com"))
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    actions = [
        lambda: dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="Right"),
        lambda: dispute_resolve(dispute=dispute, by=second, outcome="employer", reason="Wrong"),
        lambda: dispute_reverse(dispute=dispute, by=employer, reason="Sorry"),
        lambda: services.dispute_windows_close_due(now=timezone.now() + FAR),
    ]
    results = run_together(len(actions), lambda i: actions[i]())
    sweeper = results.pop()
    assert sweeper == 0  # a disputed assignment is not the sweeper's
    outcome = codes(results)
    assert outcome == {"ok": 1, "invalid_status": 2}, results
    dispute.refresh_from_db()
    assignment = dispute.assignment
    assignment.refresh_from_db()
    assert dispute.status == DisputeStatus.DECIDED
    if dispute.outcome == "employer":
        assert assignment.status == AssignmentStatus.CLOSED
        assert paid(assignment.pk) == 0
        assert assignment.task.status == TaskStatus.OPEN
        assert escrow_of(campaign) == 165
    else:
        assert assignment.status == AssignmentStatus.APPROVED
        assert paid(assignment.pk) == 1
        assert balances_of(worker).available_cents == 50
        assert escrow_of(campaign) == 110
    assert ledger_violations() == []


@pytest.mark.parametrize("round_", range(3))
def test_for_the_employer_against_the_sweeper_refunds_once(employer, worker, moderator, round_):
    """On a cancelled campaign the task's money goes back once, whoever releases it."""
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    services.campaign_cancel(campaign=campaign, by=employer)
    actions = [
        lambda: dispute_resolve(dispute=dispute, by=moderator, outcome="employer", reason="No"),
        lambda: services.dispute_windows_close_due(now=timezone.now() + FAR),
        lambda: services.dispute_windows_close_due(now=timezone.now() + FAR),
    ]
    results = run_together(len(actions), lambda i: actions[i]())
    assert not any(isinstance(r, Exception) for r in results), results
    assert results[1:] == [0, 0]
    dispute.assignment.task.refresh_from_db()
    assert dispute.assignment.task.status == TaskStatus.WITHDRAWN
    assert escrow_of(campaign) == 0
    assert balances_of(employer).available_cents == 10_000
    assert ledger_violations() == []


@pytest.mark.parametrize("round_", range(4))
def test_a_dispute_at_the_windows_end_either_opens_or_the_window_closes(
    employer, worker, moderator, round_
):
    """The worker disputes in the last second while the sweeper (whose clock says the window
    is over) closes it: exactly one of them wins, and the task is held or released, never
    both."""
    assignment = rejected(employer, worker, moderator)
    campaign = assignment.campaign
    actions = [
        lambda: dispute_open(assignment=assignment, by=worker, reason="Unfair"),
        lambda: services.dispute_windows_close_due(now=assignment.dispute_until + FAR),
    ]
    opened, closed = run_together(2, lambda i: actions[i]())
    assignment.refresh_from_db()
    if isinstance(opened, Exception):
        assert opened.code == "dispute_window_closed", opened
        assert closed == 1
        assert assignment.status == AssignmentStatus.CLOSED
        assert assignment.task.status == TaskStatus.OPEN
        assert not Dispute.objects.exists()
    else:
        assert closed == 0
        assert assignment.status == AssignmentStatus.DISPUTED
        assert assignment.task.status == TaskStatus.ASSIGNED
    assert escrow_of(campaign) == 165
    assert ledger_violations() == []
