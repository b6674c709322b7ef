"""``{% held_qualifications user %}``: a worker's level and the tests they passed, for their
profile page (a tag, so that accounts' page needs nothing from the apps above it)."""

from __future__ import annotations

from django import template

from tasks.models import HeldQualification
from tasks.selectors import qualifications_named

register = template.Library()


@register.inclusion_tag("workers/includes/held_qualifications.html")
def held_qualifications(user) -> dict:
    held = (
        HeldQualification.objects.filter(worker=user)
        .select_related("qualification", "qualification__owner")
        .order_by("qualification__name", "qualification_id")
    )
    return {"held": list(held), "level": user.level}


@register.simple_tag
def required_tests(campaign) -> list:
    """``{% required_tests campaign as tests %}``: the tests a campaign requires, by name
    (no query when it requires none)."""
    return qualifications_named(campaign.qualifications) if campaign.qualifications else []
