"""A worker's reputation, for templates of apps that sit below workers (the profile page)."""

from django import template

from accounts.models import User
from workers import levels
from workers.selectors import success_rate

register = template.Library()


@register.simple_tag
def success_rate_of(user: User) -> int | None:
    """``{% success_rate_of user as rate %}``: percent, or None before any review."""
    return success_rate(user)


@register.filter
def level_name(level: int) -> str:
    """``{{ user.level|level_name }}``: "New", "Level 2"."""
    return levels.level_name(level)
