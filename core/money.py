"""Money is an integer number of cents. This module is the one place that formats, parses
and computes fees; nothing else does arithmetic on money other than adding cents."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.formats import number_format

# Any sane number of digits: money_bound_error, not the pattern, says how much is too much.
_AMOUNT = re.compile(r"^\s*(\d{1,30})(?:[.,](\d{1,2}))?\s*$")


def fee_basis_points() -> int:
    """PLATFORM_FEE_PERCENT as basis points (10 → 1000, 7.5 → 750)."""
    try:
        percent = Decimal(str(settings.PLATFORM_FEE_PERCENT))
    except InvalidOperation as error:
        raise ValueError("PLATFORM_FEE_PERCENT must be a number") from error
    points = percent * 100
    if points != points.to_integral_value() or not 0 <= points <= 10000:
        raise ValueError("PLATFORM_FEE_PERCENT must be 0 to 100 with at most two decimals")
    return int(points)


def fee_for(reward_cents: int, basis_points: int | None = None) -> int:
    """The platform's fee on top of a reward, rounded up to the cent."""
    if reward_cents < 0:
        raise ValueError("a reward cannot be negative")
    points = fee_basis_points() if basis_points is None else basis_points
    return -(-reward_cents * points // 10000)


def parse_amount(text: str) -> int:
    """'12.5' or '12,50' → 1250 cents. Raises ValueError on anything else."""
    match = _AMOUNT.match(text or "")
    if not match:
        raise ValueError("not an amount")
    whole, fraction = match.groups()
    return int(whole) * 100 + int((fraction or "0").ljust(2, "0"))


def amount_text(cents: int) -> str:
    """1250 → '12.50': an amount as a form takes it back (``parse_amount``'s inverse)."""
    return f"{cents // 100}.{cents % 100:02d}"


def money_bound_error(
    cents: int, *, minimum: int = 0, maximum: int | None = None
) -> tuple[str, int] | None:
    """Whether ``cents`` is outside ``minimum`` .. the lower of ``maximum`` and MONEY_MAX_CENTS:
    ``("max_value", bound)`` or ``("min_value", bound)``, else None. Every money field of a
    form or serializer asks this (core/fields.py)."""
    top = settings.MONEY_MAX_CENTS if maximum is None else min(maximum, settings.MONEY_MAX_CENTS)
    if cents > top:
        return "max_value", top
    if cents < minimum:
        return "min_value", minimum
    return None


def format_cents(cents: int, *, currency: str | None = None) -> str:
    """1250 → '$12.50' (USD) or '12.50 EUR'; localised digits and separators."""
    currency = (currency or settings.CURRENCY).upper()
    sign = "-" if cents < 0 else ""
    amount = number_format(
        Decimal(abs(cents)) / 100, decimal_pos=2, use_l10n=True, force_grouping=True
    )
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "BDT": "৳"}.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"
