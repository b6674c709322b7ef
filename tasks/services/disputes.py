"""Disputes: a worker's appeal against a rejection, the employer's answer or reversal, and a
moderator's decision.

Lifecycle of the assignment (``ASSIGNMENT_TRANSITIONS``): ``rejected → disputed → approved |
rejected (final)``. The task's money stays in escrow all along; it is paid exactly as an
approval (``reviews._pay``, ledger key ``approve:assignment:<id>``) or released as after a
closed window (``task_release``: reopened, or refunded when the campaign is over).

Concurrency: every decision is one conditional move of the assignment (``_move``, under its
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
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import ensure_not_own_case
from notifications.events import dispute_told
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Dispute,
    DisputeOutcome,
    DisputeStatus,
    screenshot_name,
)
from tasks.proofs import CleanImage, image_clean

from .assignments import AssignmentError, _move, campaigns_share_lock, task_release
from .reviews import _emit, _pay

MAX_STATEMENT = 2000
MODERATOR_OUTCOMES = (DisputeOutcome.WORKER, DisputeOutcome.EMPLOYER)


# --- checks ----------------------------------------------------------------------------------


def dispute_refusal(
    assignment: Assignment, *, now: datetime | None = None
) -> AssignmentError | None:
    """Why the assignment's worker may not dispute it now, or None (the form may show).

    Reads ``assignment`` as given; :func:`dispute_open` checks again under the row lock."""
    now = now or timezone.now()
    if (
        assignment.status == AssignmentStatus.DISPUTED
        or Dispute.objects.filter(assignment_id=assignment.pk).exists()
    ):
        return AssignmentError(
            "already_disputed", _("You already disputed this rejection."), status=409
        )
    if assignment.status != AssignmentStatus.REJECTED:
        return AssignmentError(
            "invalid_status", _("Only a rejected submission can be disputed."), status=409
        )
    if (
        assignment.window_closed
        or assignment.dispute_until is None
        or (assignment.dispute_until <= now)
    ):
        return AssignmentError(
            "dispute_window_closed",
            _("The time to dispute this rejection is over."),
            errors={"reason": [_("The time to dispute this rejection is over.")]},
            status=409,
        )
    return None


def _text(value: str | None, *, field: str, code: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise AssignmentError(code, missing, errors={field: [missing]})
    if len(value) > MAX_STATEMENT:
        message = _("Keep it under %(n)s characters.") % {"n": MAX_STATEMENT}
        raise AssignmentError("invalid", message, errors={field: [message]})
    return value


def _employer_of(dispute: Dispute, by: User) -> Assignment:
    assignment = Assignment.objects.select_related("campaign__employer", "worker").get(
        pk=dispute.assignment_id
    )
    if assignment.campaign.employer_id != by.pk:
        raise AssignmentError("not_found", _("Not found."), status=404)
    return assignment


def _decided() -> AssignmentError:
    return AssignmentError("invalid_status", _("This dispute is already decided."), status=409)


# --- the worker ------------------------------------------------------------------------------


def dispute_open(
    *, assignment: Assignment, by: User, reason: str, evidence: UploadedFile | None = None
) -> Dispute:
    """The assignee disputes a rejection within its window (``dispute_until``), with a
    statement and optionally one screenshot (checked and re-encoded as proofs are, stored
    before the transaction opens).

    Raises AssignmentError: ``not_found`` (404, not the assignee); ``reason_required`` or
    ``invalid`` (400, with ``errors`` by field: ``reason``, ``evidence``);
    ``already_disputed``, ``invalid_status``, ``dispute_window_closed`` (409). Nothing is
    saved on error. Notifies the employer and emits ``assignment.disputed`` after commit."""
    if assignment.worker_id != by.pk:
        raise AssignmentError("not_found", _("Not found."), status=404)
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
            raise AssignmentError(
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
    _move(pk, (AssignmentStatus.REJECTED,), AssignmentStatus.DISPUTED, by=by, reason=reason)
    dispute = Dispute.objects.create(
        assignment=locked,
        worker_statement=reason,
        evidence=stored,
        evidence_content_type=image.content_type if image else "",
        created_at=now,
    )
    campaign = locked.campaign
    dispute_told(
        campaign.employer,
        "dispute_opened",
        dispute,
        locked,
        url=reverse("tasks:employer_dispute", args=[dispute.pk]),
    )
    _webhook(
        campaign.employer,
        "assignment.disputed",
        {
            "assignment_id": locked.pk,
            "campaign_id": campaign.pk,
            "dispute_id": dispute.pk,
            "status": AssignmentStatus.DISPUTED.value,
            "reason": reason,
            "disputed_at": now.isoformat(),
        },
    )
    return dispute


# --- the employer ----------------------------------------------------------------------------


def dispute_respond(*, dispute: Dispute, by: User, statement: str) -> Dispute:
    """The campaign's employer answers an open dispute (again and again while it is open:
    the latest answer stands). Raises AssignmentError ``not_found`` (404, not theirs),
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
        dispute_told(
            assignment.worker,
            "dispute_answered",
            dispute,
            assignment,
            url=reverse("tasks:assignment", args=[assignment.pk]),
        )
    return dispute


def dispute_reverse(*, dispute: Dispute, by: User, reason: str = "") -> Dispute:
    """The campaign's employer takes the rejection back: the assignment is approved and
    the task paid from escrow exactly as an approval (once, whatever races it). Raises
    AssignmentError ``not_found`` (404), ``invalid_status`` (409, already decided)."""
    _employer_of(dispute, by)
    reason = (reason or "").strip()[:MAX_STATEMENT]
    return _decide(dispute, by=by, outcome=DisputeOutcome.REVERSED, reason=reason)


# --- the moderator ---------------------------------------------------------------------------


def dispute_resolve(*, dispute: Dispute, by: User, outcome: str, reason: str) -> Dispute:
    """A moderator decides an open dispute, with a reason both sides see. ``"worker"``: the
    assignment is approved and paid from escrow as an approval. ``"employer"``: the
    rejection is final; the task reopens (live campaign) or is refunded, as after a closed
    window. Recorded in the audit log.

    Raises AssignmentError ``permission_denied`` (403, not a moderator); OwnCase (the
    moderator is the worker or the employer of the disputed assignment: four eyes);
    AssignmentError ``invalid`` / ``reason_required`` (400, ``errors`` on ``outcome`` /
    ``reason``); ``invalid_status`` (409, already decided)."""
    if not getattr(by, "is_moderator", False):
        raise AssignmentError("permission_denied", _("Moderators only."), status=403)
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
        raise AssignmentError("invalid", message, errors={"outcome": [message]})
    reason = _text(
        reason,
        field="reason",
        code="reason_required",
        missing=_("Write the reason for your decision; both sides see it."),
    )
    return _decide(dispute, by=by, outcome=DisputeOutcome(outcome), reason=reason)


# --- deciding --------------------------------------------------------------------------------


def _decide(dispute: Dispute, *, by: User, outcome: DisputeOutcome, reason: str) -> Dispute:
    """Move the disputed assignment once, pay or release its task, and record the decision
    on the dispute; the loser of any race gets ``invalid_status``."""
    now = timezone.now()
    with transaction.atomic():
        row = Assignment.objects.values("campaign_id", "task_id").get(pk=dispute.assignment_id)
        campaigns_share_lock([row["campaign_id"]])  # campaign before assignment, task, ledger
        pk = dispute.assignment_id
        if outcome == DisputeOutcome.EMPLOYER:
            if not _move(
                pk,
                (AssignmentStatus.DISPUTED,),
                AssignmentStatus.REJECTED,
                by=by,
                reason=reason,
                window_closed=True,
            ):
                raise _decided()
            task_release(task_id=row["task_id"], event=f"dispute:{pk}")
        else:
            if not _move(
                pk, (AssignmentStatus.DISPUTED,), AssignmentStatus.APPROVED, by=by, reason=reason
            ):
                raise _decided()
            _pay(
                [Assignment.objects.select_related("campaign__employer", "worker").get(pk=pk)],
                by,
            )
        if not Dispute.objects.filter(pk=dispute.pk, status=DisputeStatus.OPEN).update(
            status=DisputeStatus.DECIDED,
            outcome=outcome,
            decided_by=by,
            decision_reason=reason,
            decided_at=now,
        ):
            raise _decided()
        dispute.refresh_from_db()
        _announce(dispute, by=by)
    return dispute


def _announce(dispute: Dispute, *, by: User) -> None:
    """Both sides hear the decision and its reason; the employer's endpoints get
    ``dispute.resolved``; a moderator's decision goes to the audit log."""
    assignment = Assignment.objects.select_related("campaign__employer", "worker").get(
        pk=dispute.assignment_id
    )
    campaign = assignment.campaign
    dispute_told(
        assignment.worker,
        "dispute_decided",
        dispute,
        assignment,
        url=reverse("tasks:assignment", args=[assignment.pk]),
    )
    dispute_told(
        campaign.employer,
        "dispute_decided",
        dispute,
        assignment,
        url=reverse("tasks:employer_dispute", args=[dispute.pk]),
    )
    _webhook(
        campaign.employer,
        "dispute.resolved",
        {
            "dispute_id": dispute.pk,
            "assignment_id": assignment.pk,
            "campaign_id": campaign.pk,
            "outcome": dispute.outcome,
            "reason": dispute.decision_reason,
            "status": assignment.status,
            "reward_cents": campaign.reward_cents,
            "decided_at": dispute.decided_at.isoformat(),
        },
    )
    if assignment.status == AssignmentStatus.APPROVED:
        # Integrations that only follow assignments still learn the task was paid.
        _emit(assignment, "assignment.approved")
    if dispute.outcome != DisputeOutcome.REVERSED:
        from moderation.services import audit_record

        audit_record(
            actor=by,
            action="dispute.resolve",
            target=dispute,
            reason=dispute.decision_reason,
            details={"outcome": dispute.outcome, "assignment_id": assignment.pk},
        )


def _webhook(employer: User, event: str, data: dict) -> None:
    from webhooks.services import webhook_emit

    webhook_emit(employer=employer, event=event, data=data)
