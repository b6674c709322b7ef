"""``manage.py check --deploy``: refuse a payment configuration that would mint money.

The production settings already refuse to import such a configuration; this check applies the
same rule (:mod:`payments.configuration`) to whatever settings are loaded, so a deployment
whose settings were assembled some other way is caught before it takes traffic.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error

from payments.configuration import payment_configuration_problems


def payments_configuration_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """One error per problem in the loaded payment settings (none: real money, or a demo)."""
    problems = payment_configuration_problems(
        provider=settings.PAYMENTS_PROVIDER,
        stripe_secret_key=settings.STRIPE_SECRET_KEY,
        stripe_webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        demo_mode=settings.KAAJ_DEMO_MODE,
    )
    return [Error(message, id=check_id) for check_id, message in problems]
