"""What a qualification test may be, and how an attempt is graded: one definition for the
page's form, the API's serializer and the service.

A test is a list of questions, each ``{"text", "kind", "choices", "answer"}``:

- ``kind: "choice"``: ``choices`` is 2 to 8 short texts and ``answer`` the index of the right
  one; the worker answers with an index.
- ``kind: "text"``: no choices; ``answer`` is the expected text. A worker's answer is right
  when it is the same text once case and spaces are set aside ("Dhaka " = "dhaka"), as
  Microworkers and Toloka compare short answers.

The score is the percent of questions answered right (Python's ``round``); an attempt passes
when the score reaches the test's pass mark.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.errors import DomainError

QUESTIONS_MAX = 20
QUESTION_MAX_CHARS = 500
CHOICES_MIN, CHOICES_MAX = 2, 8
CHOICE_MAX_CHARS = 200
ANSWER_MAX_CHARS = 200
NAME_MAX_CHARS = 80
DESCRIPTION_MAX_CHARS = 1000
RETAKE_AFTER_HOURS_MAX = 24 * 30
KINDS = ("choice", "text")


def questions_check(questions: object) -> list[dict]:
    """The questions in their stored form, or DomainError ``invalid`` (``field="questions"``)
    saying which question is wrong and why."""
    if not isinstance(questions, list) or not questions:
        raise _invalid(_("A test needs at least one question."))
    if len(questions) > QUESTIONS_MAX:
        raise _invalid(_("A test has at most %(n)s questions.") % {"n": QUESTIONS_MAX})
    return [_question(number, question) for number, question in enumerate(questions, 1)]


def _question(number: int, question: object) -> dict:
    if not isinstance(question, dict):
        raise _invalid(_("Question %(n)s is not a question.") % {"n": number})
    text = _text(question.get("text"), QUESTION_MAX_CHARS)
    if not text:
        raise _invalid(_("Question %(n)s has no text.") % {"n": number})
    kind = question.get("kind")
    if kind not in KINDS:
        raise _invalid(_("Question %(n)s must be a choice or a short text answer.") % {"n": number})
    if kind == "text":
        answer = _text(question.get("answer"), ANSWER_MAX_CHARS)
        if not answer:
            raise _invalid(_("Question %(n)s needs its right answer.") % {"n": number})
        return {"text": text, "kind": kind, "choices": [], "answer": answer}
    choices = question.get("choices")
    if not isinstance(choices, list):
        choices = []
    choices = [_text(choice, CHOICE_MAX_CHARS) for choice in choices]
    if not CHOICES_MIN <= len(choices) <= CHOICES_MAX or not all(choices):
        raise _invalid(
            _("Question %(n)s needs %(low)s to %(high)s choices, none of them empty.")
            % {"n": number, "low": CHOICES_MIN, "high": CHOICES_MAX}
        )
    answer = question.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(choices):
        raise _invalid(_("Question %(n)s needs one of its choices marked right.") % {"n": number})
    return {"text": text, "kind": kind, "choices": choices, "answer": answer}


def _text(value: object, most: int) -> str:
    """A stripped string of at most ``most`` characters ("" when it is none)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > most:
        raise _invalid(_("Keep each text under %(n)s characters.") % {"n": most})
    return value


def _invalid(message: str) -> DomainError:
    return DomainError("invalid", message, field="questions")


def for_worker(questions: list[dict]) -> list[dict]:
    """The questions as a worker sees them: without their answers."""
    return [
        {"text": question["text"], "kind": question["kind"], "choices": question["choices"]}
        for question in questions
    ]


@dataclass(frozen=True)
class Grade:
    score: int  # percent right
    right: int
    answers: list  # as the worker sent them, one per question (None where missing)


def grade(questions: list[dict], answers: object) -> Grade:
    """Grade ``answers`` (a list, one per question, in order) against ``questions``;
    DomainError ``invalid`` (``field="answers"``) when they are not one answer a question."""
    if not isinstance(answers, list) or len(answers) != len(questions):
        raise DomainError(
            "invalid",
            _("Answer every question: %(n)s answers are needed.") % {"n": len(questions)},
            field="answers",
        )
    if not all(_an_answer(answer) for answer in answers):
        raise DomainError(
            "invalid",
            _("Each answer is a choice or a short text (under %(n)s characters).")
            % {"n": ANSWER_MAX_CHARS},
            field="answers",
        )
    right = 0
    for question, answer in zip(questions, answers, strict=True):
        if question["kind"] == "choice":
            right += (
                isinstance(answer, int)
                and not isinstance(answer, bool)
                and (answer == question["answer"])
            )
        else:
            right += isinstance(answer, str) and _same_text(answer, question["answer"])
    return Grade(round(100 * right / len(questions)), right, answers)


def _an_answer(answer: object) -> bool:
    if answer is None:  # left blank
        return True
    if isinstance(answer, str):
        return len(answer) <= ANSWER_MAX_CHARS
    return isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < CHOICES_MAX


def _same_text(given: str, expected: str) -> bool:
    return " ".join(given.split()).casefold() == " ".join(expected.split()).casefold()
