"""Employers' side of the loop: approve (the worker is paid from escrow), reject with a
reason (the money stays in escrow through the dispute window), ask for a revision, review
many at once, block a worker; the clock approves what employers leave unrated and closes
dispute windows.

Every decision is one conditional move of the assignment (``tasks.services.assignments.
_move``): a double click, two tabs, or the employer against the auto-approve job — exactly
one wins, and the ledger's key ``approve:assignment:<id>`` pays once whatever happens.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import events as notifications
from notifications.models import NotificationKind
from payments.services import TaskPayment, escrow_pay_many
from tasks.models import Assignment, AssignmentStatus, Task, TaskStatus
from webhooks.payloads import assignment_data, assignment_events
from webhooks.services import webhook_emit, webhook_emit_many
from workers.models import Block

from .assignments import AssignmentError, _move, campaigns_share_lock, task_release

REVIEWABLE = (AssignmentStatus.SUBMITTED,)


def _own(assignment: Assignment, by: User) -> None:
    if assignment.campaign.employer_id != by.pk:
        raise AssignmentError("not_found", _("Not found."), status=404)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AssignmentError(
            "reason_required",
            _("Give the worker a reason."),
            errors={"reason": [_("Give the worker a reason.")]},
        )
    return reason


def _pay(assignments: list[Assignment], by: User | None) -> None:
    """Tasks of approved assignments are paid: task → paid, reward and fee from escrow."""
    Task.objects.filter(pk__in=[a.task_id for a in assignments]).update(status=TaskStatus.PAID)
    escrow_pay_many(
        payments=[
            TaskPayment(
                assignment_id=a.pk,
                campaign_id=a.campaign_id,
                employer=a.campaign.employer,
                worker=a.worker,
                reward_cents=a.campaign.reward_cents,
                fee_cents=a.campaign.fee_cents,
            )
            for a in assignments
        ],
        by=by,
    )


def submission_approve(*, assignment: Assignment, by: User) -> Assignment:
    """Approve a submitted assignment and pay the worker. Raises AssignmentError
    ``invalid_status`` (409) if it is no longer waiting for review."""
    _own(assignment, by)
    with transaction.atomic():
        if not _move(
            assignment.pk, REVIEWABLE, AssignmentStatus.APPROVED, by=by, reviewed_at=timezone.now()
        ):
            raise AssignmentError(
                "invalid_status", _("This submission was already reviewed."), status=409
            )
        _pay(
            [
                Assignment.objects.select_related("campaign__employer", "worker").get(
                    pk=assignment.pk
                )
            ],
            by,
        )
        _emit(assignment, "assignment.approved")
        notifications.submission_reviewed(
            assignment=assignment, kind=NotificationKind.SUBMISSION_APPROVED
        )
    assignment.refresh_from_db()
    return assignment


def _emit(assignment: Assignment, event: str) -> None:
    """The employer's webhooks hear of the decision (with the row as it is now)."""
    webhook_emit(
        employer=assignment.campaign.employer_id,
        event=event,
        data=lambda: assignment_data(Assignment.objects.get(pk=assignment.pk)),
    )


def submission_reject(*, assignment: Assignment, by: User, reason: str) -> Assignment:
    """Reject with a reason. The task's money stays in escrow until the dispute window
    (DISPUTE_WINDOW_DAYS) closes; then the task reopens or is refunded."""
    _own(assignment, by)
    reason = _require_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        if not _move(
            assignment.pk,
            REVIEWABLE,
            AssignmentStatus.REJECTED,
            by=by,
            reason=reason,
            reviewed_at=now,
            review_reason=reason,
            dispute_until=now + timedelta(days=settings.DISPUTE_WINDOW_DAYS),
        ):
            raise AssignmentError(
                "invalid_status", _("This submission was already reviewed."), status=409
            )
        _emit(assignment, "assignment.rejected")
        notifications.submission_reviewed(
            assignment=assignment, kind=NotificationKind.SUBMISSION_REJECTED, reason=reason
        )
    assignment.refresh_from_db()
    return assignment


def submission_request_revision(*, assignment: Assignment, by: User, reason: str) -> Assignment:
    """Send the work back with what to fix; the worker gets a fresh time to complete."""
    _own(assignment, by)
    reason = _require_reason(reason)
    now = timezone.now()
    deadline = now + timedelta(minutes=assignment.campaign.time_to_complete_minutes)
    with transaction.atomic():
        if not _move(
            assignment.pk,
            REVIEWABLE,
            AssignmentStatus.REVISION_REQUESTED,
            by=by,
            reason=reason,
            review_reason=reason,
            expires_at=deadline,
            review_due_at=None,
        ):
            raise AssignmentError(
                "invalid_status", _("This submission was already reviewed."), status=409
            )
        _emit(assignment, "assignment.revision_requested")
        notifications.submission_reviewed(
            assignment=assignment, kind=NotificationKind.REVISION_REQUESTED, reason=reason
        )
    assignment.refresh_from_db()
    return assignment


BULK_ACTIONS = {"approve", "reject", "request_revision"}


def submissions_bulk_review(
    *, ids: list[int], action: str, by: User, reason: str = ""
) -> dict[int, str]:
    """Review many of the employer's submissions at once. Returns ``{id: "done" | code}``:
    one that is not theirs, or already reviewed, does not stop the others."""
    if action not in BULK_ACTIONS:
        raise AssignmentError(
            "invalid",
            _("Choose approve, reject or request a revision."),
            errors={"action": [_("Not a review action.")]},
        )
    if action != "approve":
        reason = _require_reason(reason)
    service = {
        "approve": submission_approve,
        "reject": submission_reject,
        "request_revision": submission_request_revision,
    }[action]
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
        except AssignmentError as error:
            results[pk] = error.code
    return results


def submissions_auto_approve_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """The clock: submissions past their time to rate are approved and paid, in batches.

    Rows are taken with ``SKIP LOCKED`` and moved conditionally, so an employer approving at
    the same moment, or a second copy of this job, never pays twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Assignment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("campaign__employer", "worker")
            .filter(status=AssignmentStatus.SUBMITTED, review_due_at__lte=now)
            .order_by("review_due_at")[:batch]
        )
        approved = [
            a
            for a in due
            if _move(
                a.pk, REVIEWABLE, AssignmentStatus.APPROVED, by=None, reason="auto", reviewed_at=now
            )
        ]
        if approved:
            _pay(approved, None)
            webhook_emit_many(events=assignment_events(approved, "assignment.approved"))
            notifications.submissions_auto_approved(assignments=approved)
    return len(approved)


def dispute_windows_close_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """The clock: rejections whose dispute window has closed become final; the task reopens
    (live campaign) or its money goes back to the employer."""
    now = now or timezone.now()
    closed = 0
    with transaction.atomic():
        rows = list(
            Assignment.objects.select_for_update(skip_locked=True)
            .filter(
                status=AssignmentStatus.REJECTED,
                window_closed=False,
                dispute_until__lte=now,
            )
            .values_list("pk", "task_id", "campaign_id")[:batch]
        )
        # All the batch's campaigns first, in id order, before any refund locks an account
        # (see assignments.task_release).
        campaigns_share_lock([row[2] for row in rows])
        for pk, task_id, _campaign_id in rows:
            Assignment.objects.filter(pk=pk).update(window_closed=True, updated_at=now)
            task_release(task_id=task_id, event=f"window:{pk}")
            closed += 1
    return closed


def worker_block(*, employer: User, worker: User, reason: str = "") -> Block:
    """The worker no longer sees or claims this employer's campaigns."""
    if employer.pk == worker.pk:
        raise AssignmentError("invalid", _("You cannot block yourself."))
    block, _created = Block.objects.get_or_create(
        employer=employer, worker=worker, defaults={"reason": reason.strip()}
    )
    return block
