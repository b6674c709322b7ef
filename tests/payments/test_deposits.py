"""Deposits: starting one, and crediting it from verified webhook events exactly once."""

from __future__ import annotations

import json
import secrets

import pytest
from django.db import connection

from core.errors import DomainError
from payments import checkout
from payments.models import AccountKind, Deposit, DepositStatus, Movement, WebhookEvent
from payments.selectors import account_balance, balances_of, ledger_violations
from payments.services import (
    WebhookInvalid,
    deposit_fulfil,
    deposit_start,
    sandbox_checkout_cancel,
    sandbox_checkout_confirm,
    webhook_receive,
)
from payments.services.ledger import system_account
from tests.refusals import refused

# --- Helpers shared by the test_deposit_*.py modules -------------------------------------


def open_deposit(user, amount_cents=2_500, provider="sandbox", **fields) -> Deposit:
    """A deposit as deposit_start leaves it: open, with a session id."""
    values = {
        "status": DepositStatus.OPEN,
        "session_id": f"cs_test_{secrets.token_hex(6)}",
        "checkout_url": "https://checkout.example/pay",
        "currency": "USD",
        **fields,
    }
    return Deposit.objects.create(user=user, amount_cents=amount_cents, provider=provider, **values)


def event_payload(
    deposit: Deposit,
    event_type: str = "checkout.session.completed",
    *,
    payment_status: str = "paid",
    event_id: str | None = None,
    **session_overrides,
) -> bytes:
    """A Stripe-format event about the deposit's checkout session, as bytes on the wire."""
    session = {
        "id": deposit.session_id,
        "object": "checkout.session",
        "amount_total": deposit.amount_cents,
        "currency": deposit.currency.lower(),
        "payment_status": payment_status,
        "client_reference_id": str(deposit.pk),
        "metadata": {"deposit_id": str(deposit.pk)},
        **session_overrides,
    }
    event = {
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": event_type,
        "data": {"object": session},
    }
    return json.dumps(event).encode()


def deliver(payload: bytes, provider: str = "sandbox"):
    """Hand a correctly signed event to the webhook handler."""
    return webhook_receive(
        payload=payload, signature=checkout.signature_header(payload), provider=provider
    )


def deposit_movements(deposit: Deposit) -> int:
    return Movement.objects.filter(idempotency_key=f"deposit:{deposit.pk}").count()


class RecordingProvider:
    """A provider that notes what it was asked and whether a transaction was open."""

    name = "sandbox"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[int, bool]] = []

    def session_create(self, *, deposit, base_url):
        self.calls.append((deposit.pk, connection.in_atomic_block))
        if self.fail:
            raise checkout.CheckoutUnavailable("provider down")
        return checkout.CheckoutSession(
            f"cs_fake_{deposit.pk}", f"https://pay.example/{deposit.pk}"
        )


# --- Starting -------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_start_opens_a_sandbox_deposit_with_a_local_checkout_page(employer, settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    deposit = deposit_start(user=employer, amount_cents=1_000, base_url="http://kaaj.test/")
    assert deposit.status == DepositStatus.OPEN
    assert deposit.provider == "sandbox" and deposit.currency == settings.CURRENCY
    assert deposit.session_id.startswith("cs_sandbox_")
    assert deposit.checkout_url == f"http://kaaj.test/money/deposits/{deposit.pk}/sandbox-checkout/"
    assert balances_of(employer).available_cents == 0  # only the webhook credits


def test_sandbox_start_then_confirm_credits_the_wallet_once(employer, settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    deposit = deposit_start(user=employer, amount_cents=1_250)
    deposit = sandbox_checkout_confirm(deposit=deposit)
    assert deposit.status == DepositStatus.PAID and deposit.paid_at is not None
    assert balances_of(employer).available_cents == 1_250
    assert account_balance(system_account(AccountKind.DEPOSITS, "sandbox")) == -1_250
    event = WebhookEvent.objects.get()
    assert event.provider == "sandbox" and event.type == "checkout.session.completed"
    assert event.event_id.startswith("evt_") and event.processed_at is not None

    sandbox_checkout_confirm(deposit=deposit)  # a second confirm: another event, no money
    assert balances_of(employer).available_cents == 1_250
    assert deposit_movements(deposit) == 1
    assert ledger_violations() == []


def test_sandbox_cancel_expires_the_deposit(employer, settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    deposit = sandbox_checkout_cancel(deposit=deposit_start(user=employer, amount_cents=1_000))
    assert deposit.status == DepositStatus.EXPIRED
    assert balances_of(employer).available_cents == 0


def test_sandbox_confirm_refuses_when_stripe_is_the_provider(employer, settings):
    deposit = open_deposit(employer, provider="sandbox")
    settings.PAYMENTS_PROVIDER = "stripe"
    with pytest.raises(PermissionError):
        sandbox_checkout_confirm(deposit=deposit)
    assert balances_of(employer).available_cents == 0


@pytest.mark.parametrize(
    ("amount", "code"),
    [(499, "amount_too_small"), (0, "amount_too_small"), (10_001, "amount_too_large")],
)
def test_an_amount_outside_the_limits_creates_nothing(employer, settings, amount, code):
    settings.DEPOSIT_MINIMUM_CENTS, settings.DEPOSIT_MAXIMUM_CENTS = 500, 10_000
    provider = RecordingProvider()
    with pytest.raises(DomainError) as raised:
        deposit_start(user=employer, amount_cents=amount, provider=provider)
    assert raised.value.code == code
    assert ("$5.00" if code == "amount_too_small" else "$100.00") in raised.value.message
    assert not Deposit.objects.exists() and provider.calls == []


def test_a_provider_failure_marks_the_deposit_failed(employer):
    with refused("payment_provider_unavailable") as raised:
        deposit_start(user=employer, amount_cents=1_000, provider=RecordingProvider(fail=True))
    assert raised.value.code == "payment_provider_unavailable"
    deposit = Deposit.objects.get()
    assert deposit.status == DepositStatus.FAILED and deposit.failure_reason
    assert deposit.session_id is None


def test_a_webhook_that_overtakes_the_session_save_still_leaves_the_deposit_paid(employer):
    """The provider's event arrives while deposit_start is still waiting for its answer."""

    class OvertakenProvider(RecordingProvider):
        def session_create(self, *, deposit, base_url):
            session = super().session_create(deposit=deposit, base_url=base_url)
            deliver(event_payload(deposit, id=session.session_id))
            return session

    deposit = deposit_start(user=employer, amount_cents=1_000, provider=OvertakenProvider())
    assert deposit.status == DepositStatus.PAID
    assert deposit.session_id == f"cs_fake_{deposit.pk}"
    assert deposit.checkout_url == f"https://pay.example/{deposit.pk}"
    assert balances_of(employer).available_cents == 1_000


# --- Webhooks -------------------------------------------------------------------------------


def test_an_invalid_signature_is_refused_and_nothing_is_stored(employer):
    deposit = open_deposit(employer)
    payload = event_payload(deposit)
    forged = checkout.signature_header(payload, secret="whsec_somebody_else")
    with pytest.raises(WebhookInvalid):
        webhook_receive(payload=payload, signature=forged, provider="sandbox")
    with pytest.raises(WebhookInvalid):
        webhook_receive(payload=payload, signature="", provider="sandbox")
    tampered = payload.replace(b'"amount_total": 2500', b'"amount_total": 9999')
    with pytest.raises(WebhookInvalid):
        webhook_receive(
            payload=tampered, signature=checkout.signature_header(payload), provider="sandbox"
        )
    assert not WebhookEvent.objects.exists()
    assert balances_of(employer).available_cents == 0


def test_an_old_signature_is_refused(employer):
    payload = event_payload(open_deposit(employer))
    stale = checkout.signature_header(payload, timestamp=1_600_000_000)
    with pytest.raises(WebhookInvalid):
        webhook_receive(payload=payload, signature=stale, provider="sandbox")
    assert not WebhookEvent.objects.exists()


def test_the_same_event_twice_credits_once(employer):
    deposit = open_deposit(employer)
    payload = event_payload(deposit, event_id="evt_twice")
    first, acted = deliver(payload)
    again, acted_again = deliver(payload)
    assert acted and not acted_again and again.pk == first.pk
    assert WebhookEvent.objects.count() == 1
    assert balances_of(employer).available_cents == 2_500
    assert deposit_movements(deposit) == 1


def test_completed_unpaid_then_async_succeeded_credits_once(employer):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit, payment_status="unpaid"))
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.OPEN
    assert balances_of(employer).available_cents == 0
    deliver(event_payload(deposit, "checkout.session.async_payment_succeeded"))
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.PAID
    assert balances_of(employer).available_cents == 2_500


def test_async_succeeded_before_completed_unpaid_credits_once(employer):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit, "checkout.session.async_payment_succeeded"))
    deliver(event_payload(deposit, payment_status="unpaid"))
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.PAID
    assert balances_of(employer).available_cents == 2_500
    assert deposit_movements(deposit) == 1


def test_completed_paid_after_async_succeeded_credits_once(employer):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit, "checkout.session.async_payment_succeeded"))
    deliver(event_payload(deposit))
    assert WebhookEvent.objects.count() == 2
    assert balances_of(employer).available_cents == 2_500
    assert deposit_movements(deposit) == 1
    assert ledger_violations() == []


def test_async_payment_failed_marks_the_deposit_failed(employer):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit, payment_status="unpaid"))
    deliver(
        event_payload(deposit, "checkout.session.async_payment_failed", payment_status="unpaid")
    )
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.FAILED
    assert deposit.failure_reason == "The payment did not go through."
    assert balances_of(employer).available_cents == 0


def test_an_expired_session_expires_the_deposit(employer):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit, "checkout.session.expired", payment_status="unpaid"))
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.EXPIRED


def test_a_late_failure_or_expiry_does_not_undo_a_paid_deposit(employer):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit))
    deliver(
        event_payload(deposit, "checkout.session.async_payment_failed", payment_status="unpaid")
    )
    deliver(event_payload(deposit, "checkout.session.expired", payment_status="unpaid"))
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.PAID
    assert balances_of(employer).available_cents == 2_500


def test_a_payment_for_an_expired_deposit_is_not_credited(employer, caplog):
    deposit = open_deposit(employer, status=DepositStatus.EXPIRED)
    deliver(event_payload(deposit))
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.EXPIRED
    assert balances_of(employer).available_cents == 0
    assert "settle it by hand" in caplog.text


@pytest.mark.parametrize(
    "mismatch", [{"amount_total": 2_499}, {"amount_total": 250_000}, {"currency": "eur"}]
)
def test_an_amount_or_currency_mismatch_is_not_credited(employer, caplog, mismatch):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit, **mismatch))
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.OPEN
    assert balances_of(employer).available_cents == 0
    assert not Movement.objects.exists()
    assert "not credited" in caplog.text
    assert WebhookEvent.objects.get().processed_at is not None  # not retried forever


def test_an_event_from_another_provider_is_not_credited(employer):
    deposit = open_deposit(employer, provider="sandbox")
    deliver(event_payload(deposit), provider="stripe")
    assert balances_of(employer).available_cents == 0


def test_an_event_naming_another_session_is_not_credited(employer):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit, id="cs_test_someone_elses"))
    assert balances_of(employer).available_cents == 0


def test_the_deposit_is_found_by_client_reference_without_metadata(employer):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit, metadata={}))
    assert balances_of(employer).available_cents == 2_500


def test_an_event_for_an_unknown_deposit_is_stored_and_ignored(employer):
    deposit = open_deposit(employer)
    payload = event_payload(deposit, metadata={"deposit_id": "999999"}, client_reference_id=None)
    payload = payload.replace(deposit.session_id.encode(), b"cs_test_unknown")
    _, acted = deliver(payload)
    assert acted and WebhookEvent.objects.get().processed_at is not None
    assert balances_of(employer).available_cents == 0


def test_other_event_types_are_stored_and_ignored(employer):
    deposit = open_deposit(employer)
    deliver(event_payload(deposit, "payment_intent.succeeded"))
    assert WebhookEvent.objects.get().type == "payment_intent.succeeded"
    assert balances_of(employer).available_cents == 0


def test_fulfil_called_again_moves_nothing(employer):
    deposit = open_deposit(employer)
    _, credited = deposit_fulfil(deposit_id=deposit.pk)
    again, credited_again = deposit_fulfil(deposit_id=deposit.pk)
    assert credited and not credited_again and again.status == DepositStatus.PAID
    assert balances_of(employer).available_cents == 2_500
    assert Movement.objects.get().actor == employer


# --- No network inside a transaction --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_provider_is_never_called_inside_a_transaction(employer):
    provider = RecordingProvider()
    deposit = deposit_start(user=employer, amount_cents=1_000, provider=provider)
    assert provider.calls == [(deposit.pk, False)]
    failing = RecordingProvider(fail=True)
    with refused("payment_provider_unavailable"):
        deposit_start(user=employer, amount_cents=1_000, provider=failing)
    assert [in_transaction for _, in_transaction in failing.calls] == [False]
