"""Disputes: a worker's appeal against a rejection, the employer's answer or reversal, and a
moderator's decision.

Lifecycle of the assignment (``ASSIGNMENT_TRANSITIONS``): ``rejected → disputed → approved |
closed``. The task's money stays in escrow all along; it is paid by the one approve-and-pay
path (``tasks.lifecycle.assignments.assignments_approve``, ledger key
``approve:assignment:<id>``) or released as after a closed window (``assignment_end``:
reopened, or refunded when the campaign is over).

Concurrency: every decision is one conditional move of the assignment (under its
row lock) and the dispute row is written only by the mover, so a moderator, a second
moderator, the employer reversing and the window sweeper (``dispute_windows_close_due``,
which only takes rejected rows whose window is still open) can race: one wins, the others
get ``invalid_status``, and the task is paid or released once. Lock order, as everywhere:
campaign (``FOR KEY SHARE``) → assignment → task → ledger accounts.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import ensure_not_own_case
from accounts.services import audit_record
from core.errors import DomainError, not_found
from tasks import limits
from tasks.lifecycle.assignments import assignment_end, assignment_move, assignments_approve
from tasks.lifecycle.tasks import campaigns_share_lock
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Dispute,
    DisputeOutcome,
    DisputeStatus,
    screenshot_name,
)
from tasks.proofs import CleanImage, image_clean
from tasks.signals import dispute_answered, dispute_decided, dispute_opened

MAX_STATEMENT = limits.REASON_MAX_CHARS
MODERATOR_OUTCOMES = (DisputeOutcome.WORKER, DisputeOutcome.EMPLOYER)


# --- checks ----------------------------------------------------------------------------------


def dispute_refusal(assignment: Assignment, *, now: datetime | None = None) -> DomainError | None:
    """Why the assignment's worker may not dispute it now, or None (the form may show).

    Reads ``assignment`` as given; :func:`dispute_open` checks again under the row lock."""
    now = now or timezone.now()
    if (
        assignment.status == AssignmentStatus.DISPUTED
        or Dispute.objects.filter(assignment_id=assignment.pk).exists()
    ):
        return DomainError(
            "already_disputed", _("You already disputed this rejection."), status=409
        )
    if assignment.status not in (AssignmentStatus.REJECTED, AssignmentStatus.CLOSED):
        return DomainError(
            "invalid_status", _("Only a rejected submission can be disputed."), status=409
        )
    if (
        assignment.status == AssignmentStatus.CLOSED
        or assignment.dispute_until is None
        or assignment.dispute_until <= now
    ):
        return DomainError(
            "dispute_window_closed",
            _("The time to dispute this rejection is over."),
            errors={"reason": [_("The time to dispute this rejection is over.")]},
            status=409,
        )
    return None


def _text(value: str | None, *, field: str, code: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(code, missing, errors={field: [missing]})
    if len(value) > MAX_STATEMENT:
        message = _("Keep it under %(n)s characters.") % {"n": MAX_STATEMENT}
        raise DomainError("invalid", message, errors={field: [message]})
    return value


def _employer_of(dispute: Dispute, by: User) -> Assignment:
    assignment = Assignment.objects.select_related("campaign__employer", "worker").get(
        pk=dispute.assignment_id
    )
    if assignment.campaign.employer_id != by.pk:
        raise not_found()
    return assignment


def _decided() -> DomainError:
    return DomainError("invalid_status", _("This dispute is already decided."), status=409)


# --- the worker ------------------------------------------------------------------------------


def dispute_open(
    *, assignment: Assignment, by: User, reason: str, evidence: UploadedFile | None = None
) -> Dispute:
    """The assignee disputes a rejection within its window (``dispute_until``), with a
    statement and optionally one screenshot (checked and re-encoded as proofs are, stored
    before the transaction opens).

    Raises DomainError: ``not_found`` (404, not the assignee); ``reason_required`` or
    ``invalid`` (400, with ``errors`` by field: ``reason``, ``evidence``);
    ``already_disputed``, ``invalid_status``, ``dispute_window_closed`` (409). Nothing is
    saved on error. Notifies the employer and emits ``assignment.disputed`` after commit."""
    if assignment.worker_id != by.pk:
        raise not_found()
    refusal = dispute_refusal(assignment)
    if refusal is not None:
        raise refusal
    reason = _text(
        reason, field="reason", code="reason_required", missing=_("Say why the rejection is wrong.")
    )
    image = None
    if evidence is not None:
        try:
            image = image_clean(evidence)
        except ValidationError as error:
            raise DomainError(
                "invalid", error.messages[0], errors={"evidence": list(error.messages)}
            ) from error
    stored = (
        default_storage.save(screenshot_name(image.content_type), image.content) if image else ""
    )
    try:
        with transaction.atomic():
            dispute = _open_locked(assignment.pk, by, reason, stored, image)
    except Exception:
        if stored:  # nothing refers to it: leave no file behind
            default_storage.delete(stored)
        raise
    return dispute


def _open_locked(pk: int, by: User, reason: str, stored: str, image: CleanImage | None) -> Dispute:
    now = timezone.now()
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("campaign__employer")
        .get(pk=pk)
    )
    refusal = dispute_refusal(locked, now=now)  # the sweeper may have closed it meanwhile
    if refusal is not None:
        raise refusal
    if not assignment_move(
        pk, (AssignmentStatus.REJECTED,), AssignmentStatus.DISPUTED, by=by, reason=reason
    ):  # cannot happen under the row lock after the check above; never open a dispute anyway
        raise DomainError("invalid_status", _("This rejection cannot be disputed now."), status=409)
    dispute = Dispute.objects.create(
        assignment=locked,
        worker_statement=reason,
        evidence=stored,
        evidence_content_type=image.content_type if image else "",
        created_at=now,
    )
    dispute_opened.send(sender=Dispute, dispute=dispute, assignment=locked)
    return dispute


# --- the employer ----------------------------------------------------------------------------


def dispute_respond(*, dispute: Dispute, by: User, statement: str) -> Dispute:
    """The campaign's employer answers an open dispute (again and again while it is open:
    the latest answer stands). Raises DomainError ``not_found`` (404, not theirs),
    ``statement_required``/``invalid`` (400), ``invalid_status`` (409, decided). Notifies
    the worker."""
    assignment = _employer_of(dispute, by)
    statement = _text(
        statement,
        field="statement",
        code="statement_required",
        missing=_("Write your answer to the worker."),
    )
    now = timezone.now()
    with transaction.atomic():
        updated = Dispute.objects.filter(pk=dispute.pk, status=DisputeStatus.OPEN).update(
            employer_statement=statement, responded_at=now
        )
        if not updated:
            raise _decided()
        dispute.refresh_from_db()
        dispute_answered.send(sender=Dispute, dispute=dispute, assignment=assignment)
    return dispute


def dispute_reverse(*, dispute: Dispute, by: User, reason: str = "") -> Dispute:
    """The campaign's employer takes the rejection back: the assignment is approved and
    the task paid from escrow exactly as an approval (once, whatever races it). Raises
    DomainError ``not_found`` (404), ``invalid_status`` (409, already decided)."""
    _employer_of(dispute, by)
    reason = (reason or "").strip()[:MAX_STATEMENT]
    return _decide(dispute, by=by, outcome=DisputeOutcome.REVERSED, reason=reason)


# --- the moderator ---------------------------------------------------------------------------


def dispute_resolve(*, dispute: Dispute, by: User, outcome: str, reason: str) -> Dispute:
    """A moderator decides an open dispute, with a reason both sides see. ``"worker"``: the
    assignment is approved and paid from escrow as an approval. ``"employer"``: the
    rejection is final; the task reopens (live campaign) or is refunded, as after a closed
    window. Recorded in the audit log.

    Raises DomainError ``permission_denied`` (403, not a moderator); OwnCase (the
    moderator is the worker or the employer of the disputed assignment: four eyes);
    DomainError ``invalid`` / ``reason_required`` (400, ``errors`` on ``outcome`` /
    ``reason``); ``invalid_status`` (409, already decided)."""
    if not getattr(by, "is_moderator", False):
        raise DomainError("permission_denied", _("Moderators only."), status=403)
    parties = Assignment.objects.values_list("worker_id", "campaign__employer_id").get(
        pk=dispute.assignment_id
    )
    ensure_not_own_case(
        actor=by,
        parties=parties,
        message=_("You cannot decide a dispute you are party to: another moderator must do it."),
    )
    if outcome not in MODERATOR_OUTCOMES:
        message = _("Choose for the worker or for the employer.")
        raise DomainError("invalid", message, errors={"outcome": [message]})
    reason = _text(
        reason,
        field="reason",
        code="reason_required",
        missing=_("Write the reason for your decision; both sides see it."),
    )
    return _decide(dispute, by=by, outcome=DisputeOutcome(outcome), reason=reason)


# --- deciding --------------------------------------------------------------------------------


def _decide(dispute: Dispute, *, by: User, outcome: DisputeOutcome, reason: str) -> Dispute:
    """Move the disputed assignment once — approved and paid, or closed and its task
    released — and record the decision on the dispute; the loser of any race gets
    ``invalid_status``. Both sides hear the decision; a moderator's goes to the audit log."""
    now = timezone.now()
    with transaction.atomic():
        row = Assignment.objects.values("campaign_id").get(pk=dispute.assignment_id)
        campaigns_share_lock([row["campaign_id"]])  # campaign before assignment, task, ledger
        disputed = (AssignmentStatus.DISPUTED,)
        if outcome == DisputeOutcome.EMPLOYER:
            moved = assignment_end(
                dispute.assignment_id, disputed, AssignmentStatus.CLOSED, by=by, reason=reason
            )
        else:
            moved = next(
                iter(assignments_approve([dispute.assignment_id], disputed, by=by, reason=reason)),
                None,
            )
        if moved is None or not Dispute.objects.filter(
            pk=dispute.pk, status=DisputeStatus.OPEN
        ).update(
            status=DisputeStatus.DECIDED,
            outcome=outcome,
            decided_by=by,
            decision_reason=reason,
            decided_at=now,
        ):
            raise _decided()
        dispute.refresh_from_db()
        assignment = Assignment.objects.select_related("campaign__employer", "worker").get(
            pk=dispute.assignment_id
        )
        dispute_decided.send(sender=Dispute, dispute=dispute, assignment=assignment, by=by)
        if outcome != DisputeOutcome.REVERSED:
            audit_record(
                actor=by,
                action="dispute.resolve",
                target=dispute,
                reason=reason,
                details={"outcome": outcome, "assignment_id": assignment.pk},
            )
    return dispute
