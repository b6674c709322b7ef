"""The Stripe provider, through stripe-python with a fake HTTP client: never the network."""

import json
from urllib.parse import parse_qs

import pytest
import stripe

from payments import checkout
from payments.checkout import StripeCheckout
from payments.models import Deposit, DepositStatus
from payments.selectors import balances_of
from payments.services import deposit_start
from tests.refusals import refused

from .test_deposits import deliver, event_payload

pytestmark = pytest.mark.django_db


class FakeStripeHttp(stripe.HTTPClient):
    """Answers stripe-python's requests from a script and records them."""

    name = "fake"

    def __init__(self, *answers) -> None:
        super().__init__()
        self.answers = list(answers)
        self.requests: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append(
            {
                "method": method,
                "url": url,
                "headers": dict(headers or {}),
                "form": parse_qs(post_data or ""),
            }
        )
        answer = self.answers.pop(0) if self.answers else created
        if isinstance(answer, Exception):
            raise answer
        status, body = answer(self.requests[-1]["form"]) if callable(answer) else answer
        return json.dumps(body), status, {"Request-Id": "req_fake"}

    def close(self) -> None:
        pass


def created(form: dict) -> tuple[int, dict]:
    """Stripe's answer to a session create: the session, naming the deposit it is for."""
    return 200, {
        "id": "cs_test_a1b2c3",
        "object": "checkout.session",
        "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
        "client_reference_id": form["client_reference_id"][0],
        "payment_status": "unpaid",
        "status": "open",
    }


def stripe_provider(http, retries=0) -> StripeCheckout:
    return StripeCheckout(api_key="sk_test_fake", http_client=http, max_network_retries=retries)


def test_stripe_session_is_created_with_the_expected_params_and_key(employer, settings):
    settings.CURRENCY = "USD"
    http = FakeStripeHttp()
    deposit = deposit_start(
        user=employer,
        amount_cents=1_999,
        base_url="https://kaaj.example/",
        provider=stripe_provider(http),
    )
    assert len(http.requests) == 1
    sent = http.requests[0]
    assert sent["method"] == "post"
    assert sent["url"] == "https://api.stripe.com/v1/checkout/sessions"
    assert sent["headers"]["Idempotency-Key"] == f"kaaj-deposit-{deposit.pk}"
    assert sent["headers"]["Authorization"] == "Bearer sk_test_fake"
    form = {key: values[0] for key, values in sent["form"].items()}
    assert form["mode"] == "payment"
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["line_items[0][price_data][unit_amount]"] == "1999"
    assert form["line_items[0][price_data][product_data][name]"]
    assert form["client_reference_id"] == str(deposit.pk)
    assert form["metadata[deposit_id]"] == str(deposit.pk)
    assert form["success_url"] == f"https://kaaj.example/money/deposits/{deposit.pk}/success/"
    assert form["cancel_url"] == f"https://kaaj.example/money/deposits/{deposit.pk}/cancel/"
    assert form["customer_email"] == employer.email

    assert deposit.status == DepositStatus.OPEN and deposit.provider == "stripe"
    assert deposit.session_id == "cs_test_a1b2c3"
    assert deposit.checkout_url == "https://checkout.stripe.com/c/pay/cs_test_a1b2c3"


def test_a_retried_request_reuses_the_same_idempotency_key(employer):
    http = FakeStripeHttp(
        (500, {"error": {"type": "api_error", "message": "try again"}}),
        stripe.APIConnectionError("response lost", should_retry=True),
        created,
    )
    http._sleep_time_seconds = lambda *_: 0  # stripe-python's back-off, without the wait
    deposit = deposit_start(
        user=employer,
        amount_cents=1_000,
        base_url="https://kaaj.example/",
        provider=stripe_provider(http, retries=2),
    )
    assert deposit.status == DepositStatus.OPEN and deposit.session_id == "cs_test_a1b2c3"
    keys = [request["headers"]["Idempotency-Key"] for request in http.requests]
    assert keys == [f"kaaj-deposit-{deposit.pk}"] * 3


@pytest.mark.parametrize(
    "answer",
    [
        (500, {"error": {"type": "api_error", "message": "Stripe is down"}}),
        (429, {"error": {"type": "rate_limit_error", "message": "Too many requests"}}),
        (401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}),
        stripe.APIConnectionError("timed out", should_retry=True),
    ],
    ids=["500", "429", "401", "timeout"],
)
def test_a_stripe_error_fails_the_deposit_cleanly(employer, answer):
    http = FakeStripeHttp(answer)
    with refused("payment_provider_unavailable"):
        deposit_start(
            user=employer,
            amount_cents=1_000,
            base_url="https://kaaj.example/",
            provider=stripe_provider(http),
        )
    deposit = Deposit.objects.get()
    assert deposit.status == DepositStatus.FAILED and deposit.session_id is None
    assert len(http.requests) == 1


def test_a_stripe_deposit_is_credited_by_its_verified_webhook(employer):
    http = FakeStripeHttp()
    deposit = deposit_start(
        user=employer,
        amount_cents=3_000,
        base_url="https://kaaj.example/",
        provider=stripe_provider(http),
    )
    deliver(event_payload(deposit), provider="stripe")
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.PAID
    assert balances_of(employer).available_cents == 3_000


def test_the_configured_provider_follows_the_setting(settings):
    settings.PAYMENTS_PROVIDER, settings.STRIPE_SECRET_KEY = "stripe", "sk_test_x"
    assert isinstance(checkout.checkout_provider(), StripeCheckout)
    settings.PAYMENTS_PROVIDER = "sandbox"
    assert isinstance(checkout.checkout_provider(), checkout.SandboxCheckout)


def test_the_webhook_secret_is_the_configured_one_or_derived_from_secret_key(settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    derived = checkout.webhook_secret()
    assert derived.startswith("whsec_sandbox_") and settings.SECRET_KEY not in derived
    settings.SECRET_KEY = "another-deployment"
    assert checkout.webhook_secret() != derived
    settings.STRIPE_WEBHOOK_SECRET = "whsec_live_configured"
    assert checkout.webhook_secret() == "whsec_live_configured"


def test_the_signature_helper_matches_stripe_pythons_own():
    payload = b'{"id": "evt_1", "object": "event"}'
    ours = checkout.signature_header(payload, secret="whsec_x", timestamp=1_700_000_000)
    theirs = stripe.WebhookSignature.generate_signature_header(
        payload.decode(), "whsec_x", timestamp=1_700_000_000
    )
    assert ours == theirs
