"""Verification codes Kaaj checks: each task's code in the hidden ``_code`` column of the task
file, a proof of kind verification_code that must match it, and campaigns that approve work
with the right code at once. The code is never shown to the worker."""

import pytest
from django.urls import reverse

from core.errors import DomainError
from payments.selectors import balances_of, ledger_violations
from tasks.models import Assignment, AssignmentStatus, Submission
from tasks.services import assignment_submit, campaign_add_positions, campaign_create
from workers.claims import task_claim

from ..refusals import refused
from .helpers import active_campaign, spec

pytestmark = pytest.mark.django_db

CODE_PROOF = [
    {"key": "page", "label": "The page you signed up on", "kind": "url", "required": True},
    {"key": "code", "label": "The code on the last page", "kind": "verification_code"},
]
ROWS = [
    {"site": "https://shop.example.com/a", "_code": "K7-QX2"},
    {"site": "https://shop.example.com/b", "_code": "M4-ZP9"},
]
INSTRUCTIONS = "Sign up at {{site}} and type the code its last page shows."


def coded(employer, moderator, **changes):
    values = {
        "proof_fields": CODE_PROOF,
        "task_inputs": tuple(ROWS),
        "positions": len(ROWS),
        "instructions": INSTRUCTIONS,
    }
    return active_campaign(employer, moderator, **(values | changes))


def answers(code: str) -> dict:
    return {"page": "https://shop.example.com/welcome", "code": code}


# --- what a campaign may ask -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"task_inputs": ()}, "task_inputs", "_code column"),
        ({"task_inputs": ({"site": "a", "_code": " "}, {"site": "b", "_code": "X"})},
         "task_inputs", "filled on every row"),
        ({"proof_fields": [*CODE_PROOF, {"key": "again", "label": "Again",
                                        "kind": "verification_code"}]},
         "proof_fields", "one verification code at most"),
        ({"proof_fields": CODE_PROOF[:1], "auto_approve_code": True}, "auto_approve_code",
         "needs a verification code"),
        ({"instructions": "Type {{_code}} on the page."}, "instructions", "remove {{_code}}"),
    ],
)  # fmt: skip
def test_a_campaign_that_asks_for_a_code_needs_every_tasks_code(employer, changes, field, message):
    values = {
        "proof_fields": CODE_PROOF,
        "task_inputs": tuple(ROWS),
        "positions": 2,
        "instructions": INSTRUCTIONS,
    }
    with pytest.raises(DomainError, match=message) as caught:
        campaign_create(employer=employer, spec=spec(**(values | changes)))
    assert field in caught.value.errors


def test_positions_added_to_a_campaign_with_codes_bring_their_codes(employer, moderator):
    campaign = coded(employer, moderator)
    with refused("invalid", match="_code column"):
        campaign_add_positions(campaign=campaign, by=employer, count=1)
    campaign_add_positions(
        campaign=campaign, by=employer, count=1, task_inputs=[{"site": "c", "_code": "Z1"}]
    )
    assert campaign.tasks.count() == 3


# --- the check at submit ----------------------------------------------------------------------


def test_a_wrong_code_is_refused_next_to_the_field_and_nothing_is_saved(
    employer, moderator, worker
):
    campaign = coded(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker)
    with refused("invalid") as caught:
        assignment_submit(assignment=assignment, worker=worker, answers=answers("WRONG1"), files={})
    assert "not the code the task gives" in caught.value.errors["code"][0]
    assert not Submission.objects.exists()
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.CLAIMED


def test_the_right_code_is_taken_whatever_its_case_and_spaces(employer, moderator, worker):
    campaign = coded(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker)
    expected = assignment.task.input["_code"]
    typed = " " + expected.lower().replace("-", "- ") + " "
    assignment_submit(assignment=assignment, worker=worker, answers=answers(typed), files={})
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.SUBMITTED


def test_approving_by_code_pays_the_worker_at_once_and_keeps_the_books(employer, moderator, worker):
    campaign = coded(employer, moderator, auto_approve_code=True)
    assignment = task_claim(campaign=campaign, worker=worker)
    before = balances_of(worker).available_cents
    assignment_submit(
        assignment=assignment,
        worker=worker,
        answers=answers(assignment.task.input["_code"]),
        files={},
    )
    approved = Assignment.objects.get(pk=assignment.pk)
    assert approved.status == AssignmentStatus.APPROVED and approved.reviewed_at is not None
    assert balances_of(worker).available_cents == before + campaign.reward_cents
    assert approved.events.order_by("-id").first().reason == "code"
    assert ledger_violations() == []


# --- never shown to the worker ------------------------------------------------------------------


def test_the_worker_never_sees_the_code_the_employer_does(
    api_as, client, employer, moderator, worker
):
    campaign = coded(employer, moderator)
    claim = api_as(worker).post(f"/api/v1/campaigns/{campaign.pk}/claim/").json()
    assert claim["task"]["input"] == {"site": ROWS[0]["site"]}
    mine = api_as(worker).get("/api/v1/assignments/").json()["results"][0]
    assert "_code" not in mine["task"]["input"]
    theirs = api_as(employer).get(f"/api/v1/campaigns/{campaign.pk}/assignments/").json()
    assert theirs["results"][0]["task"]["input"]["_code"] == ROWS[0]["_code"]

    client.force_login(worker)
    page = client.get(reverse("workers:assignment", args=[claim["id"]])).content.decode()
    assert ROWS[0]["_code"] not in page
    assert "The code the task&#x27;s page shows at its end. Kaaj checks it." in page
    wrong = client.post(
        reverse("workers:assignment", args=[claim["id"]]), answers("NOPE") | {"page": "x"}
    )
    assert wrong.status_code == 400
    assert "This is not the code the task gives at its end" in wrong.content.decode()


def test_the_campaign_form_offers_approving_by_code(client, employer):
    client.force_login(employer)
    page = client.get(reverse("tasks:campaign_new")).content.decode()
    assert "Approve automatically when the verification code matches" in page
    assert 'value="verification_code"' in page
