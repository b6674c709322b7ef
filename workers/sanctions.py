"""Warnings before sanctions: a ladder that Kaaj climbs only on evidence, one step at a time,
and that people can appeal.

A **worker** whose rejection rate is too high — of their work reviewed in the last
SANCTION_WINDOW_DAYS, at least SANCTION_MIN_REVIEWED reviews, SANCTION_REJECTION_PERCENT or
more rejected (rejected, closed, or rejected and still in dispute: a rejection counts until it
is overturned, as in the success rate; check tasks never count) — is first **warned**, with
the rejections listed. If the rate is still too high after a further rejection, their claims
**pause** for SANCTION_PAUSE_DAYS[0] days, then [1], ... (the last repeats). An **employer**
whom the console flags for rejecting far more than the platform
(``tasks.selectors.rejecting_employers``, the one computation) climbs the same ladder; their
pause stops new launches. A pause never touches running work, running campaigns or money.

Fairness rules, each a line of :func:`next_step`:

- Kaaj never acts twice on the same rejections: after any step (even a lifted one) the next
  needs a rejection of work sent after it (a worker's; an employer's: a rejection they made
  after it).
- A step counts towards the next for SANCTION_MEMORY_DAYS after it started (a pause: after it
  ended); then it is forgotten, and the ladder starts again with a warning. Lifted steps never
  count.
- Every step can be appealed once (:func:`sanction_appeal`); a moderator lifts or upholds it
  with a reason (:func:`sanction_appeal_decide`).
- A dispute decided for the worker lifts every step of theirs that listed the rejection it
  overturned (:func:`sanctions_lift_overturned`): a step rests on the rejections it lists, and
  one of them was wrong. Whether a step follows again needs new rejections, as above.

Steps are evaluated after a rejection commits (``workers.receivers``) and every hour for
everyone who might be on the ladder (``workers.jobs``, for employers whose flag moved with the
platform's rate). Concurrency: each evaluation of one user's side runs under an advisory lock
(SANCTION_LOCK, user id), reads the steps after it, and numbers the new step; two evaluations
that raced past the lock anyway would write the same ``(user, side, number)``, which the
database refuses, so one step is taken, never two.

Each step, lift and appeal decision writes an audit row (actor None: Kaaj) and sends
:data:`sanction_changed` in its transaction (notifications listen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AppealStatus, Sanction, SanctionSide, SanctionStep, User
from accounts.permissions import ensure_not_own_case
from accounts.services import audit_record
from core import locks
from core.errors import DomainError, not_found
from tasks.models import REVIEWED_STATUSES, Assignment, AssignmentStatus
from tasks.selectors import REJECTED_OR_DISPUTED, rejecting_employers

# Sent inside the transaction: ``sanction`` (the row, fresh), ``event``: "warning", "pause"
# (a new step), "lifted" or "upheld" (an appeal turned down).
sanction_changed = Signal()

SANCTION_LOCKS = {
    SanctionSide.WORKER: locks.SANCTION_WORKER,
    SanctionSide.EMPLOYER: locks.SANCTION_EMPLOYER,
}
LISTED = 100  # rejections a step lists at most (the newest)
APPEAL_MAX_LENGTH = 2000
_REVIEWED = [*(s.value for s in REVIEWED_STATUSES), AssignmentStatus.DISPUTED.value]


@dataclass(frozen=True)
class Evidence:
    """One user's rejections on one side, now: what a step is decided from and lists."""

    reviewed: int
    rejected: int
    crossing: bool  # over the line: the worker's threshold, or the employers' flag
    new: int  # rejections after the last step (all of them when there is none)
    window_days: int
    rejections: list[dict]  # {id, campaign, reason, at}, newest first, at most LISTED

    @property
    def rate(self) -> int:
        return round(100 * self.rejected / self.reviewed) if self.reviewed else 0


# --- the evidence ----------------------------------------------------------------------------

_WORKER_COUNTS_SQL = """
SELECT COUNT(*),
       COUNT(*) FILTER (WHERE a.status = ANY(%(rejected)s)),
       COUNT(*) FILTER (WHERE a.status = ANY(%(rejected)s)
                        AND (%(after)s::timestamptz IS NULL OR a.submitted_at > %(after)s))
FROM tasks_assignment a
WHERE a.worker_id = %(user)s AND NOT a.is_gold AND a.reviewed_at >= %(since)s
  AND a.status = ANY(%(reviewed)s)
"""


def _rejections(rows: QuerySet[Assignment]) -> list[dict]:
    listed = rows.order_by("-reviewed_at", "-id").values_list(
        "id", "campaign__title", "review_reason", "reviewed_at"
    )[:LISTED]
    return [
        {"id": pk, "campaign": title, "reason": reason, "at": at.isoformat()}
        for pk, title, reason, at in listed
    ]


def _rejected(since: datetime) -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        status__in=REJECTED_OR_DISPUTED, is_gold=False, reviewed_at__gte=since
    )


def worker_evidence(user_id: int, *, now: datetime, after: datetime | None = None) -> Evidence:
    """The worker's rejection rate over SANCTION_WINDOW_DAYS and its rejections: two queries."""
    since = now - timedelta(days=settings.SANCTION_WINDOW_DAYS)
    values = {"user": user_id, "since": since, "after": after}
    values.update(rejected=list(REJECTED_OR_DISPUTED), reviewed=_REVIEWED)
    with connection.cursor() as cursor:
        cursor.execute(_WORKER_COUNTS_SQL, values)
        reviewed, rejected, new = cursor.fetchone()
    crossing = reviewed >= settings.SANCTION_MIN_REVIEWED and (
        100 * rejected >= settings.SANCTION_REJECTION_PERCENT * reviewed
    )
    return Evidence(
        reviewed,
        rejected,
        crossing,
        new,
        settings.SANCTION_WINDOW_DAYS,
        _rejections(_rejected(since).filter(worker_id=user_id)) if crossing else [],
    )


def employer_evidence(user_id: int, *, now: datetime, after: datetime | None = None) -> Evidence:
    """Whether the console flags the employer now, their numbers, and the rejections they
    made in FLAG_WINDOW_DAYS: at most three queries."""
    since = now - timedelta(days=settings.FLAG_WINDOW_DAYS)
    flagged = rejecting_employers(employer_ids=[user_id], now=now)
    if not flagged:
        return Evidence(0, 0, False, 0, settings.FLAG_WINDOW_DAYS, [])
    rows = _rejected(since).filter(campaign__employer_id=user_id)
    new = rows.filter(reviewed_at__gt=after).count() if after else flagged[0].rejected_count
    return Evidence(
        flagged[0].reviewed_count,
        flagged[0].rejected_count,
        True,
        new,
        settings.FLAG_WINDOW_DAYS,
        _rejections(rows),
    )


_EVIDENCE = {SanctionSide.WORKER: worker_evidence, SanctionSide.EMPLOYER: employer_evidence}


# --- the ladder ------------------------------------------------------------------------------


def next_step(steps: list[Sanction], evidence: Evidence, now: datetime) -> tuple[str, int] | None:
    """The step the ladder takes now, as ``(step, pause days)`` (0 for a warning), or None.
    ``steps``: every step of this user's side, in number order."""
    if not evidence.crossing or any(step.in_force(now) for step in steps):
        return None
    if steps and not evidence.new:  # nothing new since the last step
        return None
    counted = [s for s in steps if s.lifted_at is None and s.remembered(now)]
    if not counted:
        return SanctionStep.WARNING, 0
    pauses = sum(1 for s in counted if s.step == SanctionStep.PAUSE)
    days = settings.SANCTION_PAUSE_DAYS
    return SanctionStep.PAUSE, days[min(pauses, len(days) - 1)]


def sanction_evaluate(*, user_id: int, side: str, now: datetime | None = None) -> Sanction | None:
    """Take the ladder's next step for this user's side if the evidence asks for one
    (:func:`next_step`): the new step, or None. Idempotent: a second call with nothing new
    takes no step. One transaction under the side's advisory lock: the step, an audit row
    (actor None) and :data:`sanction_changed`. A concurrent evaluation that took the same
    step first wins; this one then returns None."""
    now = now or timezone.now()
    side = SanctionSide(side)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [SANCTION_LOCKS[side], user_id]
                )
            steps = list(Sanction.objects.filter(user_id=user_id, side=side).order_by("number"))
            after = steps[-1].starts_at if steps else None
            evidence = _EVIDENCE[side](user_id, now=now, after=after)
            decision = next_step(steps, evidence, now)
            if decision is None:
                return None
            return _take(user_id, side, decision, evidence, steps, now)
    except IntegrityError:  # the same step, taken meanwhile (unique user, side, number)
        return None


def _take(user_id, side, decision, evidence: Evidence, steps, now: datetime) -> Sanction:
    step, days = decision
    sanction = Sanction.objects.create(
        user_id=user_id,
        side=side,
        step=step,
        number=steps[-1].number + 1 if steps else 1,
        rejection_rate=evidence.rate,
        reviewed=evidence.reviewed,
        rejected=evidence.rejected,
        details={
            "window_days": evidence.window_days,
            "threshold": settings.SANCTION_REJECTION_PERCENT
            if side == SanctionSide.WORKER
            else None,
            "days": days,
            "rejections": evidence.rejections,
        },
        starts_at=now,
        ends_at=now + timedelta(days=days) if days else None,
    )
    audit_record(
        actor=None,
        action="sanction.pause" if step == SanctionStep.PAUSE else "sanction.warn",
        target=sanction.user,
        reason=_("%(rejected)s of %(reviewed)s reviewed rejected (%(rate)s%%)")
        % {"rejected": evidence.rejected, "reviewed": evidence.reviewed, "rate": evidence.rate},
        details={"sanction": sanction.pk, "side": side, "number": sanction.number, "days": days},
    )
    sanction_changed.send(sender=Sanction, sanction=sanction, event=step)
    return sanction


def sanctions_evaluate_all(*, now: datetime | None = None) -> int:
    """The clock: evaluate every worker whose rate is over the line now and every flagged
    employer (each in its own short transaction). How many steps were taken."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.SANCTION_WINDOW_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.worker_id FROM tasks_assignment a"
            " WHERE NOT a.is_gold AND a.reviewed_at >= %(since)s AND a.status = ANY(%(reviewed)s)"
            " GROUP BY a.worker_id HAVING COUNT(*) >= %(min)s"
            " AND 100 * COUNT(*) FILTER (WHERE a.status = ANY(%(rejected)s))"
            " >= %(percent)s * COUNT(*) ORDER BY a.worker_id",
            {
                "since": since,
                "reviewed": _REVIEWED,
                "rejected": list(REJECTED_OR_DISPUTED),
                "min": settings.SANCTION_MIN_REVIEWED,
                "percent": settings.SANCTION_REJECTION_PERCENT,
            },
        )
        workers = [row[0] for row in cursor.fetchall()]
    employers = [user.pk for user in rejecting_employers(now=now)]
    taken = 0
    for side, ids in ((SanctionSide.WORKER, workers), (SanctionSide.EMPLOYER, employers)):
        for user_id in ids:
            taken += sanction_evaluate(user_id=user_id, side=side, now=now) is not None
    return taken


# --- lifting and appeals ---------------------------------------------------------------------


def _lift(sanction: Sanction, *, by: User | None, reason: str, now: datetime) -> bool:
    """Lift ``sanction`` if it still stands (a conditional update), with its audit row and
    signal: whether this call lifted it."""
    lifted = Sanction.objects.filter(pk=sanction.pk, lifted_at__isnull=True).update(
        lifted_at=now, lifted_by=by, lift_reason=reason
    )
    if lifted:
        sanction.refresh_from_db()
        audit_record(
            actor=by,
            action="sanction.lift",
            target=sanction.user,
            reason=reason,
            details={"sanction": sanction.pk, "side": sanction.side, "step": sanction.step},
        )
        sanction_changed.send(sender=Sanction, sanction=sanction, event="lifted")
    return bool(lifted)


def sanctions_lift_overturned(*, assignment_id: int, worker_id: int) -> list[Sanction]:
    """A dispute was decided for the worker: lift every step of theirs (as a worker) still
    standing that listed this assignment's rejection. The lifted steps."""
    now = timezone.now()
    reason = _("A rejection it listed was overturned in a dispute.")
    lifted = []
    with transaction.atomic():
        standing = Sanction.objects.filter(
            user_id=worker_id,
            side=SanctionSide.WORKER,
            lifted_at__isnull=True,
            details__rejections__contains=[{"id": assignment_id}],
        ).order_by("number")
        for sanction in standing:
            if _lift(sanction, by=None, reason=reason, now=now):
                lifted.append(sanction)
    return lifted


def _reason(value: str | None, *, missing: str) -> str:
    reason = (value or "").strip()
    if not reason:
        raise DomainError("reason_required", missing, field="reason")
    if len(reason) > APPEAL_MAX_LENGTH:
        raise DomainError(
            "reason_too_long",
            _("Keep it under %(n)s characters.") % {"n": APPEAL_MAX_LENGTH},
            field="reason",
        )
    return reason


def sanction_of(user: User, pk: int) -> Sanction:
    """One of ``user``'s own steps; 404 (``not_found``) for anybody else's."""
    sanction = Sanction.objects.filter(pk=pk, user_id=user.pk).first()
    if sanction is None:
        raise not_found()
    return sanction


def sanction_appeal(*, sanction: Sanction, by: User, reason: str) -> Sanction:
    """The user appeals one of their steps, saying why: once per step, while it stands.
    Moderators see it in their queue. Raises DomainError ``not_found`` (404: not ``by``'s),
    ``reason_required``/``reason_too_long`` (400), ``sanction_lifted`` or
    ``already_appealed`` (409); nothing changes then."""
    if sanction.user_id != by.pk:
        raise not_found()
    reason = _reason(reason, missing=_("Say why the warning or pause is wrong."))
    if sanction.lifted_at is not None:
        raise DomainError("sanction_lifted", _("This step was already lifted."), status=409)
    appealed = Sanction.objects.filter(
        pk=sanction.pk, appeal_status=AppealStatus.NONE, lifted_at__isnull=True
    ).update(appeal=reason, appealed_at=timezone.now(), appeal_status=AppealStatus.OPEN)
    if not appealed:
        raise DomainError(
            "already_appealed", _("You already appealed this step: once is enough."), status=409
        )
    sanction.refresh_from_db()
    return sanction


def sanction_appeal_decide(*, sanction: Sanction, by: User, lift: bool, reason: str) -> Sanction:
    """A moderator decides an open appeal: lift the step (it stops at once and no longer
    counts) or uphold it, with a reason the user reads. Audited and notified, one transaction
    with the step locked. Raises DomainError ``permission_denied`` (403), OwnCase (their own
    step: four eyes), ``reason_required`` (400), ``appeal_not_open`` (409)."""
    if not getattr(by, "is_moderator", False):
        raise DomainError("permission_denied", _("Only moderators decide appeals."), status=403)
    ensure_not_own_case(actor=by, parties=[sanction.user], message=_("This is your own appeal."))
    reason = _reason(reason, missing=_("Write the reason for your decision; the user sees it."))
    now = timezone.now()
    with transaction.atomic():
        locked = Sanction.objects.select_for_update().select_related("user").get(pk=sanction.pk)
        if locked.appeal_status != AppealStatus.OPEN:
            raise DomainError("appeal_not_open", _("This appeal was already decided."), status=409)
        outcome = AppealStatus.LIFTED if lift else AppealStatus.UPHELD
        Sanction.objects.filter(pk=locked.pk).update(
            appeal_status=outcome, decided_at=now, decided_by=by, decision_reason=reason
        )
        if not (lift and _lift(locked, by=by, reason=reason, now=now)):
            locked.refresh_from_db()
            audit_record(
                actor=by,
                action="sanction.lift" if lift else "sanction.uphold",
                target=locked.user,
                reason=reason,
                details={"sanction": locked.pk, "side": locked.side, "step": locked.step},
            )
            if not lift:
                sanction_changed.send(sender=Sanction, sanction=locked, event="upheld")
    locked.refresh_from_db()
    return locked


# --- reads -----------------------------------------------------------------------------------


def sanctions_of(user: User, *, now: datetime | None = None) -> list[Sanction]:
    """The user's steps that still count or stand (not forgotten), newest first."""
    now = now or timezone.now()
    steps = Sanction.objects.filter(user_id=user.pk).order_by("-starts_at", "-id")
    return [s for s in steps[:50] if s.remembered(now) or s.in_force(now)]


def open_appeals() -> QuerySet[Sanction]:
    """Appeals waiting for a moderator, oldest first, with the user."""
    return (
        Sanction.objects.filter(appeal_status=AppealStatus.OPEN)
        .select_related("user")
        .order_by("appealed_at", "id")
    )
