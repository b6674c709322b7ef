"""Deposits: an employer pays with a card, and the wallet is credited from the webhook only.

Flow
----
1. :func:`deposit_start` creates the :class:`~payments.models.Deposit` (``created``), then,
   outside any transaction, asks the checkout provider for a session, then stores the
   session and moves the deposit to ``open``. The employer is sent to the checkout URL.
2. The provider delivers signed events to :func:`webhook_receive`. Each verified event is
   stored once under its event id and acted on in the same transaction, so a duplicate
   delivery waits for the first one and then does nothing; a failed first attempt rolls
   back and the provider's retry does the work.
3. ``checkout.session.completed`` with ``payment_status == "paid"`` and
   ``checkout.session.async_payment_succeeded`` call :func:`deposit_fulfil`, which credits
   the wallet exactly once: under the deposit's row lock, guarded by the transition map,
   with the ledger's idempotency key ``deposit:<id>`` as a last line of defence.

Events may arrive in any order, any number of times, concurrently, and before step 1 has
stored the session id: the deposit is found by ``metadata.deposit_id`` (or
``client_reference_id``), which Kaaj sets before the session exists.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from core.errors import DomainError
from core.money import format_cents
from payments import checkout
from payments.models import (
    DEPOSIT_TRANSITIONS,
    AccountKind,
    Deposit,
    DepositStatus,
    MovementKind,
    WebhookEvent,
)

from .ledger import Leg, Posting, ledger_post, system_account, wallet_account

logger = logging.getLogger(__name__)

# Stored in English on the deposit, shown translated (``{% translate deposit.failure_reason %}``).
PROVIDER_UNAVAILABLE = gettext_noop("The payment provider was not available.")
PAYMENT_FAILED = gettext_noop("The payment did not go through.")


class WebhookInvalid(Exception):
    """The event's signature (or shape) is wrong. Nothing was stored."""


# --- Starting a deposit -----------------------------------------------------------------


def deposit_amount_check(amount_cents: int) -> None:
    """Raise DomainError ``amount_too_small`` / ``amount_too_large`` unless the amount is
    within the settings' limits."""
    minimum, maximum = settings.DEPOSIT_MINIMUM_CENTS, settings.DEPOSIT_MAXIMUM_CENTS
    if not isinstance(amount_cents, int) or amount_cents < minimum:
        raise DomainError(
            "amount_too_small",
            _("The smallest deposit is %(minimum)s.") % {"minimum": format_cents(minimum)},
            field="amount",
        )
    if amount_cents > maximum:
        raise DomainError(
            "amount_too_large",
            _("The largest deposit is %(maximum)s.") % {"maximum": format_cents(maximum)},
            field="amount",
        )


def deposit_start(
    *,
    user: User,
    amount_cents: int,
    base_url: str = "",
    provider: checkout.CheckoutProvider | None = None,
) -> Deposit:
    """Start a deposit of ``amount_cents`` into the user's wallet; returns it ``open``, with
    its ``checkout_url``.

    Requires: no transaction open by the caller (the provider call may go over the network).
    ``base_url`` makes the return URLs absolute (Stripe needs it). Guarantees: the provider
    is called once, outside any transaction; the wallet is not credited here (only the
    webhook does that). Raises DomainError ``amount_too_small`` / ``amount_too_large``
    (nothing created) and ``payment_provider_unavailable`` (503: the deposit is kept,
    marked failed).
    """
    deposit_amount_check(amount_cents)
    provider = provider or checkout.checkout_provider()
    deposit = Deposit.objects.create(  # one INSERT: its own short transaction
        user=user,
        amount_cents=amount_cents,
        currency=settings.CURRENCY,
        provider=provider.name,
    )
    try:
        session = provider.session_create(deposit=deposit, base_url=base_url)
    except checkout.CheckoutUnavailable as error:
        logger.warning("deposit %s: no checkout session: %s", deposit.pk, error)
        _deposit_close(deposit.pk, DepositStatus.FAILED, reason=PROVIDER_UNAVAILABLE)
        raise DomainError(
            "payment_provider_unavailable",
            _(
                "The payment provider is not answering right now. Nothing was charged; "
                "please try again in a few minutes."
            ),
            status=503,
        ) from error
    # One conditional UPDATE: the session is stored whatever happened meanwhile, and the
    # status moves to open only if no webhook has already moved it on (paid, expired).
    Deposit.objects.filter(pk=deposit.pk).update(
        session_id=session.session_id,
        checkout_url=session.url,
        status=Case(
            When(status=DepositStatus.CREATED, then=Value(DepositStatus.OPEN)),
            default=F("status"),
        ),
    )
    deposit.refresh_from_db()
    return deposit


def _deposit_close(deposit_id: int, status: DepositStatus, *, reason: str = "") -> bool:
    """Move a deposit to ``failed`` or ``expired`` if the transition map allows it from
    its current status. One conditional UPDATE; False when it was already past that."""
    sources = [source for source, targets in DEPOSIT_TRANSITIONS.items() if status in targets]
    moved = Deposit.objects.filter(pk=deposit_id, status__in=sources).update(
        status=status, failure_reason=reason
    )
    return bool(moved)


# --- Crediting ----------------------------------------------------------------------------


def deposit_fulfil(*, deposit_id: int, session_id: str = "") -> tuple[Deposit, bool]:
    """Credit a paid deposit to its owner's wallet. Returns ``(deposit, credited_now)``.

    Requires: the payment was verified as paid for the deposit's exact amount and currency
    (the caller checks the event). Locks the deposit row (``SELECT … FOR UPDATE``) before
    the ledger locks the wallet, always in that order. Guarantees: exactly one ledger
    movement (kind ``deposit``, key ``deposit:<id>``, from the provider's deposits clearing
    account to the wallet) and ``paid``/``paid_at`` set with it, however many times,
    in whatever order, and however concurrently it is called. A deposit the map no longer
    lets become paid (failed, expired) is not credited; that is logged as an error for
    staff to settle with the provider.
    """
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update().get(pk=deposit_id)
        if deposit.status == DepositStatus.PAID:
            return deposit, False
        if DepositStatus.PAID not in DEPOSIT_TRANSITIONS[DepositStatus(deposit.status)]:
            logger.error(
                "deposit %s was paid at %s but is %s here: not credited, settle it by hand",
                deposit.pk,
                deposit.provider,
                deposit.status,
            )
            return deposit, False
        ledger_post(
            Posting(
                kind=MovementKind.DEPOSIT,
                idempotency_key=f"deposit:{deposit.pk}",
                reference=f"deposit:{deposit.pk}",
                legs=(
                    Leg(
                        system_account(AccountKind.DEPOSITS, deposit.provider),
                        wallet_account(deposit.user),
                        deposit.amount_cents,
                    ),
                ),
                actor=deposit.user,
                memo=session_id or deposit.session_id or "",
            )
        )
        deposit.status = DepositStatus.PAID
        deposit.paid_at = timezone.now()
        fields = ["status", "paid_at"]
        if session_id and not deposit.session_id:  # the webhook overtook deposit_start
            deposit.session_id = session_id
            fields.append("session_id")
        deposit.save(update_fields=fields)
    return deposit, True


# --- Webhooks -----------------------------------------------------------------------------


def webhook_receive(*, payload: bytes, signature: str, provider: str) -> tuple[WebhookEvent, bool]:
    """Verify, store and act on one provider event. Returns ``(event, acted_now)``.

    ``provider`` is who sent it (``stripe`` from the endpoint, ``sandbox`` from the local
    checkout page); it only acts on that provider's deposits. Raises :class:`WebhookInvalid`
    when the signature does not verify against :func:`checkout.webhook_secret` (nothing is
    stored). Guarantees: the event is stored once under its id and acted on in the same
    transaction; a duplicate, even a concurrent one, returns ``acted_now`` False and
    changes nothing. Unknown event types are stored and ignored.
    """
    event = _event_verify(payload, signature)
    with transaction.atomic():
        stored, created = _event_store(provider, event)
        if not created and stored.processed_at is not None:
            return stored, False
        handler = EVENT_HANDLERS.get(event["type"])
        if handler is not None:
            handler(provider, event["data"]["object"])
        WebhookEvent.objects.filter(pk=stored.pk).update(processed_at=timezone.now())
    return stored, True


def _event_verify(payload: bytes, signature: str) -> dict:
    import stripe  # here, not at the top: about 6 MB of each web worker, for this call only

    try:
        event = stripe.Webhook.construct_event(payload, signature, checkout.webhook_secret())
    except (stripe.SignatureVerificationError, ValueError) as error:
        # ValueError: a body that is not UTF-8 JSON (json.JSONDecodeError is one).
        raise WebhookInvalid(str(error)) from error
    data = event.to_dict()
    try:
        valid = (
            isinstance(data["id"], str)
            and isinstance(data["type"], str)
            and isinstance(data["data"]["object"], dict)
        )
    except (KeyError, TypeError):
        valid = False
    if not valid:
        raise WebhookInvalid("not an event: id, type or data.object is missing")
    return data


def _event_store(provider: str, event: dict) -> tuple[WebhookEvent, bool]:
    """Insert the event under its unique id; ``created`` is False when it was already there
    (a concurrent insert of the same id waits for the first transaction to end)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payments_webhookevent (provider, event_id, type, payload, received_at)
            VALUES (%s, %s, %s, %s::jsonb, %s)
            ON CONFLICT (provider, event_id) DO NOTHING
            RETURNING id
            """,
            [provider, event["id"], event["type"], json.dumps(event), timezone.now()],
        )
        row = cursor.fetchone()
    if row is not None:
        return WebhookEvent.objects.get(pk=row[0]), True
    stored = WebhookEvent.objects.select_for_update().get(provider=provider, event_id=event["id"])
    return stored, False


def _deposit_for(provider: str, session: dict) -> Deposit | None:
    """The deposit a checkout session is about, if it is this provider's and matches."""
    reference = (session.get("metadata") or {}).get("deposit_id") or session.get(
        "client_reference_id"
    )
    deposit = None
    if reference is not None and str(reference).isdigit():
        deposit = Deposit.objects.filter(pk=int(reference)).first()
    if deposit is None and session.get("id"):
        deposit = Deposit.objects.filter(session_id=session["id"]).first()
    if deposit is None:
        logger.warning(
            "%s session %s: no such deposit (%r)", provider, session.get("id"), reference
        )
        return None
    if deposit.provider != provider:
        logger.error("%s sent an event about %s deposit %s", provider, deposit.provider, deposit.pk)
        return None
    if deposit.session_id and session.get("id") and deposit.session_id != session["id"]:
        logger.error(
            "deposit %s has session %s, the event says %s",
            deposit.pk,
            deposit.session_id,
            session["id"],
        )
        return None
    return deposit


def _on_paid(provider: str, session: dict) -> None:
    deposit = _deposit_for(provider, session)
    if deposit is None:
        return
    amount, currency = session.get("amount_total"), str(session.get("currency") or "")
    if amount != deposit.amount_cents or currency.upper() != deposit.currency.upper():
        logger.error(
            "deposit %s is %s %s but %s says %s %s was paid: not credited",
            deposit.pk,
            deposit.amount_cents,
            deposit.currency,
            provider,
            amount,
            currency,
        )
        return
    deposit_fulfil(deposit_id=deposit.pk, session_id=session.get("id") or "")


def _on_completed(provider: str, session: dict) -> None:
    # Delayed payment methods complete the checkout unpaid; the async events follow.
    if session.get("payment_status") == "paid":
        _on_paid(provider, session)


def _on_failed(provider: str, session: dict) -> None:
    deposit = _deposit_for(provider, session)
    if deposit is not None:
        _deposit_close(deposit.pk, DepositStatus.FAILED, reason=PAYMENT_FAILED)


def _on_expired(provider: str, session: dict) -> None:
    deposit = _deposit_for(provider, session)
    if deposit is not None:
        _deposit_close(deposit.pk, DepositStatus.EXPIRED)


EVENT_HANDLERS: dict[str, Callable[[str, dict], None]] = {
    "checkout.session.completed": _on_completed,
    "checkout.session.async_payment_succeeded": _on_paid,
    "checkout.session.async_payment_failed": _on_failed,
    "checkout.session.expired": _on_expired,
}


# --- The sandbox's checkout page ----------------------------------------------------------


def _sandbox_deliver(deposit: Deposit, event_type: str, payment_status: str) -> Deposit:
    if settings.PAYMENTS_PROVIDER != checkout.SANDBOX or deposit.provider != checkout.SANDBOX:
        raise PermissionError("the sandbox checkout only runs with the sandbox provider")
    payload = checkout.sandbox_event(
        deposit=deposit, event_type=event_type, payment_status=payment_status
    )
    webhook_receive(
        payload=payload, signature=checkout.signature_header(payload), provider=checkout.SANDBOX
    )
    deposit.refresh_from_db()
    return deposit


def sandbox_checkout_confirm(*, deposit: Deposit) -> Deposit:
    """The employer pays on the sandbox page: a signed ``checkout.session.completed`` (paid)
    goes through :func:`webhook_receive`, exactly as Stripe's would. Only with the sandbox
    provider (PermissionError otherwise)."""
    return _sandbox_deliver(deposit, "checkout.session.completed", "paid")


def sandbox_checkout_cancel(*, deposit: Deposit) -> Deposit:
    """The employer gives up on the sandbox page: the session expires (signed
    ``checkout.session.expired`` through :func:`webhook_receive`)."""
    return _sandbox_deliver(deposit, "checkout.session.expired", "unpaid")
