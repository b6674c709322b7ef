"""``{% campaign_groups campaign as groups %}``: the groups of workers a private campaign is
open to, by name (no query for a campaign open to everyone)."""

from __future__ import annotations

from django import template

from tasks.selectors import groups_named

register = template.Library()


@register.simple_tag
def campaign_groups(campaign) -> list:
    return groups_named(campaign.groups) if campaign.groups else []
