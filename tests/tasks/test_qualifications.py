"""Qualification tests: what a test may be, grading, the retake wait, holding a qualification
once (also when two tabs send at the same instant), and campaigns that require one."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.errors import DomainError
from tasks.models import Campaign, HeldQualification, QualificationAttempt, TaskStatus
from tasks.qualifications import grade, questions_check
from tasks.services.qualifications import (
    QualificationSpec,
    qualification_attempt,
    qualification_create,
    qualification_update,
    retry_after,
)
from workers.claims import task_claim
from workers.selectors import feed

from ..payments.helpers import run_together
from ..refusals import refused
from .api_helpers import campaign_body
from .helpers import active_campaign

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"text": "Which city is Bangladesh's capital?", "kind": "choice",
     "choices": ["Chattogram", "Dhaka", "Khulna"], "answer": 1},
    {"text": "Type the word on the sign: BAZAR", "kind": "text", "answer": "Bazar"},
    {"text": "2 + 2?", "kind": "choice", "choices": ["3", "4"], "answer": 1},
    {"text": "Bengali for 'work'?", "kind": "text", "answer": "কাজ"},
]  # fmt: skip
RIGHT = [1, "bazar", 1, "কাজ"]


def spec(**changes) -> QualificationSpec:
    values = {"name": "Reading signs", "questions": QUESTIONS, "pass_mark": 75}
    return QualificationSpec(**(values | changes))


@pytest.fixture
def test_of(employer):
    return qualification_create(by=employer, spec=spec(retake_after_hours=24))


# --- what a test may be ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ([], "at least one question"),
        ([{"text": "", "kind": "text", "answer": "x"}], "Question 1 has no text"),
        ([{"text": "Pick", "kind": "choice", "choices": ["only one"], "answer": 0}], "2 to 8"),
        ([{"text": "Pick", "kind": "choice", "choices": ["a", "b"], "answer": 2}], "marked right"),
        ([{"text": "Pick", "kind": "choice", "choices": ["a", "b"], "answer": True}], "marked"),
        ([{"text": "Say", "kind": "text", "answer": "  "}], "needs its right answer"),
        ([{"text": "Say", "kind": "essay", "answer": "x"}], "choice or a short text"),
        (["not a question"], "Question 1 is not a question"),
        ([QUESTIONS[0]] * 21, "at most 20"),
    ],
)
def test_a_test_that_is_not_well_made_is_refused_with_the_question_named(questions, message):
    with refused("invalid", match=message) as caught:
        questions_check(questions)
    assert caught.value.field == "questions"


def test_questions_are_stored_trimmed_and_in_one_shape():
    stored = questions_check([{"text": " Say ", "kind": "text", "answer": " x ", "choices": [1]}])
    assert stored == [{"text": "Say", "kind": "text", "choices": [], "answer": "x"}]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"name": " "}, "name"), ({"pass_mark": 0}, "pass_mark"), ({"pass_mark": 101}, "pass_mark"),
     ({"retake_after_hours": 24 * 31}, "retake_after_hours")],
)  # fmt: skip
def test_a_test_with_a_bad_setting_is_refused_next_to_the_setting(employer, changes, field):
    with pytest.raises(DomainError) as caught:
        qualification_create(by=employer, spec=spec(**changes))
    assert caught.value.field == field


def test_only_moderators_write_the_platforms_tests(employer, moderator):
    with refused("permission_denied"):
        qualification_create(by=employer, spec=spec(), platform=True)
    platform = qualification_create(by=moderator, spec=spec(), platform=True)
    assert platform.owner is None and platform.is_platform


def test_only_the_owner_changes_a_test(test_of, worker, employer):
    with refused("not_found"):
        qualification_update(qualification=test_of, by=worker, spec=spec(name="Mine now"))
    qualification_update(qualification=test_of, by=employer, spec=spec(name="Signs, harder"))
    test_of.refresh_from_db()
    assert test_of.name == "Signs, harder"


# --- grading ----------------------------------------------------------------------------------


def test_text_answers_are_compared_without_case_or_extra_spaces():
    assert grade(QUESTIONS, [1, "  BAZAR ", 1, "কাজ"]).score == 100
    assert grade(QUESTIONS, [1, "baz ar", 0, None]).score == 25  # one right of four


@pytest.mark.parametrize("answers", [[1, "bazar", 1], "1,2,3,4", [1, "b", 1, ["x"]], [True] * 4])
def test_answers_that_are_not_one_per_question_are_refused(answers):
    with refused("invalid"):
        grade(QUESTIONS, answers)


def test_a_passing_attempt_gives_the_qualification(test_of, worker):
    result = qualification_attempt(qualification=test_of, worker=worker, answers=RIGHT)
    assert (result.attempt.score, result.attempt.passed, result.retry_after) == (100, True, None)
    assert HeldQualification.objects.get(worker=worker).qualification == test_of
    with refused("already_qualified"):
        qualification_attempt(qualification=test_of, worker=worker, answers=RIGHT)


def test_a_failed_attempt_waits_for_the_retake_then_may_pass(test_of, worker):
    now = timezone.now()
    failed = qualification_attempt(
        qualification=test_of, worker=worker, answers=[0, "no", 1, None], now=now
    )
    assert (failed.attempt.score, failed.attempt.passed) == (25, False)
    assert failed.retry_after == now + timedelta(hours=24)
    assert not HeldQualification.objects.filter(worker=worker).exists()
    with refused("retry_later", match="again from"):
        qualification_attempt(
            qualification=test_of, worker=worker, answers=RIGHT, now=now + timedelta(hours=23)
        )
    assert QualificationAttempt.objects.filter(worker=worker).count() == 1
    with time_machine.travel(now + timedelta(hours=24, seconds=1)):
        assert retry_after(test_of, worker) is None
        assert qualification_attempt(qualification=test_of, worker=worker, answers=RIGHT)


def test_the_pass_mark_is_reached_at_its_percent(test_of, worker, outsider):
    three_of_four = qualification_attempt(
        qualification=test_of, worker=worker, answers=[1, "bazar", 1, "no"]
    )
    assert (three_of_four.attempt.score, three_of_four.attempt.passed) == (75, True)
    half = qualification_attempt(
        qualification=test_of, worker=outsider, answers=[1, "bazar", 0, "no"]
    )
    assert (half.attempt.score, half.attempt.passed) == (50, False)


def test_a_closed_test_and_ones_own_cannot_be_taken(test_of, employer, worker):
    with refused("own_qualification"):
        qualification_attempt(qualification=test_of, worker=employer, answers=RIGHT)
    qualification_update(qualification=test_of, by=employer, spec=spec(is_active=False))
    with refused("qualification_closed"):
        qualification_attempt(qualification=test_of, worker=worker, answers=RIGHT)


@pytest.mark.django_db(transaction=True)
def test_two_tabs_sending_at_once_hold_the_qualification_once(employer, worker):
    qualification = qualification_create(by=employer, spec=spec())

    def attempt(_index):
        return qualification_attempt(qualification=qualification, worker=worker, answers=RIGHT)

    results = run_together(4, attempt)
    refusals = [r.code for r in results if isinstance(r, DomainError)]
    assert refusals == ["already_qualified"] * 3, results
    assert HeldQualification.objects.filter(worker=worker).count() == 1
    assert QualificationAttempt.objects.filter(worker=worker).count() == 1


# --- campaigns that require a qualification ------------------------------------------------------


def test_a_campaign_that_requires_a_test_is_for_those_who_passed_it(
    test_of, employer, moderator, worker, outsider
):
    campaign = active_campaign(employer, moderator)
    Campaign.objects.filter(pk=campaign.pk).update(qualifications=[test_of.pk])
    campaign.refresh_from_db()
    assert campaign.tasks.filter(status=TaskStatus.OPEN).exists()
    assert not feed(worker=worker).filter(pk=campaign.pk).exists()
    with refused("qualification_required", match="Reading signs"):
        task_claim(campaign=campaign, worker=worker)
    qualification_attempt(qualification=test_of, worker=worker, answers=RIGHT)
    assert feed(worker=worker).filter(pk=campaign.pk).exists()
    assert task_claim(campaign=campaign, worker=worker).worker == worker
    assert not feed(worker=outsider).filter(pk=campaign.pk).exists()


# --- the API --------------------------------------------------------------------------------------

API = "/api/v1/qualifications/"


def test_an_employer_writes_a_test_and_a_worker_takes_it_through_the_api(
    api_as, employer, worker, moderator
):
    created = api_as(employer).post(
        API, {"name": "Reading signs", "questions": QUESTIONS, "pass_mark": 75}, format="json"
    )
    assert created.status_code == 201, created.json()
    test = created.json()
    assert test["can_edit"] and test["questions"][1]["answer"] == "Bazar"
    assert test["platform"] is False and test["owner_name"]

    seen = api_as(worker).get(f"{API}{test['id']}/").json()
    assert seen["questions"][0] == {
        "text": QUESTIONS[0]["text"], "kind": "choice", "choices": QUESTIONS[0]["choices"]
    }  # fmt: skip
    assert all("answer" not in question for question in seen["questions"])
    assert seen["held"] is False and seen["retry_after"] is None

    failed = api_as(worker).post(f"{API}{test['id']}/attempts/", {"answers": [0, "x", 0, "y"]})
    assert failed.status_code == 201
    assert failed.json()["passed"] is False and failed.json()["score"] == 0
    assert failed.json()["retry_after"]
    again = api_as(worker).post(f"{API}{test['id']}/attempts/", {"answers": RIGHT}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "retry_later"
    listed = api_as(worker).get(API).json()["results"]
    assert [(t["id"], t["held"], bool(t["retry_after"])) for t in listed] == [
        (test["id"], False, True)
    ]


def test_passing_through_the_api_opens_a_campaign_that_requires_the_test(
    api_as, employer, worker, moderator
):
    test = qualification_create(by=employer, spec=spec())
    campaign = active_campaign(employer, moderator)
    Campaign.objects.filter(pk=campaign.pk).update(qualifications=[test.pk])
    claim = api_as(worker).post(f"/api/v1/campaigns/{campaign.pk}/claim/")
    assert claim.status_code == 403 and claim.json()["code"] == "qualification_required"
    passed = api_as(worker).post(f"{API}{test.pk}/attempts/", {"answers": RIGHT}, format="json")
    assert passed.json() == {"passed": True, "score": 100, "retry_after": None}
    assert api_as(worker).post(f"/api/v1/campaigns/{campaign.pk}/claim/").status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "x", "questions": [], "pass_mark": 50}, "questions"),
     ({"name": "x", "questions": QUESTIONS, "pass_mark": 0}, "pass_mark"),
     ({"name": "", "questions": QUESTIONS, "pass_mark": 50}, "name"),
     ({"name": "x", "questions": [{"text": "?", "kind": "choice", "choices": ["a"], "answer": 0}],
       "pass_mark": 50}, "questions")],
)  # fmt: skip
def test_a_bad_test_is_refused_by_the_api_with_the_field_named(api_as, employer, body, field):
    response = api_as(employer).post(API, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()


def test_only_its_author_changes_a_test_and_a_retired_test_is_hidden(api_as, employer, worker):
    test = qualification_create(by=employer, spec=spec())
    url = f"{API}{test.pk}/"
    assert api_as(worker).patch(url, {"name": "Mine"}, format="json").status_code == 404
    retired = api_as(employer).patch(url, {"is_active": False}, format="json")
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    assert retired.json()["name"] == "Reading signs"  # the rest unchanged
    assert api_as(worker).get(url).status_code == 404
    assert api_as(worker).get(API).json()["results"] == []
    assert api_as(employer).get(API).json()["results"][0]["id"] == test.pk


def test_campaigns_take_their_required_tests_through_the_api(api_as, employer, outsider, moderator):
    own = qualification_create(by=employer, spec=spec())
    platform = qualification_create(by=moderator, spec=spec(name="Kaaj basics"), platform=True)
    theirs = qualification_create(by=outsider, spec=spec(name="Not yours"))
    refused_body = api_as(employer).post(
        "/api/v1/campaigns/", campaign_body(qualifications=[theirs.pk]), format="json"
    )
    assert refused_body.status_code == 400
    assert "qualifications" in refused_body.json()["errors"]
    created = api_as(employer).post(
        "/api/v1/campaigns/",
        campaign_body(qualifications=[platform.pk, own.pk]),
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert sorted(created.json()["qualifications"]) == sorted([own.pk, platform.pk])
