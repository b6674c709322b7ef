"""Payout providers: who actually moves a payout's money to the worker.

Only provider payouts (kind ``stripe``) come here; manual methods (PayPal, Skrill, bKash) are
paid by a moderator by hand. ``settings.PAYMENTS_PROVIDER`` chooses the provider:

- ``stripe``: a Stripe Connect Transfer from Kaaj's balance to the worker's connected account,
  through stripe-python's ``StripeClient``. Every attempt sends the payout's own idempotency
  key, so a retry after a timeout or a lost response gets the first transfer back instead of
  making a second one.
- ``sandbox``: no network; pays at once. For the embedded default, demos and tests.

A provider answers with an :class:`Outcome`:

- ``paid`` with the provider's reference (the transfer id);
- ``failed``: the provider refused for good (invalid account, no permission, bad key, …) and
  no money left Kaaj; ``reason`` is what the worker is told;
- ``unknown``: no clear answer (connection error, timeout, 5xx, 429 after the library's own
  retries). The money may or may not have moved: the payout stays ``processing`` and the
  sweeper asks again later with the same key.

Callers never hold a database transaction open around :meth:`PayoutProvider.send`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    import stripe

    from payments.models import Payout

logger = logging.getLogger(__name__)

# stripe-python retries connection errors, 409s and 5xx itself, with backoff; what is still
# unclear after that is left to the sweeper (payouts_retry_stuck).
STRIPE_MAX_NETWORK_RETRIES = 2
# Seconds; well under the Celery job's soft time limit even with the retries above.
STRIPE_TIMEOUT_SECONDS = 15


class OutcomeStatus(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    status: OutcomeStatus
    reference: str = ""
    reason: str = ""

    @classmethod
    def paid(cls, reference: str) -> Outcome:
        return cls(OutcomeStatus.PAID, reference=reference)

    @classmethod
    def failed(cls, reason: str) -> Outcome:
        return cls(OutcomeStatus.FAILED, reason=reason)

    @classmethod
    def unknown(cls, reason: str) -> Outcome:
        return cls(OutcomeStatus.UNKNOWN, reason=reason)


class PayoutProvider(Protocol):
    name: str

    def send(self, payout: Payout) -> Outcome:
        """Pay ``payout`` (amount, destination) once, whatever the number of calls."""
        ...


class SandboxTransfers:
    """Pays at once, without any network: the embedded default and demos."""

    name = "sandbox"

    def send(self, payout: Payout) -> Outcome:
        return Outcome.paid(f"sandbox_tr_{payout.pk}")


class StripeTransfers:
    """Stripe Connect Transfers to the worker's connected account (``acct_…``).

    ``http_client`` is any ``stripe.HTTPClient``; tests inject a fake Stripe server there, so
    the real stripe-python request, retry and error-mapping code runs.
    """

    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = STRIPE_MAX_NETWORK_RETRIES,
    ) -> None:
        import stripe  # here, not at the top: a web worker that never pays out needs none of it

        if not api_key:
            raise ValueError("STRIPE_SECRET_KEY is not set")
        if http_client is None:
            http_client = stripe.new_default_http_client(timeout=STRIPE_TIMEOUT_SECONDS)
        self.client = stripe.StripeClient(
            api_key, http_client=http_client, max_network_retries=max_network_retries
        )

    def send(self, payout: Payout) -> Outcome:
        import stripe

        try:
            transfer = self.client.v1.transfers.create(
                {
                    "amount": payout.amount_cents,
                    "currency": settings.CURRENCY.lower(),
                    "destination": payout.destination,
                    "description": f"Kaaj payout {payout.pk}",
                    "metadata": {"payout_id": str(payout.pk)},
                },
                options={"idempotency_key": payout.idempotency_key},
            )
        except stripe.IdempotencyError as error:
            # The key was used with other parameters: a bug or a changed payout. A transfer
            # may exist under it, so never give the money back on this: a human looks.
            logger.error("payout %s: Stripe idempotency error: %s", payout.pk, error)
            return Outcome.unknown(str(error))
        except (
            stripe.CardError,
            stripe.InvalidRequestError,
            stripe.PermissionError,
            stripe.AuthenticationError,
        ) as error:
            logger.warning("payout %s: Stripe refused the transfer: %s", payout.pk, error)
            return Outcome.failed(_refusal_reason(error))
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
            logger.warning("payout %s: no clear answer from Stripe: %s", payout.pk, error)
            return Outcome.unknown(str(error))
        return Outcome.paid(transfer.id)


def _refusal_reason(error: stripe.StripeError) -> str:
    """What the worker is told when Stripe refuses for good."""
    import stripe

    if isinstance(error, stripe.PermissionError | stripe.AuthenticationError):
        return _(
            "Kaaj could not pay you through Stripe just now. The money is back in your "
            "wallet; please try again later."
        )
    detail = error.user_message or _("no reason given")
    if isinstance(error, stripe.InvalidRequestError) and error.param == "destination":
        return _(
            "Stripe could not pay your connected account (%(detail)s). Check your payout "
            "method; the money is back in your wallet."
        ) % {"detail": detail}
    return _("Stripe refused the payment (%(detail)s). The money is back in your wallet.") % {
        "detail": detail
    }


def payout_provider() -> PayoutProvider:
    """The provider ``settings.PAYMENTS_PROVIDER`` names."""
    if settings.PAYMENTS_PROVIDER == "stripe":
        return StripeTransfers(api_key=settings.STRIPE_SECRET_KEY)
    if settings.PAYMENTS_PROVIDER == "sandbox":
        return SandboxTransfers()
    raise ValueError(f"unknown PAYMENTS_PROVIDER {settings.PAYMENTS_PROVIDER!r}")
