"""Disputes through the API: the assignee disputes (JSON or multipart with a screenshot), the
employer answers or reverses, moderators list and decide — each way with the ledger checked
after, the refusals' codes, and who may call each endpoint."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine

from accounts.models import User
from accounts.services import moderator_grant
from payments.selectors import balances_of, ledger_violations
from tasks.models import Assignment, AssignmentStatus, Dispute, DisputeStatus, TaskStatus
from tasks.services import submission_approve
from tasks.services.disputes import dispute_resolve

from ..factories import UserFactory, two_step_on
from ..module_db import module_transaction
from .api_helpers import png, submitted
from .dispute_helpers import disputed, escrow_of, rejected

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_the_assignee_disputes_and_a_moderator_decides_for_the_worker(
    api_as, employer, worker, moderator
):
    assignment = rejected(employer, worker, moderator)
    campaign = assignment.campaign
    response = api_as(worker).post(
        f"{API}/assignments/{assignment.pk}/dispute/",
        {"reason": "I signed up as karim."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open" and body["outcome"] == ""
    assert body["assignment_status"] == "disputed"
    assert body["worker_statement"] == "I signed up as karim."
    assert body["rejection_reason"] == "Wrong username" and body["evidence"] is None
    response = api_as(moderator).post(
        f"{API}/moderation/disputes/{body['id']}/resolve/",
        {"outcome": "worker", "reason": "The username exists."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    decided = response.json()
    assert (decided["status"], decided["outcome"]) == ("decided", "worker")
    assert decided["decision_reason"] == "The username exists."
    assert decided["assignment_status"] == "approved"
    assert balances_of(worker).available_cents == 50
    assert escrow_of(campaign) == 110
    assert ledger_violations() == []
    seen = api_as(employer).get(f"{API}/disputes/{body['id']}/").json()
    assert seen["decision_reason"] == "The username exists."


def test_a_moderator_decides_for_the_employer_and_the_task_reopens(
    api_as, employer, worker, moderator
):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    response = api_as(moderator).post(
        f"{API}/moderation/disputes/{dispute.pk}/resolve/",
        {"outcome": "employer", "reason": "No such user."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["assignment_status"] == "closed"
    dispute.assignment.task.refresh_from_db()
    assert dispute.assignment.task.status == TaskStatus.OPEN
    assert balances_of(worker).available_cents == 0
    assert escrow_of(campaign) == 165
    assert ledger_violations() == []


def test_a_dispute_may_carry_one_screenshot(api_as, employer, worker, moderator):
    assignment = rejected(employer, worker, moderator)
    response = api_as(worker).post(
        f"{API}/assignments/{assignment.pk}/dispute/",
        {"reason": "See the picture", "evidence": png(9)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    url = response.json()["evidence"]
    assert url.endswith(f"/api/v1/disputes/{response.json()['id']}/evidence/")
    for user, expected in ((worker, 200), (employer, 200), (moderator, 200)):
        assert api_as(user).get(url).status_code == expected


def test_a_picture_that_is_not_one_is_refused_by_field(api_as, employer, worker, moderator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assignment = rejected(employer, worker, moderator)
    fake = SimpleUploadedFile("x.png", b"GIF89a nope", content_type="image/png")
    response = api_as(worker).post(
        f"{API}/assignments/{assignment.pk}/dispute/",
        {"reason": "See", "evidence": fake},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "evidence" in response.json()["errors"]


@pytest.mark.parametrize(
    ("body", "code"), [({}, "reason_required"), ({"reason": "  "}, "reason_required")]
)
def test_a_dispute_needs_a_reason(api_as, employer, worker, moderator, body, code):
    assignment = rejected(employer, worker, moderator)
    response = api_as(worker).post(
        f"{API}/assignments/{assignment.pk}/dispute/", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_a_dispute_after_the_window_answers_a_clear_code(api_as, employer, worker, moderator):
    assignment = rejected(employer, worker, moderator)
    with time_machine.travel(assignment.dispute_until + timedelta(seconds=5)):
        response = api_as(worker).post(
            f"{API}/assignments/{assignment.pk}/dispute/", {"reason": "Late"}, format="json"
        )
    assert response.status_code == 409
    assert response.json()["code"] == "dispute_window_closed"
    assert response.json()["detail"] == "The time to dispute this rejection is over."
    assert not Dispute.objects.exists()


def test_a_dispute_cannot_be_opened_twice(api_as, employer, worker, moderator):
    assignment = rejected(employer, worker, moderator)
    url = f"{API}/assignments/{assignment.pk}/dispute/"
    assert api_as(worker).post(url, {"reason": "Unfair"}, format="json").status_code == 201
    response = api_as(worker).post(url, {"reason": "Unfair!"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "already_disputed"
    assert Dispute.objects.count() == 1


def test_an_approved_assignment_cannot_be_disputed(api_as, employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    submission_approve(assignment=assignment, by=employer)
    response = api_as(worker).post(
        f"{API}/assignments/{assignment.pk}/dispute/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "invalid_status"


def test_the_employer_answers_then_reverses_and_pays_once(api_as, employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    campaign = dispute.assignment.campaign
    client = api_as(employer)
    response = client.post(
        f"{API}/disputes/{dispute.pk}/respond/", {"statement": "Checking."}, format="json"
    )
    assert response.status_code == 200 and response.json()["employer_statement"] == "Checking."
    response = client.post(f"{API}/disputes/{dispute.pk}/respond/", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "statement_required"
    response = client.post(
        f"{API}/disputes/{dispute.pk}/reverse/", {"reason": "Found you."}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["outcome"], response.json()["assignment_status"]) == (
        "reversed",
        "approved",
    )
    again = client.post(f"{API}/disputes/{dispute.pk}/reverse/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_status"
    resolve = api_as(moderator).post(
        f"{API}/moderation/disputes/{dispute.pk}/resolve/",
        {"outcome": "employer", "reason": "Too late"},
        format="json",
    )
    assert resolve.status_code == 409 and resolve.json()["code"] == "invalid_status"
    assert balances_of(worker).available_cents == 50
    assert escrow_of(campaign) == 110
    assert ledger_violations() == []


def test_a_resolution_needs_an_outcome_and_a_reason(api_as, employer, worker, moderator):
    dispute = disputed(employer, worker, moderator)
    url = f"{API}/moderation/disputes/{dispute.pk}/resolve/"
    response = api_as(moderator).post(url, {"outcome": "worker"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    response = api_as(moderator).post(url, {"outcome": "both", "reason": "x"}, format="json")
    assert response.status_code == 400
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_moderators_list_the_open_disputes_oldest_first(
    api_as, employer, worker, outsider, moderator
):
    first = disputed(employer, worker, moderator)
    second = disputed(employer, outsider, moderator, campaign=first.assignment.campaign)
    dispute_resolve(dispute=second, by=moderator, outcome="worker", reason="Right")
    third = disputed(employer, worker, moderator, title="Third")
    body = api_as(moderator).get(f"{API}/moderation/disputes/").json()
    assert [d["id"] for d in body["results"]] == [first.pk, third.pk]


# --- who may call what -------------------------------------------------------------------------

ROLES = ["worker", "employer", "outsider", "moderator", "anonymous"]
# endpoint: (method, path, body, {role: status}); anonymous callers get 401 everywhere.
ENDPOINTS = {
    "dispute": (
        "post",
        "assignments/{assignment}/dispute/",
        {"reason": "Unfair"},
        {"worker": 201, "employer": 404, "outsider": 404, "moderator": 404},
    ),
    "read": (
        "get",
        "disputes/{dispute}/",
        None,
        {"worker": 200, "employer": 200, "outsider": 404, "moderator": 200},
    ),
    "respond": (
        "post",
        "disputes/{dispute}/respond/",
        {"statement": "No"},
        {"worker": 404, "employer": 200, "outsider": 404, "moderator": 404},
    ),
    "reverse": (
        "post",
        "disputes/{dispute}/reverse/",
        {},
        {"worker": 404, "employer": 200, "outsider": 404, "moderator": 404},
    ),
    "queue": (
        "get",
        "moderation/disputes/",
        None,
        {"worker": 403, "employer": 403, "outsider": 403, "moderator": 200},
    ),
    "resolve": (
        "post",
        "moderation/disputes/{dispute}/resolve/",
        {"outcome": "worker", "reason": "Right"},
        {"worker": 403, "employer": 403, "outsider": 403, "moderator": 200},
    ),
}


@pytest.fixture(scope="class")
def matrix_world(django_db_setup, django_db_blocker):
    """An open dispute and a fresh rejection (ids only), and who may call: built once for
    the class below, rolled back when it ends, so the tests after it never meet it."""
    with module_transaction(django_db_blocker):
        employer = UserFactory(email="employer@example.com", display_name="Rahim Traders")
        worker = UserFactory(email="worker@example.com", display_name="Karim")
        outsider = UserFactory(email="outsider@example.com", display_name="Someone Else")
        moderator = two_step_on(moderator_grant(user=UserFactory(email="moderator@example.com")))
        dispute = disputed(employer, worker, moderator, positions=3)
        fresh = rejected(employer, worker, moderator, title="Second")
        yield SimpleNamespace(
            users={
                "worker": worker.pk,
                "employer": employer.pk,
                "outsider": outsider.pk,
                "moderator": moderator.pk,
            },
            dispute=dispute.pk,
            assignment=fresh.pk,
        )


class TestWhoMayCall:
    """A class only to scope ``matrix_world``: one world for the matrix's thirty cases."""

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("endpoint", list(ENDPOINTS))
    def test_each_dispute_endpoint_answers_each_role(
        self, endpoint, role, api_client, api_as, matrix_world
    ):
        method, path, body, expected = ENDPOINTS[endpoint]
        if role == "anonymous":
            client = api_client
        else:
            client = api_as(User.objects.get(pk=matrix_world.users[role]))
        url = f"{API}/" + path.format(
            assignment=matrix_world.assignment, dispute=matrix_world.dispute
        )
        before = sorted(Dispute.objects.values_list("pk", "status", "employer_statement"))
        states = sorted(Assignment.objects.values_list("pk", "status"))
        response = getattr(client, method)(url, body, format="json")
        status = expected.get(role, 401)
        assert response.status_code == status, getattr(response, "data", response)
        if status >= 400:
            assert response.json()["code"] and response.json()["detail"]
            disputes = sorted(Dispute.objects.values_list("pk", "status", "employer_statement"))
            assert disputes == before
            assert sorted(Assignment.objects.values_list("pk", "status")) == states
        assert ledger_violations() == []


def test_the_feed_tells_workers_how_many_rejections_were_overturned(
    api_as, employer, worker, outsider, moderator
):
    dispute = disputed(employer, worker, moderator, positions=3)
    dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="Right")
    items = api_as(outsider).get(f"{API}/feed/").json()["results"]
    (item,) = [i for i in items if i["id"] == dispute.assignment.campaign_id]
    assert item["employer"]["overturned_rejections"] == 1
    assert item["employer"]["approval_rate"] == 100
    assert Assignment.objects.get(pk=dispute.assignment_id).status == AssignmentStatus.APPROVED
