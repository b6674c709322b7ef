"""Disputes through the pages: the worker's form on the assignment page, the employer's
answer and reversal on the campaign page, the moderators' queue and decision page — each
way with the ledger checked after, and who may see or post what."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from payments.selectors import balances_of, ledger_violations
from tasks.models import AssignmentStatus, Dispute, DisputeOutcome, DisputeStatus, TaskStatus
from tasks.services.disputes import dispute_open, dispute_resolve, dispute_reverse
from tests.factories import UserFactory

from .api_helpers import png, submitted
from .dispute_helpers import disputed, escrow_of, rejected

pytestmark = pytest.mark.django_db


def _url(name, pk):
    return reverse(f"tasks:{name}", args=[pk])


def _console(name, pk):
    return reverse(f"moderation:{name}", args=[pk])


def _work(name, pk):
    return reverse(f"workers:{name}", args=[pk])


# --- the worker --------------------------------------------------------------------------------


def test_the_worker_disputes_from_the_assignment_page(client, employer, worker, moderator):
    assignment = rejected(employer, worker, moderator)
    client.force_login(worker)
    page = client.get(_work("assignment", assignment.pk)).content.decode()
    assert "Dispute this rejection" in page and _url("dispute_open", assignment.pk) in page
    response = client.post(
        _url("dispute_open", assignment.pk),
        {"reason": "I signed up as karim.", "evidence": png(4)},
    )
    assert response.status_code == 302
    assert response["Location"] == _work("assignment", assignment.pk)
    dispute = Dispute.objects.get(assignment=assignment)
    assert dispute.worker_statement == "I signed up as karim." and dispute.evidence
    page = client.get(_work("assignment", assignment.pk)).content.decode()
    assert "Your dispute" in page and "I signed up as karim." in page
    assert "Dispute this rejection" not in page
    assert client.get(_url("dispute_evidence", dispute.pk)).status_code == 200


def test_a_dispute_without_a_reason_shows_the_error_next_to_the_field(
    client, employer, worker, moderator
):
    assignment = rejected(employer, worker, moderator)
    client.force_login(worker)
    response = client.post(_url("dispute_open", assignment.pk), {"reason": "  "})
    assert response.status_code == 400
    assert 'id="id_reason_errors"' in response.content.decode()
    assert not Dispute.objects.exists()


def test_a_dispute_after_the_window_is_refused_with_a_clear_message(
    client, employer, worker, moderator
):
    assignment = rejected(employer, worker, moderator)
    client.force_login(worker)
    with time_machine.travel(assignment.dispute_until + timedelta(minutes=1)):
        page = client.get(_work("assignment", assignment.pk)).content.decode()
        assert "The time to dispute this rejection is over." in page
        assert "Dispute this rejection" not in page
        response = client.post(_url("dispute_open", assignment.pk), {"reason": "Unfair"})
    assert response.status_code == 409
    body = response.content.decode()
    assert 'id="id_reason_errors"' in body
    assert "The time to dispute this rejection is over." in body
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REJECTED


def test_an_approved_assignment_shows_no_dispute_form(client, employer, worker, moderator):
    from tasks.services import submission_approve

    assignment = submitted(employer, worker, moderator)
    submission_approve(assignment=assignment, by=employer)
    client.force_login(worker)
    assert "Dispute this rejection" not in client.get(_work("assignment", assignment.pk)).text
    response = client.post(_url("dispute_open", assignment.pk), {"reason": "Why not"})
    assert response.status_code == 409
    assert "Only a rejected submission can be disputed." in response.content.decode()


def test_only_the_assignee_may_open_the_dispute_form(client, employer, worker, outsider, moderator):
    assignment = rejected(employer, worker, moderator)
    url = _url("dispute_open", assignment.pk)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert client.post(url, {"reason": "x"}).status_code == 302
    for user in (outsider, employer, moderator):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "x"}).status_code == 404
    assert not Dispute.objects.exists()


def test_the_evidence_is_only_for_the_two_sides_and_moderators(
    client, employer, worker, outsider, moderator
):
    assignment = rejected(employer, worker, moderator)
    dispute = dispute_open(assignment=assignment, by=worker, reason="See", evidence=png(5))
    url = _url("dispute_evidence", dispute.pk)
    assert client.get(url).status_code == 302
    for user, expected in ((worker, 200), (employer, 200), (moderator, 200), (outsider, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == expected, user
        if expected == 200:
            assert response["Content-Type"] == "image/png"
            assert response["X-Content-Type-Options"] == "nosniff"


# --- the employer ------------------------------------------------------------------------------


def test_the_employer_sees_the_dispute_and_answers_it(client, employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    client.force_login(employer)
    manage = _url("campaign_manage", campaign.pk)
    page = client.get(manage).content.decode()
    assert "Open disputes" in page and dispute.worker_statement in page
    assert (
        _url("dispute_respond", dispute.pk) in page and _url("dispute_reverse", dispute.pk) in page
    )
    response = client.post(
        _url("dispute_respond", dispute.pk), {"statement": "No such user.", "next": manage}
    )
    assert response.status_code == 302 and response["Location"] == manage
    dispute.refresh_from_db()
    assert dispute.employer_statement == "No such user."
    assert client.get(reverse("tasks:employer_disputes")).status_code == 200


def test_an_empty_answer_shows_the_error_next_to_the_field(client, employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    client.force_login(employer)
    response = client.post(_url("dispute_respond", dispute.pk), {"statement": ""})
    assert response.status_code == 400
    assert 'id="id_statement_errors"' in response.content.decode()


def test_an_answer_may_not_send_the_employer_elsewhere(client, employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    client.force_login(employer)
    response = client.post(
        _url("dispute_respond", dispute.pk),
        {"statement": "No.", "next": "https://evil.example.com/"},
    )
    assert response["Location"] == _url("employer_dispute", dispute.pk)


def test_the_employer_reverses_from_the_page_and_the_worker_is_paid_once(
    client, employer, worker, moderator
):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    client.force_login(employer)
    url = _url("dispute_reverse", dispute.pk)
    assert client.post(url, {"reason": "Found you."}).status_code == 302
    assert client.post(url, {"reason": "Again"}).status_code == 302  # refused, with a message
    dispute.refresh_from_db()
    assert dispute.outcome == DisputeOutcome.REVERSED
    assert balances_of(worker).available_cents == 50
    assert escrow_of(campaign) == 110
    assert ledger_violations() == []
    client.force_login(worker)
    page = client.get(_work("assignment", dispute.assignment_id)).content.decode()
    assert "Reversed by the employer" in page and "Found you." in page


def test_only_the_campaigns_employer_answers_or_reverses(
    client, employer, worker, outsider, moderator
):
    dispute = disputed(employer, worker, moderator)
    for name, data in (("dispute_respond", {"statement": "x"}), ("dispute_reverse", {})):
        url = _url(name, dispute.pk)
        assert client.post(url, data).status_code == 302  # anonymous: login
        for user in (worker, outsider, moderator):
            client.force_login(user)
            assert client.post(url, data).status_code == 404
        client.logout()
        client.force_login(employer)
        assert client.get(url).status_code == 405
        client.logout()
    for user in (worker, outsider):
        client.force_login(user)
        assert client.get(_url("employer_dispute", dispute.pk)).status_code == 404
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN and dispute.employer_statement == ""


# --- moderators --------------------------------------------------------------------------------


def test_the_queue_lists_open_disputes_oldest_first(
    client, employer, worker, outsider, moderator, django_assert_max_num_queries
):
    first = disputed(employer, worker, moderator)
    second = disputed(employer, outsider, moderator, campaign=first.assignment.campaign)
    third = UserFactory(email="third@example.com")
    decided = disputed(employer, third, moderator, campaign=first.assignment.campaign)
    dispute_reverse(dispute=decided, by=employer)
    client.force_login(moderator)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("moderation:disputes")).content.decode()
    one, two = _console("dispute", first.pk), _console("dispute", second.pk)
    assert one in page and two in page and page.index(one) < page.index(two)
    assert _console("dispute", decided.pk) not in page


def test_only_moderators_see_the_dispute_pages(client, employer, worker, outsider, moderator):
    dispute = disputed(employer, worker, moderator)
    urls = [reverse("moderation:disputes"), _console("dispute", dispute.pk)]
    resolve = _console("dispute_resolve", dispute.pk)
    for url in [*urls, resolve]:
        assert client.get(url).status_code == 302  # anonymous: login
    for user in (worker, employer, outsider):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403
        assert client.post(resolve, {"outcome": "worker", "reason": "x"}).status_code == 403
    client.force_login(moderator)
    assert client.get(resolve).status_code == 405
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_the_decision_page_holds_everything_the_moderator_needs(
    client, employer, worker, moderator
):
    from tasks import services

    from .api_helpers import SHOT_FIELDS

    assignment = submitted(employer, worker, moderator, shot=7)
    campaign = assignment.campaign
    services.submission_reject(assignment=assignment, by=employer, reason="Blurry screenshot")
    assignment.refresh_from_db()
    dispute = dispute_open(
        assignment=assignment, by=worker, reason="It is sharp on a phone.", evidence=png(8)
    )
    from tasks.services.disputes import dispute_respond

    dispute_respond(dispute=dispute, by=employer, statement="We cannot read it.")
    client.force_login(moderator)
    page = client.get(_console("dispute", dispute.pk)).content.decode()
    shot = assignment.submissions.get().screenshots.get()
    for expected in (
        campaign.instructions.split()[0],
        "karim",  # the proof's answer
        _url("screenshot", shot.pk),
        "Blurry screenshot",
        "It is sharp on a phone.",
        "We cannot read it.",
        _url("dispute_evidence", dispute.pk),
        'id="worker-record"',
        'id="employer-record"',
        "Success rate",
        "Approval rate",
        'name="outcome"',
        _console("dispute_resolve", dispute.pk),
    ):
        assert expected in page, expected
    assert SHOT_FIELDS[1]["label"] in page


def test_deciding_for_the_worker_from_the_page_pays_from_escrow(
    client, employer, worker, moderator
):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    client.force_login(moderator)
    response = client.post(
        _console("dispute_resolve", dispute.pk),
        {"outcome": "worker", "reason": "The username exists."},
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.outcome, dispute.decided_by) == (DisputeOutcome.WORKER, moderator)
    assert balances_of(worker).available_cents == 50
    assert escrow_of(campaign) == 110
    assert ledger_violations() == []
    for user in (worker, employer):  # the reason is shown to both sides
        client.force_login(user)
        url = (
            _work("assignment", dispute.assignment_id)
            if user == worker
            else _url("employer_dispute", dispute.pk)
        )
        assert "The username exists." in client.get(url).content.decode()


def test_deciding_for_the_employer_from_the_page_reopens_the_task(
    client, employer, worker, moderator
):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    client.force_login(moderator)
    response = client.post(
        _console("dispute_resolve", dispute.pk),
        {"outcome": "employer", "reason": "No such user."},
    )
    assert response.status_code == 302
    dispute.assignment.refresh_from_db()
    assert dispute.assignment.status == AssignmentStatus.CLOSED
    assert dispute.assignment.task.status == TaskStatus.OPEN
    assert balances_of(worker).available_cents == 0
    assert escrow_of(campaign) == 165
    assert ledger_violations() == []


def test_a_decision_without_a_reason_shows_the_error_next_to_the_field(
    client, employer, worker, moderator
):
    dispute = disputed(employer, worker, moderator)
    client.force_login(moderator)
    response = client.post(_console("dispute_resolve", dispute.pk), {"outcome": "worker"})
    assert response.status_code == 400
    assert 'id="id_reason_errors"' in response.content.decode()
    response = client.post(
        _console("dispute_resolve", dispute.pk), {"outcome": "maybe", "reason": "x"}
    )
    assert response.status_code == 400
    assert 'id="id_outcome_errors"' in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_a_decided_dispute_cannot_be_decided_again_from_the_page(
    client, employer, worker, moderator
):
    dispute = disputed(employer, worker, moderator)
    dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="Right")
    client.force_login(moderator)
    response = client.post(
        _console("dispute_resolve", dispute.pk),
        {"outcome": "employer", "reason": "No"},
    )
    assert response.status_code == 302
    assert "already decided" in client.get(response["Location"]).content.decode()
    dispute.refresh_from_db()
    assert dispute.outcome == DisputeOutcome.WORKER
    assert balances_of(worker).available_cents == 50


# --- what workers see of employers -------------------------------------------------------------


def test_workers_see_the_employers_overturned_rejections_next_to_the_rate(
    client, employer, worker, outsider, moderator
):
    dispute = disputed(employer, worker, moderator, positions=3)
    dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="Right")
    client.force_login(outsider)
    campaign = dispute.assignment.campaign
    assert "1 rejection overturned" in client.get(reverse("workers:feed")).content.decode()
    assert "1 rejection overturned" in client.get(_work("campaign", campaign.pk)).content.decode()
