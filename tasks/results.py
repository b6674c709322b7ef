"""A campaign's results as CSV, for its employer: one line an assignment (every one, check
tasks marked), with the task's input, the worker, the times, the review's reason, and each
proof's answer (a screenshot as its link, which only the employer, the worker and moderators
may open). Built as a stream, a thousand assignments at a time, so a campaign of any size
is sent in constant memory and a fixed number of queries per thousand.

A cell that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) is prefixed with ``'``: workers' answers are not the employer's
formulas (OWASP's "CSV injection").
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from django.db.models import Prefetch

from tasks.models import Assignment, Campaign, ProofKind, Submission

CHUNK = 1_000
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose write returns the line (csv.writer writes one per row)."""

    def write(self, value: str) -> str:
        return value


def cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def results_lines(campaign: Campaign, *, link: Callable[[int], str]) -> Iterator[str]:
    """The CSV's lines; ``link(screenshot id)`` is a screenshot's absolute URL."""
    first = campaign.tasks.order_by("number").values_list("input", flat=True).first() or {}
    columns = list(first)
    proofs = campaign.proof_fields
    writer = csv.writer(_Line())
    yield writer.writerow(
        ["assignment", "task", *columns, "check_task", "status", "worker", "worker_name"]
        + ["claimed_at", "submitted_at", "reviewed_at", "review_reason"]
        + [proof["key"] for proof in proofs]
    )
    assignments = (
        Assignment.objects.filter(campaign=campaign)
        .select_related("task", "worker")
        .prefetch_related(
            Prefetch("submissions", queryset=Submission.objects.prefetch_related("screenshots"))
        )
        .order_by("id")
    )
    for a in assignments.iterator(chunk_size=CHUNK):
        submissions = list(a.submissions.all())
        latest = submissions[-1] if submissions else None
        answers = latest.answers if latest else {}
        shots = {}
        for shot in latest.screenshots.all() if latest else ():
            shots.setdefault(shot.field_key, []).append(link(shot.pk))
        row = [a.pk, a.task.number, *(a.task.input.get(c, "") for c in columns), a.is_gold]
        row += [a.status, a.worker_id, a.worker.public_name]
        row += [_iso(a.claimed_at), _iso(a.submitted_at), _iso(a.reviewed_at), a.review_reason]
        for proof in proofs:
            key = proof["key"]
            row.append(
                " ".join(shots.get(key, ()))
                if proof.get("kind") == ProofKind.SCREENSHOT
                else answers.get(key, "")
            )
        yield writer.writerow([cell(value) for value in row])


def _iso(moment) -> str:
    return moment.isoformat() if moment else ""
