"""Checkout providers: where an employer pays for a deposit.

A provider creates a checkout session for a :class:`~payments.models.Deposit` and gives back
the URL to send the employer to. It never touches the database and never credits anything:
the wallet is credited only by a signed webhook event, in ``services/deposits.py``.

- :class:`StripeCheckout` creates a Stripe Checkout Session with stripe-python's
  ``StripeClient``. The request's idempotency key comes from the deposit's id, so a retried
  call (stripe-python retries network errors and 5xx with the same key) makes one session.
  Tests inject a fake ``http_client``: no test ever reaches the network.
- :class:`SandboxCheckout` (the default without Stripe keys) makes up a session id and sends
  the employer to a local Kaaj page. Confirming there builds an event in Stripe's format,
  signs it like Stripe does (:func:`signature_header`) and hands it to the same webhook
  handler, so the real verification and fulfilment run in demos and tests.

Which one runs is ``settings.PAYMENTS_PROVIDER`` (:func:`checkout_provider`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from payments.configuration import PROVIDERS, SANDBOX, STRIPE
from payments.models import Deposit

if TYPE_CHECKING:
    import stripe


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str
    url: str


class CheckoutUnavailable(Exception):
    """The provider did not give us a session (down, refused, timed out). Nothing was paid."""


class CheckoutProvider(Protocol):
    name: str

    def session_create(self, *, deposit: Deposit, base_url: str) -> CheckoutSession:
        """A checkout session for the deposit. Raises :class:`CheckoutUnavailable`.

        ``base_url`` (``https://kaaj.example/``) makes the return URLs absolute; called
        outside any database transaction, because it may go over the network.
        """
        ...


def checkout_provider(name: str | None = None) -> CheckoutProvider:
    """The provider ``settings.PAYMENTS_PROVIDER`` names (or ``name``)."""
    name = name or settings.PAYMENTS_PROVIDER
    if name == STRIPE:
        if not settings.STRIPE_SECRET_KEY:
            raise ImproperlyConfigured("PAYMENTS_PROVIDER is stripe but STRIPE_SECRET_KEY is empty")
        return StripeCheckout(api_key=settings.STRIPE_SECRET_KEY)
    if name == SANDBOX:
        return SandboxCheckout()
    raise ImproperlyConfigured(f"PAYMENTS_PROVIDER must be one of {PROVIDERS}, not {name!r}")


def absolute_url(base_url: str, path: str) -> str:
    """``path`` under ``base_url``; the path alone when there is no base (sandbox, commands)."""
    return f"{base_url.rstrip('/')}{path}" if base_url else path


def return_urls(deposit: Deposit, base_url: str) -> tuple[str, str]:
    """Where the provider sends the employer back: after paying, and after giving up."""
    return (
        absolute_url(base_url, reverse("payments:deposit_success", args=[deposit.pk])),
        absolute_url(base_url, reverse("payments:deposit_cancel", args=[deposit.pk])),
    )


# --- Stripe -----------------------------------------------------------------------------


class StripeCheckout:
    """Stripe Checkout, through stripe-python's ``StripeClient``."""

    name = STRIPE

    def __init__(
        self,
        *,
        api_key: str,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = 2,
    ) -> None:
        import stripe  # here, not at the top: a web worker without Stripe needs none of it

        self.client = stripe.StripeClient(
            api_key, http_client=http_client, max_network_retries=max_network_retries
        )

    @staticmethod
    def idempotency_key(deposit: Deposit) -> str:
        """One deposit, one session: the same key on every attempt for this deposit."""
        return f"kaaj-deposit-{deposit.pk}"

    def session_params(self, *, deposit: Deposit, base_url: str) -> dict:
        if not base_url:
            raise ValueError("Stripe needs absolute return URLs: pass base_url")
        success_url, cancel_url = return_urls(deposit, base_url)
        reference = str(deposit.pk)
        return {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": deposit.currency.lower(),
                        "unit_amount": deposit.amount_cents,
                        "product_data": {"name": _("Money for your Kaaj wallet")},
                    },
                }
            ],
            "client_reference_id": reference,
            "metadata": {"deposit_id": reference},
            "payment_intent_data": {"metadata": {"deposit_id": reference}},
            "customer_email": deposit.user.email,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }

    def session_create(self, *, deposit: Deposit, base_url: str) -> CheckoutSession:
        import stripe

        params = self.session_params(deposit=deposit, base_url=base_url)
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": self.idempotency_key(deposit)},
            )
        except stripe.StripeError as error:
            raise CheckoutUnavailable(f"Stripe: {error.__class__.__name__}: {error}") from error
        if not session.id or not session.url:
            raise CheckoutUnavailable("Stripe answered without a session id or URL")
        return CheckoutSession(session_id=session.id, url=session.url)


# --- Sandbox ----------------------------------------------------------------------------


class SandboxCheckout:
    """No network: a made-up session id and a local checkout page."""

    name = SANDBOX

    def session_create(self, *, deposit: Deposit, base_url: str) -> CheckoutSession:
        return CheckoutSession(
            session_id=f"cs_sandbox_{secrets.token_hex(12)}",
            url=absolute_url(
                base_url, reverse("payments:deposit_sandbox_checkout", args=[deposit.pk])
            ),
        )


def sandbox_event(*, deposit: Deposit, event_type: str, payment_status: str = "paid") -> bytes:
    """A Stripe-format event about the deposit's checkout session, as Stripe would send it."""
    import stripe

    now = int(time.time())
    reference = str(deposit.pk)
    session = {
        "id": deposit.session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "expired" if event_type == "checkout.session.expired" else "complete",
        "payment_status": payment_status,
        "amount_total": deposit.amount_cents,
        "currency": deposit.currency.lower(),
        "client_reference_id": reference,
        "metadata": {"deposit_id": reference},
        "created": int(deposit.created_at.timestamp()),
        "livemode": False,
    }
    event = {
        "id": f"evt_sandbox_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": stripe.api_version,
        "created": now,
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": session},
    }
    return json.dumps(event).encode()


# --- Signatures -------------------------------------------------------------------------


def webhook_secret() -> str:
    """The secret webhook events are signed with.

    ``STRIPE_WEBHOOK_SECRET`` when set; otherwise a sandbox secret derived from
    ``SECRET_KEY``, so no secret is ever written in the repository and every deployment's
    sandbox secret differs.
    """
    if settings.STRIPE_WEBHOOK_SECRET:
        return settings.STRIPE_WEBHOOK_SECRET
    digest = salted_hmac(
        "kaaj.payments.checkout", "sandbox webhook secret", algorithm="sha256"
    ).hexdigest()
    return f"whsec_sandbox_{digest}"


def signature_header(
    payload: bytes | str, *, secret: str | None = None, timestamp: int | None = None
) -> str:
    """A ``Stripe-Signature`` header: ``t=<ts>,v1=<HMAC-SHA256(secret, "<ts>.<payload>")>``."""
    if isinstance(payload, bytes):
        payload = payload.decode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    mac = hmac.new((secret or webhook_secret()).encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
