"""Employers' side of the loop: approve (the worker is paid from escrow), reject with a
reason (the money stays in escrow through the dispute window), ask for a revision, review
many at once; the clock approves what employers leave unrated and closes dispute windows.

Every decision is one conditional move of the assignment (``tasks.lifecycle.assignments``):
a double click, two tabs, or the employer against the auto-approve job — exactly one wins,
and the ledger's key ``approve:assignment:<id>`` pays once whatever happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, not_found
from tasks import limits
from tasks.lifecycle.assignments import assignment_end, assignment_move, assignments_approve
from tasks.lifecycle.tasks import campaigns_share_lock
from tasks.models import Assignment, AssignmentStatus, Campaign

REVIEWABLE = (AssignmentStatus.SUBMITTED,)


def _own(assignment: Assignment, by: User) -> None:
    if assignment.campaign.employer_id != by.pk:
        raise not_found()


def reason_check(reason: str, *, missing: str | None = None) -> str:
    """A reason the worker reads (a review's, a bonus's): stripped, required (``missing``
    says what to write), at most REASON_MAX_CHARS. Raises DomainError ``reason_required``
    or ``invalid`` on ``reason``."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "reason_required", missing or _("Give the worker a reason."), field="reason"
        )
    if len(reason) > limits.REASON_MAX_CHARS:
        raise DomainError(
            "invalid",
            _("Keep it under %(n)s characters.") % {"n": limits.REASON_MAX_CHARS},
            field="reason",
        )
    return reason


def _reviewed() -> DomainError:
    return DomainError("invalid_status", _("This submission was already reviewed."), status=409)


def _fresh(assignment: Assignment, moved: Assignment | None) -> Assignment:
    if moved is None:
        raise _reviewed()
    assignment.refresh_from_db()
    return assignment


def submission_approve(*, assignment: Assignment, by: User) -> Assignment:
    """Approve a submitted assignment and pay the worker. Raises DomainError
    ``invalid_status`` (409) if it is no longer waiting for review."""
    _own(assignment, by)
    with transaction.atomic():
        approved = assignments_approve(
            [assignment.pk], REVIEWABLE, by=by, reviewed_at=timezone.now()
        )
    return _fresh(assignment, approved[0] if approved else None)


def submission_reject(*, assignment: Assignment, by: User, reason: str) -> Assignment:
    """Reject with a reason. The task's money stays in escrow until the dispute window
    (DISPUTE_WINDOW_DAYS) closes; then the task reopens or is refunded."""
    _own(assignment, by)
    reason = reason_check(reason)
    now = timezone.now()
    with transaction.atomic():
        moved = assignment_move(
            assignment.pk,
            REVIEWABLE,
            AssignmentStatus.REJECTED,
            by=by,
            reason=reason,
            reviewed_at=now,
            review_reason=reason,
            dispute_until=now + timedelta(days=settings.DISPUTE_WINDOW_DAYS),
        )
    return _fresh(assignment, moved)


def submission_request_revision(*, assignment: Assignment, by: User, reason: str) -> Assignment:
    """Send the work back with what to fix; the worker gets a fresh time to complete."""
    _own(assignment, by)
    reason = reason_check(reason)
    deadline = timezone.now() + timedelta(minutes=assignment.campaign.time_to_complete_minutes)
    with transaction.atomic():
        moved = assignment_move(
            assignment.pk,
            REVIEWABLE,
            AssignmentStatus.REVISION_REQUESTED,
            by=by,
            reason=reason,
            review_reason=reason,
            expires_at=deadline,
            review_due_at=None,
        )
    return _fresh(assignment, moved)


# The review services, by action: the page's buttons, bulk review and review files.
REVIEW_SERVICES = {
    "approve": submission_approve,
    "reject": submission_reject,
    "request_revision": submission_request_revision,
}
BULK_ACTIONS = set(REVIEW_SERVICES)


def submissions_bulk_review(
    *, ids: list[int], action: str, by: User, reason: str = ""
) -> dict[int, str]:
    """Review many of the employer's submissions at once. Returns ``{id: "done" | code}``:
    one that is not theirs, or already reviewed, does not stop the others."""
    if action not in BULK_ACTIONS:
        raise DomainError(
            "invalid",
            _("Choose approve, reject or request a revision."),
            errors={"action": [_("Not a review action.")]},
        )
    if len(ids) > limits.BULK_REVIEW_MAX:
        raise DomainError(
            "invalid",
            _("Review at most %(n)s submissions at once.") % {"n": limits.BULK_REVIEW_MAX},
            field="ids",
        )
    if action != "approve":
        reason = reason_check(reason)
    service = REVIEW_SERVICES[action]
    found = {
        a.pk: a
        for a in Assignment.objects.select_related("campaign").filter(
            pk__in=ids, campaign__employer=by
        )
    }
    results: dict[int, str] = {}
    for pk in ids:
        if pk not in found:
            results[pk] = "not_found"
            continue
        extra = {} if action == "approve" else {"reason": reason}
        try:
            service(assignment=found[pk], by=by, **extra)
            results[pk] = "done"
        except DomainError as error:
            results[pk] = error.code
    return results


# --- review files -----------------------------------------------------------------------------

# What a review file's ``decision`` column may say, and the action it asks for.
FILE_DECISIONS = {
    "approve": "approve",
    "approved": "approve",
    "reject": "reject",
    "rejected": "reject",
    "revision": "request_revision",
    "request_revision": "request_revision",
}


@dataclass(frozen=True)
class ReviewRow:
    """One line of a review file (``assignment, decision, reason``) as it would be applied:
    its action, or the problem that keeps it out."""

    line: int  # in the file, the column names being line 1
    assignment: int | None
    action: str | None
    reason: str
    problem: str = ""


def review_rows_check(*, campaign: Campaign, by: User, rows: list[dict]) -> list[ReviewRow]:
    """Each row of a review file of ``campaign`` as it would go (the preview), in one query.
    A row is kept out when its assignment is not one of this campaign's submissions waiting
    for review, its decision is not one of FILE_DECISIONS, its reason is missing (a
    rejection or a revision) or too long, or its assignment came earlier in the file."""
    if campaign.employer_id != by.pk:
        raise not_found()
    if len(rows) > limits.BULK_REVIEW_MAX:
        raise DomainError(
            "invalid",
            _("Review at most %(n)s submissions at once.") % {"n": limits.BULK_REVIEW_MAX},
            field="file",
        )
    ids = [int(r["assignment"]) for r in rows if str(r.get("assignment", "")).isdigit()]
    waiting = dict(
        Assignment.objects.filter(campaign=campaign, pk__in=ids).values_list("pk", "status")
    )
    checked, seen = [], set()
    for index, row in enumerate(rows, start=2):
        line = int(row["line"]) if str(row.get("line", "")).isdigit() else index
        raw = str(row.get("assignment", "")).strip()
        pk = int(raw) if raw.isdigit() else None
        action = FILE_DECISIONS.get(str(row.get("decision", "")).strip().lower())
        reason = str(row.get("reason", "")).strip()
        problem = ""
        if pk is None or pk not in waiting:
            problem = _("Not a submission of this campaign.")
        elif pk in seen:
            problem = _("This submission came earlier in the file.")
        elif waiting[pk] != AssignmentStatus.SUBMITTED:
            problem = _("Not waiting for review.")
        elif action is None:
            problem = _("The decision is approve, reject or revision.")
        elif action != "approve":
            try:
                reason = reason_check(reason)
            except DomainError as error:
                problem = error.message
        if pk is not None:
            seen.add(pk)
        checked.append(ReviewRow(line, pk, None if problem else action, reason, problem))
    return checked


def row_values(row: ReviewRow) -> dict:
    """A checked row as the check reads it again (the preview's form carries these)."""
    decision = next((name for name, action in FILE_DECISIONS.items() if action == row.action), "")
    return {
        "line": row.line,
        "assignment": row.assignment or "",
        "decision": decision,
        "reason": row.reason,
    }


def review_rows_apply(
    *, campaign: Campaign, by: User, rows: list[dict]
) -> list[tuple[ReviewRow, str]]:
    """Apply the rows of a review file (as :func:`review_rows_check` reads them: the
    preview's :func:`row_values`), each through the page's own review service (one
    transaction each, as a click): ``(row, "done" or the refusal's message)`` per row; rows
    the check keeps out keep their problem. Checked again now: the file may be older than
    the queue."""
    fresh = review_rows_check(campaign=campaign, by=by, rows=rows)
    assignments = Assignment.objects.select_related("campaign").in_bulk(
        [r.assignment for r in fresh if r.action]
    )
    results = []
    for row in fresh:
        if not row.action:
            results.append((row, row.problem))
            continue
        extra = {} if row.action == "approve" else {"reason": row.reason}
        try:
            REVIEW_SERVICES[row.action](assignment=assignments[row.assignment], by=by, **extra)
        except DomainError as error:
            results.append((row, error.message))
        else:
            results.append((row, "done"))
    return results


def submissions_auto_approve_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """The clock: submissions past their time to rate are approved and paid, in batches.

    Rows are taken with ``SKIP LOCKED`` and moved conditionally, so an employer approving at
    the same moment, or a second copy of this job, never pays twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Assignment.objects.select_for_update(skip_locked=True)
            .filter(status=AssignmentStatus.SUBMITTED, review_due_at__lte=now)
            .order_by("review_due_at")
            .values_list("pk", flat=True)[:batch]
        )
        approved = assignments_approve(due, REVIEWABLE, by=None, reason="auto", reviewed_at=now)
    return len(approved)


def dispute_windows_close_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """The clock: rejections whose dispute window has closed become final (closed); the
    task reopens (live campaign) or its money goes back to the employer."""
    now = now or timezone.now()
    closed = 0
    with transaction.atomic():
        rows = list(
            Assignment.objects.select_for_update(skip_locked=True)
            .filter(status=AssignmentStatus.REJECTED, dispute_until__lte=now)
            .values_list("pk", "campaign_id")[:batch]
        )
        # All the batch's campaigns first, in id order, before any refund locks an account.
        campaigns_share_lock([campaign_id for _pk, campaign_id in rows])
        for pk, _campaign_id in rows:
            if assignment_end(
                pk, (AssignmentStatus.REJECTED,), AssignmentStatus.CLOSED, by=None, reason="final"
            ):
                closed += 1
    return closed
