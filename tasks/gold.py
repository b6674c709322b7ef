"""Check tasks ("gold"): what they are, how an answer is checked, and when a worker is stopped.

A row of a campaign's task file with a value in a ``_gold_<proof key>`` column is a check
task: the value is the answer expected in that proof field. It is compared without case or
extra spaces, or, written between slashes (``/^\\d{4}$/``), as a regular expression the whole
answer must match (without case). Like every column starting with ``_`` it is never shown to
workers (``tasks.limits.hidden_columns_dropped``), so a check task looks like any other.

Check tasks are not positions: the employer pays nothing for them. At launch they become
tasks of their own status (``TaskStatus.GOLD``), served at the campaign's ``gold_rate`` in
place of a position (:func:`gold_due`), to each worker once; the answer is checked at submit,
and Kaaj pays the reward when it is right (``payments.services.gold_pay_many``). A wrong one
is rejected at once, with the reason, and may be disputed like any rejection.

A worker whose answers to a campaign's check tasks are right less often than its
``gold_min_accuracy`` percent, once they gave ``gold_min_answers`` of them, is stopped from
that campaign (:func:`stops`; ``tasks.lifecycle.gold``); a dispute decided for them that
brings their accuracy back lifts the stop. A rejection under dispute counts as a wrong
answer until it is decided.

This module is the one definition, used by the campaign service (what a file may hold), the
claim (when a check task is due), the submit (is it right) and the pages.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

GOLD_PREFIX = "_gold_"
# Proof kinds a check task may expect an answer in (a screenshot cannot be compared).
GOLD_KINDS = ("text", "url")
# A regular expression is written between slashes; longer ones are not a check's answer.
PATTERN_MAX_CHARS = 200


def gold_key(column: str) -> str | None:
    """The proof key a ``_gold_<key>`` column expects an answer for, or None."""
    return column[len(GOLD_PREFIX) :] if column.startswith(GOLD_PREFIX) else None


def expected(row: dict) -> dict[str, str]:
    """The answers a task's row expects, by proof key (empty: not a check task)."""
    found = {}
    for column, value in row.items():
        key = gold_key(column)
        if key and str(value).strip():
            found[key] = str(value).strip()
    return found


def is_gold(row: dict) -> bool:
    return bool(expected(row))


def positions_and_checks(rows) -> tuple[list[dict], list[dict]]:
    """The rows of a task file that are positions (paid tasks), and those that are check
    tasks."""
    rows = [row for row in rows if isinstance(row, dict)]
    return [r for r in rows if not is_gold(r)], [r for r in rows if is_gold(r)]


def _normal(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def pattern_of(value: str) -> re.Pattern | None:
    """The regular expression a ``/.../`` value stands for (None for a plain answer).
    Raises ``re.error`` when it does not compile."""
    if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
        return re.compile(value[1:-1], re.IGNORECASE)
    return None


def answer_matches(value: str, answer: str) -> bool:
    """Whether ``answer`` is the one ``value`` expects (see the module's docstring)."""
    pattern = pattern_of(value)
    if pattern is not None:
        return pattern.fullmatch(str(answer).strip()) is not None
    return _normal(value) == _normal(answer)


def wrong_answers(row: dict, answers: dict) -> list[str]:
    """The proof keys whose answer is not the expected one, in the row's order."""
    return [
        key
        for key, value in expected(row).items()
        if not answer_matches(value, answers.get(key, ""))
    ]


def value_problem(value: str) -> str | None:
    """Why an expected answer cannot be used (a bad regular expression), or None."""
    if len(value) > PATTERN_MAX_CHARS:
        return _("An expected answer has at most %(n)s characters.") % {"n": PATTERN_MAX_CHARS}
    try:
        pattern_of(value)
    except re.error as error:
        return _("“%(value)s” is not a regular expression Kaaj can use: %(error)s.") % {
            "value": value,
            "error": error,
        }
    return None


def gold_due(*, secret: str, worker_id: int, claims: int, rate: int) -> bool:
    """Whether a worker's next claim on a campaign (after ``claims`` of them) is a check
    task: a draw of ``rate`` in a hundred that the worker cannot foresee (keyed by the
    campaign's secret) and that the same claim always gets (so it can be tested)."""
    if rate <= 0:
        return False
    digest = hmac.new(secret.encode(), f"gold:{worker_id}:{claims}".encode(), hashlib.sha256)
    return int(digest.hexdigest()[:8], 16) % 100 < rate


@dataclass(frozen=True)
class Accuracy:
    """A worker's answers to one campaign's check tasks: given (decided, or in dispute) and
    right."""

    answered: int = 0
    right: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.right / self.answered) if self.answered else None


def stops(accuracy: Accuracy, *, min_answers: int, min_accuracy: int) -> bool:
    """Whether this accuracy stops the worker from the campaign: enough answers, and right
    less often than ``min_accuracy`` percent (compared exactly, in whole answers)."""
    return (
        accuracy.answered >= min_answers and 100 * accuracy.right < min_accuracy * accuracy.answered
    )
