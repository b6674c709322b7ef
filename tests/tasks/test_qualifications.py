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
