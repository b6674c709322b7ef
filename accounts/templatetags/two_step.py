"""``{% two_step_of user as two_step %}``: a user's two-step sign-in (on or off, required,
recovery codes left) for the section that the profile and allauth's two-step page share
(accounts/includes/two_step.html); allauth renders that page with a view of its own."""

from __future__ import annotations

from django import template

from accounts import selectors

register = template.Library()


@register.simple_tag
def two_step_of(user) -> selectors.TwoStep:
    return selectors.two_step_of(user)
