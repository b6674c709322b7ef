"""Disputes through their services: open within the window, answer, reverse, decide either
way — with the ledger checked after each, and the records workers and moderators read."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import ModerationAction
from accounts.permissions import OwnCase
from core.errors import DomainError
from notifications.models import Notification
from payments.models import Movement
from payments.selectors import balances_of, ledger_violations
from tasks import services
from tasks.dispute_selectors import employer_record, worker_record
from tasks.models import (
    AssignmentStatus,
    Dispute,
    DisputeOutcome,
    DisputeStatus,
    TaskStatus,
)
from tasks.selectors import employer_stats_attach
from tasks.services.disputes import (
    dispute_open,
    dispute_resolve,
    dispute_respond,
    dispute_reverse,
)
from webhooks.models import Delivery, Endpoint
from workers.claims import task_claim
from workers.selectors import success_rate

from ..factories import UserFactory
from .api_helpers import png
from .dispute_helpers import disputed, escrow_of, rejected

pytestmark = pytest.mark.django_db


def refused(code, service, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as error:
        service(**kwargs)
    assert error.value.code == code, error.value.message
    return error.value


# --- opening -----------------------------------------------------------------------------------


def test_the_worker_disputes_a_rejection_within_the_window(employer, worker, moderator):
    assignment = rejected(employer, worker, moderator)
    dispute = dispute_open(assignment=assignment, by=worker, reason="  I did sign up.  ")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DISPUTED
    assert dispute.worker_statement == "I did sign up."
    assert dispute.status == DisputeStatus.OPEN and dispute.outcome == ""
    assert assignment.events.last().to_status == AssignmentStatus.DISPUTED
    assert balances_of(employer).escrow_cents == 165  # the money stays in escrow
    assert ledger_violations() == []


def test_a_dispute_keeps_one_screenshot_checked_like_a_proof(employer, worker, moderator):
    assignment = rejected(employer, worker, moderator)
    dispute = dispute_open(assignment=assignment, by=worker, reason="See", evidence=png(3))
    assert dispute.evidence_content_type == "image/png"
    assert dispute.evidence.name.startswith("private/screenshots/")
    assert dispute.evidence.read()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_file_that_is_not_a_picture_is_refused_next_to_the_field(employer, worker, moderator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assignment = rejected(employer, worker, moderator)
    fake = SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")
    error = refused(
        "invalid", dispute_open, assignment=assignment, by=worker, reason="See", evidence=fake
    )
    assert "evidence" in error.errors
    assert not Dispute.objects.exists()


def test_a_dispute_needs_a_reason(employer, worker, moderator):
    assignment = rejected(employer, worker, moderator)
    error = refused("reason_required", dispute_open, assignment=assignment, by=worker, reason=" ")
    assert "reason" in error.errors


def test_a_dispute_after_the_window_is_refused(employer, worker, moderator):
    assignment = rejected(employer, worker, moderator)
    with time_machine.travel(assignment.dispute_until + timedelta(seconds=1)):
        error = refused(
            "dispute_window_closed", dispute_open, assignment=assignment, by=worker, reason="x"
        )
    assert error.status == 409 and "reason" in error.errors
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REJECTED


def test_a_dispute_after_the_sweeper_closed_the_window_is_refused(employer, worker, moderator):
    assignment = rejected(employer, worker, moderator)
    services.dispute_windows_close_due(now=timezone.now() + timedelta(days=4))
    # The worker's page still holds the old row: the service reads it again under the lock.
    assignment.status = AssignmentStatus.REJECTED
    assignment.dispute_until = timezone.now() + timedelta(days=1)
    refused("dispute_window_closed", dispute_open, assignment=assignment, by=worker, reason="x")


def test_a_rejection_cannot_be_disputed_twice(employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    assignment = dispute.assignment
    refused("already_disputed", dispute_open, assignment=assignment, by=worker, reason="again")
    assignment.refresh_from_db()
    refused("already_disputed", dispute_open, assignment=assignment, by=worker, reason="again")
    assert Dispute.objects.count() == 1


def test_a_decided_dispute_cannot_be_opened_again(employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    dispute_resolve(dispute=dispute, by=moderator, outcome="employer", reason="Fake proof")
    dispute.assignment.refresh_from_db()
    refused("already_disputed", dispute_open, assignment=dispute.assignment, by=worker, reason="x")


def test_an_approved_assignment_cannot_be_disputed(employer, worker, moderator):
    from .api_helpers import submitted

    assignment = submitted(employer, worker, moderator)
    services.submission_approve(assignment=assignment, by=employer)
    assignment.refresh_from_db()
    error = refused("invalid_status", dispute_open, assignment=assignment, by=worker, reason="x")
    assert error.status == 409


def test_only_the_assignee_can_dispute(employer, worker, outsider, moderator):
    assignment = rejected(employer, worker, moderator)
    error = refused("not_found", dispute_open, assignment=assignment, by=outsider, reason="x")
    assert error.status == 404
    refused("not_found", dispute_open, assignment=assignment, by=employer, reason="x")


# --- the employer ------------------------------------------------------------------------------


def test_the_employer_answers_and_may_change_the_answer(employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    dispute_respond(dispute=dispute, by=employer, statement="The username does not exist.")
    dispute_respond(dispute=dispute, by=employer, statement="Username karim is not on our list.")
    dispute.refresh_from_db()
    assert dispute.employer_statement == "Username karim is not on our list."
    assert dispute.responded_at is not None
    refused("statement_required", dispute_respond, dispute=dispute, by=employer, statement="")


def test_only_the_campaigns_employer_answers_or_reverses(employer, worker, outsider, moderator):
    dispute = disputed(employer, worker, moderator)
    for user in (worker, outsider, moderator):
        refused("not_found", dispute_respond, dispute=dispute, by=user, statement="x")
        refused("not_found", dispute_reverse, dispute=dispute, by=user, reason="x")


def test_the_employer_reverses_and_the_worker_is_paid_once(employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    dispute_reverse(dispute=dispute, by=employer, reason="You were right, sorry.")
    refused("invalid_status", dispute_reverse, dispute=dispute, by=employer, reason="")
    refused(
        "invalid_status",
        dispute_resolve,
        dispute=dispute,
        by=moderator,
        outcome="worker",
        reason="x",
    )
    dispute.refresh_from_db()
    dispute.assignment.refresh_from_db()
    assert dispute.outcome == DisputeOutcome.REVERSED and dispute.decided_by == employer
    assert dispute.assignment.status == AssignmentStatus.APPROVED
    assert balances_of(worker).available_cents == 50
    assert escrow_of(campaign) == 110
    key = f"approve:assignment:{dispute.assignment_id}"
    assert Movement.objects.filter(idempotency_key=key).count() == 1
    assert not ModerationAction.objects.filter(
        action="dispute.resolve"
    ).exists()  # the employer's own act, not a moderator's
    refused("invalid_status", dispute_respond, dispute=dispute, by=employer, statement="late")
    assert ledger_violations() == []


# --- the moderator -----------------------------------------------------------------------------


def test_a_moderator_decides_for_the_worker_who_is_paid_from_escrow(employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="Proof is right.")
    dispute.refresh_from_db()
    assignment = dispute.assignment
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.APPROVED
    assert assignment.task.status == TaskStatus.PAID
    assert (dispute.status, dispute.outcome) == (DisputeStatus.DECIDED, DisputeOutcome.WORKER)
    assert dispute.decision_reason == "Proof is right." and dispute.decided_by == moderator
    assert balances_of(worker).available_cents == 50
    assert escrow_of(campaign) == 110
    assert balances_of(employer).available_cents == 10_000 - 165
    audit = ModerationAction.objects.get(action="dispute.resolve")
    assert (audit.actor, audit.target_id, audit.reason) == (
        moderator,
        str(dispute.pk),
        "Proof is right.",
    )
    assert ledger_violations() == []


def test_a_moderator_decides_for_the_employer_and_the_task_reopens(employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    dispute_resolve(dispute=dispute, by=moderator, outcome="employer", reason="Fake username.")
    assignment = dispute.assignment
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CLOSED
    assert assignment.task.status == TaskStatus.OPEN
    assert escrow_of(campaign) == 165
    assert balances_of(worker).available_cents == 0
    # The closed window's sweeper has nothing left to do with it.
    assert services.dispute_windows_close_due(now=timezone.now() + timedelta(days=9)) == 0
    assert ledger_violations() == []


def test_for_the_employer_on_a_cancelled_campaign_refunds_the_task(employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    services.campaign_cancel(campaign=campaign, by=employer)
    assert escrow_of(campaign) == 55
    dispute_resolve(dispute=dispute, by=moderator, outcome="employer", reason="Fake.")
    dispute.assignment.task.refresh_from_db()
    assert dispute.assignment.task.status == TaskStatus.WITHDRAWN
    assert escrow_of(campaign) == 0
    assert balances_of(employer).available_cents == 10_000
    assert ledger_violations() == []


def test_a_resolution_needs_a_moderator_an_outcome_and_a_reason(
    employer, worker, outsider, moderator
):
    dispute = disputed(employer, worker, moderator)
    for user in (worker, employer, outsider):
        error = refused(
            "permission_denied",
            dispute_resolve,
            dispute=dispute,
            by=user,
            outcome="worker",
            reason="x",
        )
        assert error.status == 403
    error = refused(
        "reason_required",
        dispute_resolve,
        dispute=dispute,
        by=moderator,
        outcome="worker",
        reason="",
    )
    assert "reason" in error.errors
    error = refused(
        "invalid", dispute_resolve, dispute=dispute, by=moderator, outcome="reversed", reason="x"
    )
    assert "outcome" in error.errors
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_a_moderator_cannot_decide_their_own_dispute(employer, moderator):
    dispute = disputed(employer, moderator, moderator)  # the moderator worked on it
    with pytest.raises(OwnCase):  # four eyes (tests/moderation/test_four_eyes.py)
        dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="Mine")


def test_a_dispute_is_decided_once(employer, worker, moderator):
    from accounts.services import moderator_grant
    from tests.factories import UserFactory

    other = moderator_grant(user=UserFactory(email="mod2@example.com"))
    dispute = disputed(employer, worker, moderator)
    dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="Right.")
    refused(
        "invalid_status",
        dispute_resolve,
        dispute=dispute,
        by=other,
        outcome="employer",
        reason="No.",
    )
    assert balances_of(worker).available_cents == 50
    assert ledger_violations() == []


# --- side effects ------------------------------------------------------------------------------


def test_both_sides_are_told_and_the_employers_endpoint_hears_it(
    employer, worker, moderator, django_capture_on_commit_callbacks
):
    Endpoint.objects.create(employer=employer, url="https://hooks.example.com/kaaj")
    with django_capture_on_commit_callbacks():
        dispute = disputed(employer, worker, moderator)
    assert Notification.objects.filter(user=employer, kind="dispute_opened").count() == 1
    dispute_respond(dispute=dispute, by=employer, statement="No such user.")
    assert Notification.objects.filter(user=worker, kind="dispute_answered").count() == 1
    dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="It exists.")
    decided = Notification.objects.filter(kind="dispute_decided")
    assert sorted(n.user_id for n in decided) == sorted([worker.pk, employer.pk])
    assert all(n.params["outcome"] == "worker" for n in decided)
    assert all(n.params["reason"] == "It exists." for n in decided)
    events = list(Delivery.objects.order_by("id").values_list("event", flat=True))
    assert events[-3:] == ["assignment.disputed", "assignment.approved", "dispute.resolved"]


def test_a_decision_for_the_employer_announces_no_approval(employer, worker, moderator):
    Endpoint.objects.create(employer=employer, url="https://hooks.example.com/kaaj")
    dispute = disputed(employer, worker, moderator)
    dispute_resolve(dispute=dispute, by=moderator, outcome="employer", reason="Proof is fake.")
    events = list(Delivery.objects.order_by("id").values_list("event", flat=True))
    assert events[-1] == "dispute.resolved"
    assert "assignment.approved" not in events


# --- records -----------------------------------------------------------------------------------


def test_an_overturned_rejection_counts_as_approved_and_an_open_one_not_at_all(
    employer, worker, moderator
):
    dispute = disputed(employer, worker, moderator)
    assert success_rate(worker) is None  # open: neither approved nor rejected
    dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="Right.")
    assert success_rate(worker) == 100


def test_a_final_rejection_counts_against_the_worker(employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    dispute_resolve(dispute=dispute, by=moderator, outcome="employer", reason="Fake.")
    assert success_rate(worker) == 0


def test_the_employers_overturned_rejections_are_counted_in_one_query(
    employer, worker, outsider, moderator, django_assert_num_queries
):
    first = disputed(employer, worker, moderator, positions=3)
    campaign = first.assignment.campaign
    dispute_resolve(dispute=first, by=moderator, outcome="worker", reason="Right.")
    second = disputed(employer, outsider, moderator, campaign=campaign)
    dispute_reverse(dispute=second, by=employer, reason="")
    campaign.refresh_from_db()
    with django_assert_num_queries(1):
        (attached,) = employer_stats_attach([campaign])
    stats = attached.employer_stats
    assert (stats.approved, stats.reviewed, stats.overturned, stats.approval_rate) == (2, 2, 2, 100)
    record = employer_record(employer)  # the moderator's view: the same record
    assert (record.approved, record.rejected, record.overturned, record.rate) == (2, 0, 2, 100)
    assert worker_record(worker).overturned == 1


def test_the_employers_record_for_moderators_is_the_one_workers_see(
    employer, worker, outsider, moderator
):
    first = disputed(employer, worker, moderator, positions=3)  # open: in dispute
    rejected(employer, outsider, moderator, campaign=first.assignment.campaign)
    record = employer_record(employer)
    stats = employer_stats_attach([first.assignment.campaign])[0].employer_stats
    assert (record.approved, record.rejected, record.disputed, record.rate) == (0, 1, 1, 0)
    assert (stats.approved, stats.rejected, stats.disputed, stats.approval_rate) == (0, 1, 1, 0)


def test_rejections_under_dispute_count_against_the_approval_rate_until_decided(
    employer, worker, moderator, client
):
    first = disputed(employer, worker, moderator, positions=4)
    campaign = first.assignment.campaign
    for n in range(2):
        disputed(employer, UserFactory(display_name=f"Disputer {n}"), moderator, campaign=campaign)
    approved = task_claim(campaign=campaign, worker=UserFactory(display_name="Approved"))
    services.assignment_submit(
        assignment=approved, worker=approved.worker, answers={"username": "x"}, files={}
    )
    services.submission_approve(assignment=approved, by=employer)

    stats = employer_stats_attach([campaign])[0].employer_stats
    assert (stats.approved, stats.rejected, stats.disputed, stats.rated) == (1, 0, 3, 4)
    assert stats.approval_rate == 25  # not 100: three rejections stand until decided
    client.force_login(moderator)
    page = client.get(f"/moderation/users/{employer.pk}/").content.decode()
    assert "25% of 4" in page and "3 rejections under dispute" in page

    dispute_resolve(dispute=first, by=moderator, outcome="worker", reason="Right.")
    stats = employer_stats_attach([campaign])[0].employer_stats
    assert (stats.approved, stats.disputed, stats.approval_rate) == (2, 2, 50)


def test_the_employers_record_comes_from_the_cache_until_a_review_changes_it(
    employer, worker, outsider, moderator, django_assert_num_queries
):
    first = rejected(employer, worker, moderator, positions=3)
    campaign = first.campaign
    employer_stats_attach([campaign])  # counted once, and kept
    with django_assert_num_queries(0):
        stats = employer_stats_attach([campaign])[0].employer_stats
    assert (stats.approved, stats.rejected) == (0, 1)

    second = task_claim(campaign=campaign, worker=outsider)
    services.assignment_submit(
        assignment=second, worker=outsider, answers={"username": "x"}, files={}
    )
    with django_assert_num_queries(0):  # a submission is not in the record: still kept
        employer_stats_attach([campaign])
    services.submission_approve(assignment=second, by=employer)
    with django_assert_num_queries(1):  # the approval forgot it
        stats = employer_stats_attach([campaign])[0].employer_stats
    assert (stats.approved, stats.rejected, stats.approval_rate) == (1, 1, 50)
