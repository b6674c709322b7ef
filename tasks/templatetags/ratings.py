"""``{% rated_title rating request.user as title %}``: the rated campaign's title as the reader
may see it (``tasks.rating_selectors.campaign_title_for``: a private campaign's is not for
everybody)."""

from __future__ import annotations

from django import template

from tasks.rating_selectors import campaign_title_for

register = template.Library()


@register.simple_tag
def rated_title(rating, user) -> str:
    return campaign_title_for(rating, user)
