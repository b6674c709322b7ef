"""Stripe payouts through the real stripe-python client, against a fake Stripe server.

``FakeStripe`` behaves like Stripe's ``POST /v1/transfers`` as far as payouts care: it knows
the connected accounts, makes transfers, and keeps each idempotency key's first answer (the
same key again gets the same transfer back, never a second one; other parameters under the
same key are an ``idempotency_error``). ``FakeHTTPClient`` is a ``stripe.HTTPClient`` that
delivers requests to it and injects network faults, so stripe-python's own retries, error
mapping and idempotency headers all run.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
import stripe
import time_machine
from django.conf import settings
from django.utils import timezone

from payments.models import AccountKind, Movement, MovementKind, PayoutStatus
from payments.selectors import account_balance, balances_of, ledger_violations
from payments.services.ledger import system_account
from payments.services.payouts import (
    payout_method_add,
    payout_request,
    payout_send,
    payouts_retry_stuck,
)
from payments.transfers import (
    STRIPE_MAX_NETWORK_RETRIES,
    OutcomeStatus,
    SandboxTransfers,
    StripeTransfers,
    payout_provider,
)

from .helpers import give

pytestmark = pytest.mark.django_db

CONNECTED = "acct_1KaajWorker00001"


class FakeStripe:
    """Stripe's transfer endpoint with its idempotency layer, in memory."""

    def __init__(self, accounts=(CONNECTED,)) -> None:
        self.accounts = set(accounts)
        self.transfers: dict[str, dict] = {}
        self.saved: dict[str, tuple[dict, int, dict]] = {}
        self.keys_seen: list[str] = []
        self._lock = threading.Lock()

    def handle(self, method: str, url: str, headers, body: str) -> tuple[int, dict]:
        assert method == "post" and url == "https://api.stripe.com/v1/transfers"
        assert headers["Authorization"] == "Bearer sk_test_kaaj"
        key, params = headers.get("Idempotency-Key"), dict(parse_qsl(body))
        with self._lock:
            self.keys_seen.append(key)
            if key in self.saved:
                first, status, answer = self.saved[key]
                if first != params:
                    return 400, _error(
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                    )
                return status, answer
            status, answer = self._create(params)
            if key:
                self.saved[key] = (params, status, answer)
            return status, answer

    def _create(self, params: dict) -> tuple[int, dict]:
        if params["destination"] not in self.accounts:
            return 400, _error(
                "invalid_request_error",
                f"No such destination: '{params['destination']}'",
                code="resource_missing",
                param="destination",
            )
        transfer = {
            "id": f"tr_fake{len(self.transfers) + 1:06d}",
            "object": "transfer",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "destination": params["destination"],
            "metadata": {"payout_id": params["metadata[payout_id]"]},
        }
        self.transfers[transfer["id"]] = transfer
        return 200, transfer


def _error(kind: str, message: str, **extra) -> dict:
    return {"error": {"type": kind, "message": message, **extra}}


class FakeHTTPClient(stripe.HTTPClient):
    """Delivers stripe-python's requests to a FakeStripe, with one fault per request from
    ``faults``: ``refused`` (never reaches Stripe), ``lost`` (Stripe did it; the answer is
    lost), ``timeout`` (Stripe did it; the client gave up waiting), ``500`` (Stripe failed
    before running the request, nothing saved), ``429`` (rate limited)."""

    name = "fake"

    def __init__(self, server: FakeStripe, faults=()) -> None:
        super().__init__()
        self.server, self.faults, self.requests = server, list(faults), 0
        self._lock = threading.Lock()

    def _sleep_time_seconds(self, num_retries: int) -> float:
        return 0  # stripe-python's backoff, without the wait

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        with self._lock:
            self.requests += 1
            fault = self.faults.pop(0) if self.faults else None
        if fault == "refused":
            raise stripe.APIConnectionError("Connection refused", should_retry=True)
        if fault == "500":
            return self._answer(500, _error("api_error", "An unknown error occurred."))
        if fault == "429":
            return self._answer(429, _error("invalid_request_error", "Too many requests."))
        status, body = self.server.handle(method, url, headers, post_data)
        if fault == "lost":
            raise stripe.APIConnectionError("Connection reset by peer", should_retry=True)
        if fault == "timeout":
            raise stripe.APIConnectionError("Request timed out", should_retry=True)
        return self._answer(status, body)

    @staticmethod
    def _answer(status: int, body: dict):
        return json.dumps(body), status, {"Request-Id": "req_fake"}

    def close(self) -> None:
        pass


def provider(server: FakeStripe, faults=()) -> StripeTransfers:
    return StripeTransfers(api_key="sk_test_kaaj", http_client=FakeHTTPClient(server, faults))


@pytest.fixture
def stripe_payout(worker):
    give(worker, 5_000)
    method = payout_method_add(user=worker, kind="stripe", destination=CONNECTED, label="")
    return payout_request(user=worker, method=method, amount_cents=1_500)


def settles(payout) -> int:
    return Movement.objects.filter(
        kind=MovementKind.PAYOUT_SETTLE, reference=f"payout:{payout.pk}"
    ).count()


def after_retry_delay():
    return time_machine.travel(
        timezone.now() + timedelta(seconds=settings.PAYOUT_RETRY_AFTER_SECONDS + 1), tick=True
    )


def test_a_stripe_payout_is_one_transfer_of_its_amount_with_its_own_key(stripe_payout, worker):
    server = FakeStripe()
    payout = payout_send(payout_id=stripe_payout.pk, provider=provider(server))
    assert payout.status == PayoutStatus.PAID
    [transfer] = server.transfers.values()
    assert payout.reference == transfer["id"]
    assert (transfer["amount"], transfer["currency"], transfer["destination"]) == (
        1_500,
        settings.CURRENCY.lower(),
        CONNECTED,
    )
    assert server.keys_seen == [f"kaaj-payout-{payout.pk}"]
    assert balances_of(worker).payout_cents == 0
    assert balances_of(worker).available_cents == 3_500
    assert account_balance(system_account(AccountKind.PAID_OUT, "stripe")) == 1_500
    assert settles(payout) == 1
    assert list(payout.events.values_list("from_status", "to_status")) == [
        ("", "requested"),
        ("requested", "processing"),
        ("processing", "paid"),
    ]
    assert ledger_violations() == []


def test_stripe_pays_once_when_its_answer_is_lost_and_the_library_retries(stripe_payout):
    server = FakeStripe()
    payout = payout_send(payout_id=stripe_payout.pk, provider=provider(server, ["lost"]))
    assert payout.status == PayoutStatus.PAID
    assert len(server.transfers) == 1 and len(server.keys_seen) == 2
    assert settles(payout) == 1


FAULTS_OUTLASTING_THE_LIBRARY_RETRIES = {
    "error_before_sending": ["refused"] * (STRIPE_MAX_NETWORK_RETRIES + 1),
    "success_with_the_response_lost": ["lost"] + ["refused"] * STRIPE_MAX_NETWORK_RETRIES,
    "server_error_500": ["500"] * (STRIPE_MAX_NETWORK_RETRIES + 1),
    "rate_limited_429": ["429"],
    "timeout": ["timeout"] * (STRIPE_MAX_NETWORK_RETRIES + 1),
}


@pytest.mark.parametrize(
    "faults",
    FAULTS_OUTLASTING_THE_LIBRARY_RETRIES.values(),
    ids=list(FAULTS_OUTLASTING_THE_LIBRARY_RETRIES),
)
def test_an_unclear_answer_stays_processing_and_the_sweeper_pays_exactly_once(
    stripe_payout, worker, faults
):
    server = FakeStripe()
    client = FakeHTTPClient(server, faults)
    stripe_provider = StripeTransfers(api_key="sk_test_kaaj", http_client=client)

    payout = payout_send(payout_id=stripe_payout.pk, provider=stripe_provider)
    assert payout.status == PayoutStatus.PROCESSING
    assert client.faults == [], "every fault was used on the first send"
    assert settles(payout) == 0
    assert balances_of(worker).payout_cents == 1_500
    # Too early: the sweeper leaves a fresh attempt alone.
    assert payouts_retry_stuck(provider=stripe_provider) == 0

    with after_retry_delay():
        assert payouts_retry_stuck(provider=stripe_provider) == 1
        assert payouts_retry_stuck(provider=stripe_provider) == 0

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert payout.attempts == 2
    [transfer] = server.transfers.values()
    assert payout.reference == transfer["id"]
    assert set(server.keys_seen) == {payout.idempotency_key}
    assert settles(payout) == 1
    assert balances_of(worker).payout_cents == 0
    assert balances_of(worker).available_cents == 3_500
    assert ledger_violations() == []


def test_a_definitive_refusal_fails_the_payout_and_returns_the_money(worker):
    give(worker, 2_000)
    method = payout_method_add(
        user=worker, kind="stripe", destination="acct_1ClosedAccount00", label=""
    )
    requested = payout_request(user=worker, method=method, amount_cents=2_000)
    server = FakeStripe()
    payout = payout_send(payout_id=requested.pk, provider=provider(server))
    assert payout.status == PayoutStatus.FAILED
    assert "acct_1ClosedAccount00" in payout.failure_reason
    assert "back in your wallet" in payout.failure_reason
    assert server.transfers == {}
    assert balances_of(worker).available_cents == 2_000
    assert balances_of(worker).payout_cents == 0
    assert Movement.objects.filter(
        kind=MovementKind.PAYOUT_RETURN, idempotency_key=f"payout:{payout.pk}:return"
    ).exists()
    assert payout.events.last().to_status == PayoutStatus.FAILED
    assert ledger_violations() == []


@pytest.mark.parametrize(
    ("status", "kind"), [(401, "authentication_error"), (403, "permission_error")]
)
def test_a_bad_key_or_missing_permission_fails_without_paying(
    stripe_payout, worker, status, kind, monkeypatch
):
    server = FakeStripe()
    monkeypatch.setattr(server, "handle", lambda *args: (status, _error(kind, "No access.")))
    payout = payout_send(payout_id=stripe_payout.pk, provider=provider(server))
    assert payout.status == PayoutStatus.FAILED
    assert "try again later" in payout.failure_reason
    assert balances_of(worker).available_cents == 5_000
    assert balances_of(worker).payout_cents == 0


def test_an_idempotency_error_never_returns_the_money(stripe_payout, worker, monkeypatch):
    server = FakeStripe()
    monkeypatch.setattr(
        server, "handle", lambda *args: (400, _error("idempotency_error", "Other parameters."))
    )
    payout = payout_send(payout_id=stripe_payout.pk, provider=provider(server))
    assert payout.status == PayoutStatus.PROCESSING
    assert balances_of(worker).payout_cents == 1_500


def test_a_manual_payout_never_goes_to_stripe(worker):
    give(worker, 1_000)
    method = payout_method_add(user=worker, kind="paypal", destination="w@example.com", label="")
    payout = payout_request(user=worker, method=method, amount_cents=500)
    server = FakeStripe()
    assert payout_send(payout_id=payout.pk, provider=provider(server)) is None
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REQUESTED
    assert server.keys_seen == []


def test_settings_choose_the_provider(settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    assert isinstance(payout_provider(), SandboxTransfers)
    settings.PAYMENTS_PROVIDER, settings.STRIPE_SECRET_KEY = "stripe", "sk_test_kaaj"
    assert isinstance(payout_provider(), StripeTransfers)


def test_the_sandbox_pays_at_once_without_a_network(stripe_payout):
    outcome = SandboxTransfers().send(stripe_payout)
    assert (outcome.status, outcome.reference) == (
        OutcomeStatus.PAID,
        f"sandbox_tr_{stripe_payout.pk}",
    )
