"""Payouts: a worker withdraws earned balance to a saved payout method.

Lifecycle (``PAYOUT_TRANSITIONS``)::

    requested ──▶ processing ──▶ paid | failed      provider payouts (Stripe), by Kaaj's jobs
    requested ──▶ paid | rejected                   manual payouts, by a moderator

Money: the request moves the amount from the wallet into the user's payout account at once
(``payout:<id>:reserve``); paying moves it from there to the outside world
(``paid_out:<kind>``, ``payout:<id>:settle``); a failure or a rejection gives it back to the
wallet (``payout:<id>:return``). Each is one ledger movement with its own key, so a retried
step moves money once.

Concurrency: every transition is one conditional ``UPDATE … WHERE status = <expected>``,
made in the same short transaction as its ledger movement and its :class:`PayoutEvent`; a
row count of 0 means somebody else moved the payout first. Within a transaction the payout
row is locked before the ledger's accounts, always in that order. The provider is called
outside any transaction: the payout is first claimed (``requested → processing``) and
committed, then Stripe is called with the payout's idempotency key, then the outcome is
recorded. A payout with no clear outcome stays ``processing``; :func:`payouts_retry_stuck`
leases it (a conditional update of ``attempted_at``, so two sweepers never both call) and
asks again with the same key.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Suspension, User
from accounts.permissions import ensure_not_own_case
from accounts.selectors import is_suspended
from accounts.services import audit_record
from core.errors import DomainError
from core.money import format_cents
from payments import transfers
from payments.models import (
    MANUAL_METHODS,
    PAYOUT_TRANSITIONS,
    AccountKind,
    MovementKind,
    Payout,
    PayoutEvent,
    PayoutMethod,
    PayoutMethodKind,
    PayoutStatus,
)
from payments.signals import payout_decided
from payments.transfers import Outcome, OutcomeStatus, PayoutProvider

from .ledger import (
    InsufficientFunds,
    Leg,
    Posting,
    ledger_post,
    payout_account,
    system_account,
    wallet_account,
)

logger = logging.getLogger(__name__)

# A job stops starting new provider calls after this long, well inside Celery's soft limit;
# what is left waits for the next run.
JOB_BUDGET_SECONDS = 40
SEND_BATCH_SIZE = 20
# Past this many attempts a payout stuck in processing is logged as an error for a human.
ATTEMPTS_BEFORE_ALARM = 12


def _method_invalid() -> DomainError:
    return DomainError(
        "invalid_method", _("Choose one of your own payout methods."), field="method"
    )


def _not_pending() -> DomainError:
    """Somebody else moved the payout first (a row count of 0)."""
    return DomainError("payout_not_pending", _("This payout was already decided."), status=409)


def payouts_refusal() -> str | None:
    """Why no payout may be requested, sent or paid right now; None when they may.

    The one rule: in demo mode (``KAAJ_DEMO_MODE``) deposits are pretend money, so none of it
    may be withdrawn. Pages call this to hide their forms; the services below refuse with it.
    """
    if settings.KAAJ_DEMO_MODE:
        return _("This is a demo and its money is pretend: withdrawals are off.")
    return None


def _require_payouts_enabled() -> None:
    refusal = payouts_refusal()
    if refusal is not None:
        raise DomainError("payouts_disabled", refusal, status=403)


# --- Payout methods -------------------------------------------------------------------------

_STRIPE_ACCOUNT = re.compile(r"^acct_[A-Za-z0-9]{6,64}$")
# Bangladeshi mobile numbers: 01 + operator digit 3 to 9 + 8 digits; +880 / 880 are the country
# code in front of the number without its leading 0.
_BKASH = re.compile(r"^(?:\+?880|0)(1[3-9]\d{8})$")


def _destination_clean(kind: str, destination: str) -> str:
    """The destination in its one stored form, or a ValidationError on ``destination``."""
    value = (destination or "").strip()
    if kind == PayoutMethodKind.STRIPE:
        if not _STRIPE_ACCOUNT.match(value):
            raise ValidationError(
                {"destination": _("Enter your Stripe account id; it starts with acct_.")}
            )
        return value
    if kind in (PayoutMethodKind.PAYPAL, PayoutMethodKind.SKRILL):
        try:
            validate_email(value)
        except ValidationError as error:
            raise ValidationError({"destination": _("Enter a valid email address.")}) from error
        return value.lower()
    match = _BKASH.match(re.sub(r"[\s-]", "", value))
    if not match:
        raise ValidationError(
            {"destination": _("Enter a Bangladeshi mobile number such as 01712345678.")}
        )
    return f"0{match.group(1)}"


def payout_method_add(*, user: User, kind: str, destination: str, label: str = "") -> PayoutMethod:
    """Save a payout method for ``user``.

    The destination is validated and normalised by kind: ``stripe`` a Connect account id
    (``acct_…``), ``paypal``/``skrill`` an email address (lower-cased), ``bkash`` a Bangladeshi
    mobile number (``+8801…`` becomes ``01…``). Raises ValidationError (per field) when
    invalid or when the same method is already saved.
    """
    if kind not in PayoutMethodKind.values:
        raise ValidationError({"kind": _("Choose a payout method.")})
    clean = _destination_clean(kind, destination)
    label = (label or "").strip()
    if len(label) > PayoutMethod._meta.get_field("label").max_length:
        raise ValidationError({"label": _("Keep the name short.")})
    duplicate = ValidationError({"destination": _("You have already saved this method.")})
    active = PayoutMethod.objects.filter(user=user, removed_at__isnull=True)
    if active.filter(kind=kind, destination=clean).exists():
        raise duplicate
    try:
        with transaction.atomic():
            return PayoutMethod.objects.create(user=user, kind=kind, destination=clean, label=label)
    except IntegrityError as error:  # the same method saved at the same moment
        raise duplicate from error


def payout_method_remove(*, user: User, method: PayoutMethod) -> bool:
    """Remove one of ``user``'s methods (soft: ``removed_at``).

    Payouts already requested keep their own snapshot of kind and destination and are paid
    as asked. Returns False when it was already removed; raises DomainError ``invalid_method`` for
    somebody else's method.
    """
    if method.user_id != user.pk:
        raise _method_invalid()
    return bool(
        PayoutMethod.objects.filter(pk=method.pk, removed_at__isnull=True).update(
            removed_at=timezone.now()
        )
    )


# --- Requesting -----------------------------------------------------------------------------


def payout_request(*, user: User, method: PayoutMethod | None, amount_cents: int) -> Payout:
    """Withdraw ``amount_cents`` from ``user``'s wallet to one of their active methods.

    In one transaction: creates the payout (``requested``, with the method's kind and
    destination copied), records its event, and reserves the money (wallet → payout
    account). A Stripe payout's send job is enqueued after commit. Raises
    DomainError: ``invalid_method`` (none, not the user's, or removed), ``amount_too_small`` (below
    ``PAYOUT_MINIMUM_CENTS``), ``insufficient_funds`` (409), ``account_suspended`` (403, a
    moderator suspended the account) or ``payouts_disabled`` (403, demo mode); then nothing at
    all is written.
    """
    _require_payouts_enabled()
    if method is None or method.user_id != user.pk or method.removed_at is not None:
        raise _method_invalid()
    if is_suspended(user):
        raise DomainError(
            "account_suspended",
            _(
                "Your account is suspended: withdrawals wait until a moderator reinstates it. "
                "Your balance stays yours."
            ),
            status=403,
        )
    minimum = settings.PAYOUT_MINIMUM_CENTS
    if not isinstance(amount_cents, int) or amount_cents < max(minimum, 1):
        raise DomainError(
            "amount_too_small",
            _("The smallest withdrawal is %(minimum)s.") % {"minimum": format_cents(minimum)},
            field="amount",
        )
    wallet, reserve = wallet_account(user), payout_account(user)
    with transaction.atomic():
        payout = Payout.objects.create(
            user=user,
            method=method,
            kind=method.kind,
            destination=method.destination,
            amount_cents=amount_cents,
            status=PayoutStatus.REQUESTED,
        )
        _event(payout.pk, "", PayoutStatus.REQUESTED, by=user)
        try:
            _post(
                payout,
                MovementKind.PAYOUT_RESERVE,
                "reserve",
                Leg(wallet, reserve, amount_cents),
                by=user,
            )
        except InsufficientFunds as error:
            raise DomainError(
                "insufficient_funds",
                _("Your available balance is %(available)s; you cannot withdraw %(amount)s.")
                % {
                    "available": format_cents(error.available),
                    "amount": format_cents(amount_cents),
                },
                status=409,
                field="amount",
            ) from error
        if payout.kind == PayoutMethodKind.STRIPE:
            transaction.on_commit(lambda: _enqueue_send(payout.pk), robust=True)
    return payout


def _enqueue_send(payout_id: int) -> None:
    # If the broker is down, payouts_send_requested picks the payout up within a minute.
    from payments.jobs import payout_send_job

    payout_send_job.delay(payout_id)


# --- Provider payouts (Stripe) --------------------------------------------------------------


def payout_send(*, payout_id: int, provider: PayoutProvider | None = None) -> Payout | None:
    """Send one requested provider payout, exactly once whoever else tries at the same time.

    Requires: no transaction open (the provider is called over the network). Claims
    ``requested → processing`` with one conditional update (committed before the call);
    when the claim finds nothing (somebody else has it, or it is manual, or not requested,
    or its owner is suspended, or payouts are off in demo mode) returns None without calling
    anything. Then calls the provider with the payout's idempotency key and records the
    outcome: paid, failed (money back in the wallet), or unknown (stays processing for
    :func:`payouts_retry_stuck`). Returns the payout as it is afterwards.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            _sendable()
            .filter(pk=payout_id)
            .update(
                status=PayoutStatus.PROCESSING,
                attempts=F("attempts") + 1,
                attempted_at=now,
                updated_at=now,
            )
        )
        if claimed:
            _event(payout_id, PayoutStatus.REQUESTED, PayoutStatus.PROCESSING, by=None)
    if not claimed:
        return None
    return _attempt(payout_id, provider)


def payouts_send_requested(
    *, provider: PayoutProvider | None = None, batch_size: int = SEND_BATCH_SIZE
) -> int:
    """Send every requested provider payout, oldest first, in batches of ``batch_size`` ids,
    until none is left or the job's time budget is spent. Returns how many this call sent.

    Safe alongside the per-payout jobs and itself: each send is claimed first.
    """
    started, sent = time.monotonic(), 0
    while time.monotonic() - started < JOB_BUDGET_SECONDS:
        ids = list(
            _sendable().order_by("created_at", "id").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        for payout_id in ids:
            if payout_send(payout_id=payout_id, provider=provider) is not None:
                sent += 1
            if time.monotonic() - started >= JOB_BUDGET_SECONDS:
                break
    return sent


def _audit(payout: Payout, action: str, *, by: User, reason: str) -> None:
    """A moderator's decision on a manual payout, in the audit log."""
    audit_record(
        actor=by,
        action=action,
        target=payout,
        reason=reason,
        details={"amount_cents": payout.amount_cents, "kind": payout.kind, "user": payout.user_id},
    )


def _sendable():
    """Requested Stripe payouts whose owner is not suspended: a suspended account's payouts
    wait, requested, and go out with the next sweep after reinstatement. None at all while
    payouts are off (demo mode)."""
    if payouts_refusal() is not None:
        return Payout.objects.none()
    return Payout.objects.filter(
        ~Exists(Suspension.objects.filter(user_id=OuterRef("user_id"), lifted_at__isnull=True)),
        status=PayoutStatus.REQUESTED,
        kind=PayoutMethodKind.STRIPE,
    )


def payouts_retry_stuck(
    *, provider: PayoutProvider | None = None, batch_size: int = SEND_BATCH_SIZE
) -> int:
    """Ask the provider again about processing payouts older than PAYOUT_RETRY_AFTER_SECONDS.

    Each payout is leased first by a conditional update of ``attempted_at`` (a second
    sweeper finds it fresh and leaves it), then the provider is called with the same
    idempotency key as before, so a transfer made earlier is returned instead of repeated.
    Returns how many payouts this call retried (none while payouts are off in demo mode).
    """
    if payouts_refusal() is not None:
        return 0
    started, retried = time.monotonic(), 0
    stale = timezone.now() - timedelta(seconds=settings.PAYOUT_RETRY_AFTER_SECONDS)
    ids = list(
        Payout.objects.filter(status=PayoutStatus.PROCESSING, kind=PayoutMethodKind.STRIPE)
        .filter(Q(attempted_at__lt=stale) | Q(attempted_at__isnull=True))
        .order_by(F("attempted_at").asc(nulls_first=True), "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    for payout_id in ids:
        if time.monotonic() - started >= JOB_BUDGET_SECONDS:
            break
        if _lease(payout_id):
            _attempt(payout_id, provider)
            retried += 1
    return retried


def _lease(payout_id: int) -> bool:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PAYOUT_RETRY_AFTER_SECONDS)
    return bool(
        Payout.objects.filter(pk=payout_id, status=PayoutStatus.PROCESSING)
        .filter(Q(attempted_at__lt=stale) | Q(attempted_at__isnull=True))
        .update(attempts=F("attempts") + 1, attempted_at=now, updated_at=now)
    )


def _attempt(payout_id: int, provider: PayoutProvider | None) -> Payout:
    """Call the provider for a payout this process holds (claimed or leased), record it."""
    payout = Payout.objects.get(pk=payout_id)
    provider = provider or transfers.payout_provider()
    try:
        outcome = provider.send(payout)
    except Exception as error:  # a bug, not an answer: keep the payout for the sweeper
        logger.exception("payout %s: provider call crashed", payout_id)
        outcome = Outcome.unknown(repr(error))
    if outcome.status == OutcomeStatus.PAID:
        return payout_settle(payout_id=payout_id, reference=outcome.reference) or payout
    if outcome.status == OutcomeStatus.FAILED:
        return payout_fail(payout_id=payout_id, reason=outcome.reason) or payout
    log = logger.error if payout.attempts >= ATTEMPTS_BEFORE_ALARM else logger.warning
    log(
        "payout %s: outcome unknown after %s attempts: %s",
        payout_id,
        payout.attempts,
        outcome.reason,
    )
    return payout


def payout_settle(*, payout_id: int, reference: str) -> Payout | None:
    """Record that the provider paid a processing payout (``processing → paid``).

    One transaction: the conditional update (with the provider's reference, unique per
    kind), its event, and the ledger movement payout account → ``paid_out:<kind>``.
    Returns None, moving nothing, when the payout is no longer processing.
    """
    with transaction.atomic():
        payout = _transition(
            payout_id, PayoutStatus.PROCESSING, PayoutStatus.PAID, by=None, reference=reference
        )
        if payout is None:
            return None
        _settle_post(payout, by=None)
        payout_decided.send(sender=Payout, payout=payout, paid=True, reason="")
    return payout


def payout_fail(*, payout_id: int, reason: str) -> Payout | None:
    """Record that the provider refused a processing payout (``processing → failed``).

    One transaction: the conditional update keeping ``reason`` for the worker, its event,
    and the money back from the payout account to the wallet. Returns None, moving
    nothing, when the payout is no longer processing.
    """
    with transaction.atomic():
        payout = _transition(
            payout_id,
            PayoutStatus.PROCESSING,
            PayoutStatus.FAILED,
            by=None,
            note=reason,
            failure_reason=reason,
        )
        if payout is None:
            return None
        _return_post(payout, by=None)
        payout_decided.send(sender=Payout, payout=payout, paid=False, reason=reason)
    return payout


# --- Manual payouts (PayPal, Skrill, bKash) -------------------------------------------------


def _require_moderator(user: User) -> None:
    if not getattr(user, "is_moderator", False):
        raise PermissionDenied(_("Only moderators decide manual payouts."))


def _require_not_own(payout: Payout, by: User) -> None:
    ensure_not_own_case(
        actor=by,
        parties=[payout.user_id],
        message=_("You cannot decide your own payout: another moderator must do it."),
    )


def payout_mark_paid(*, payout: Payout, reference: str, by: User) -> Payout:
    """A moderator paid a requested manual payout by hand (``requested → paid``).

    ``reference`` is the provider's transaction id; one reference pays one payout per
    method kind. One transaction: the conditional update, its event, the ledger settle.
    Raises PermissionDenied (not a moderator), OwnCase (the moderator's own payout),
    DomainError: ``payouts_disabled`` (403, demo mode), ``not_manual``, ``reference_required``,
    ``reference_used`` (409), ``account_suspended`` (403, held while the worker is suspended)
    or ``payout_not_pending`` (409, decided already).
    """
    _require_moderator(by)
    _require_not_own(payout, by)
    _require_payouts_enabled()
    if payout.kind not in MANUAL_METHODS:
        raise DomainError(
            "not_manual", _("Kaaj pays this payout through Stripe; it cannot be marked paid.")
        )
    if is_suspended(payout.user_id):
        raise DomainError(
            "account_suspended",
            _("The worker's account is suspended: the payout waits until they are reinstated."),
            status=403,
        )
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(
            "reference_required", _("Enter the payment's reference."), field="reference"
        )
    used = _("Reference %(reference)s is already recorded for another %(kind)s payout.") % {
        "reference": reference,
        "kind": payout.get_kind_display(),
    }
    if Payout.objects.filter(kind=payout.kind, reference=reference).exclude(pk=payout.pk).exists():
        raise DomainError("reference_used", used, status=409, field="reference")
    try:
        with transaction.atomic():
            paid = _transition(
                payout.pk,
                PayoutStatus.REQUESTED,
                PayoutStatus.PAID,
                by=by,
                note=reference,
                reference=reference,
                decided_by=by,
            )
            if paid is None:
                raise _not_pending()
            _settle_post(paid, by=by)
            payout_decided.send(sender=Payout, payout=paid, paid=True, reason="")
            _audit(paid, "payout.mark_paid", by=by, reason=reference)
    except IntegrityError as error:  # the same reference recorded at the same moment
        raise DomainError("reference_used", used, status=409, field="reference") from error
    return paid


def payout_reject(*, payout: Payout, reason: str, by: User) -> Payout:
    """A moderator refuses a requested payout (``requested → rejected``).

    The reason is required and shown to the worker; the money goes back to the wallet in
    the same transaction. Raises PermissionDenied, OwnCase (the moderator's own payout),
    DomainError ``reason_required`` or ``payout_not_pending`` (409: decided already, or a
    Stripe payout already being sent).
    """
    _require_moderator(by)
    _require_not_own(payout, by)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "reason_required",
            _("Say why the payout is rejected; the worker will see it."),
            field="reason",
        )
    with transaction.atomic():
        rejected = _transition(
            payout.pk,
            PayoutStatus.REQUESTED,
            PayoutStatus.REJECTED,
            by=by,
            note=reason,
            failure_reason=reason,
            decided_by=by,
        )
        if rejected is None:
            raise _not_pending()
        _return_post(rejected, by=by)
        payout_decided.send(sender=Payout, payout=rejected, paid=False, reason=reason)
        _audit(rejected, "payout.reject", by=by, reason=reason)
    return rejected


# --- Helpers --------------------------------------------------------------------------------


def _transition(
    payout_id: int, from_status: str, to_status: str, *, by: User | None, note: str = "", **fields
) -> Payout | None:
    """One conditional update and its event; None when the payout was not ``from_status``.
    Call inside a transaction: it locks the payout row until commit."""
    if to_status not in PAYOUT_TRANSITIONS[from_status]:
        raise ValueError(f"a payout cannot go from {from_status} to {to_status}")
    now = timezone.now()
    moved = Payout.objects.filter(pk=payout_id, status=from_status).update(
        status=to_status, updated_at=now, **fields
    )
    if not moved:
        return None
    _event(payout_id, from_status, to_status, by=by, note=note, at=now)
    return Payout.objects.select_related("user").get(pk=payout_id)


def _event(
    payout_id: int, from_status: str, to_status: str, *, by: User | None, note: str = "", at=None
) -> None:
    PayoutEvent.objects.create(
        payout_id=payout_id,
        from_status=from_status,
        to_status=to_status,
        actor=by,
        note=note,
        created_at=at or timezone.now(),
    )


def _post(payout: Payout, kind: MovementKind, step: str, leg: Leg, *, by: User | None) -> None:
    ledger_post(
        Posting(
            kind=kind,
            idempotency_key=f"payout:{payout.pk}:{step}",
            reference=f"payout:{payout.pk}",
            legs=(leg,),
            actor=by,
        )
    )


def _settle_post(payout: Payout, *, by: User | None) -> None:
    outside = system_account(AccountKind.PAID_OUT, payout.kind)
    leg = Leg(payout_account(payout.user), outside, payout.amount_cents)
    _post(payout, MovementKind.PAYOUT_SETTLE, "settle", leg, by=by)


def _return_post(payout: Payout, *, by: User | None) -> None:
    leg = Leg(payout_account(payout.user), wallet_account(payout.user), payout.amount_cents)
    _post(payout, MovementKind.PAYOUT_RETURN, "return", leg, by=by)
