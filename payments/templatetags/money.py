from django import template

from core.money import format_cents

register = template.Library()


@register.filter
def cents(value: int | None) -> str:
    """``{{ amount_cents|cents }}`` → $12.50."""
    return format_cents(int(value or 0))


@register.filter
def signed_cents(value: int) -> str:
    """``{{ change|signed_cents }}`` → +$1.00 or -$1.00."""
    return ("+" if value > 0 else "") + format_cents(int(value))
