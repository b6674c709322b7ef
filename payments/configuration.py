"""Which payment configuration may face real users: the one rule, used by the production
settings at import (ImproperlyConfigured) and by ``manage.py check --deploy``
(``payments/checks.py``), so a deployment assembled some other way is caught too.

Real money needs all of ``PAYMENTS_PROVIDER=stripe``, a live secret key (``sk_live_…`` or a
restricted ``rk_live_…``) and the webhook's signing secret. Everything else is pretend money:
the sandbox makes it up on a local page, and Stripe's test mode takes test cards. Pretend
deposits next to real withdrawals (bKash, PayPal, Skrill, paid by moderators by hand) would mint
money, so pretend money is allowed only with ``KAAJ_DEMO_MODE=true``, which shows a banner on
every page and turns withdrawals off. The other way round, a demo never holds a live key: demo
mode with a live key is refused rather than guessed at (a deployment meant to be live that
forgot to switch demo mode off, or a demo that would charge real cards).

Settings import this module: it reads no Django settings and imports no models or apps.
"""

from __future__ import annotations

STRIPE = "stripe"
SANDBOX = "sandbox"
PROVIDERS = (STRIPE, SANDBOX)
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")

REAL_PROVIDER = (
    "set PAYMENTS_PROVIDER=stripe with STRIPE_SECRET_KEY (a live key) and STRIPE_WEBHOOK_SECRET, "
    "or KAAJ_DEMO_MODE=true for a demo without real money (see the README)"
)


def is_live_key(key: str) -> bool:
    """Whether ``key`` is a Stripe live-mode secret or restricted key."""
    return key.startswith(LIVE_KEY_PREFIXES)


def payment_configuration_problems(
    *, provider: str, stripe_secret_key: str, stripe_webhook_secret: str, demo_mode: bool
) -> list[tuple[str, str]]:
    """What stops this payment configuration from running in production, most basic first.

    Each problem is ``(check id, one-line message saying what to set)``; an empty list means
    the configuration either moves real money safely or is an explicit demo.
    """
    if provider not in PROVIDERS:
        return [("payments.E001", f"PAYMENTS_PROVIDER is {provider!r}: {REAL_PROVIDER}.")]
    if demo_mode and is_live_key(stripe_secret_key):
        return [
            (
                "payments.E002",
                "KAAJ_DEMO_MODE=true with a live STRIPE_SECRET_KEY: a demo never touches real "
                "money. Set KAAJ_DEMO_MODE=false to go live, or remove the live key.",
            )
        ]
    problems = []
    if provider == SANDBOX and not demo_mode:
        problems.append(("payments.E003", f"The sandbox provider makes money up: {REAL_PROVIDER}."))
    if provider == STRIPE:
        missing = [
            name
            for name, value in (
                ("STRIPE_SECRET_KEY", stripe_secret_key),
                ("STRIPE_WEBHOOK_SECRET", stripe_webhook_secret),
            )
            if not value
        ]
        if missing:
            problems.append(
                ("payments.E004", f"PAYMENTS_PROVIDER is stripe: set {' and '.join(missing)}.")
            )
        elif not demo_mode and not is_live_key(stripe_secret_key):
            problems.append(
                (
                    "payments.E005",
                    "STRIPE_SECRET_KEY is not a live key (sk_live_ or rk_live_): Stripe's test "
                    "mode takes test cards, so set a live key, or KAAJ_DEMO_MODE=true for a demo.",
                )
            )
    return problems
