"""Builders for the work loop's tests: a funded employer, a campaign in any status."""

from tasks.models import Category
from tasks.services import CampaignSpec, campaign_create, campaign_launch, campaign_moderate

from ..payments.helpers import give


def spec(**overrides) -> CampaignSpec:
    category = overrides.pop("category", None) or Category.objects.get(slug="sign-up")
    values = {
        "title": "Sign up to our newsletter",
        "category": category,
        "instructions": "Open https://example.com and sign up with your email address.",
        "proof_fields": [
            {"key": "username", "label": "Your username", "kind": "text", "required": True}
        ],
        "reward_cents": 50,
        "positions": 3,
    }
    values.update(overrides)
    return CampaignSpec(**values)


def active_campaign(employer, moderator, *, fund=10_000, **overrides):
    """A launched campaign a moderator approved, its escrow funded from a gift."""
    give(employer, fund, key=f"fund-{employer.pk}-{overrides.get('title', 'x')}")
    campaign = campaign_create(employer=employer, spec=spec(**overrides))
    campaign = campaign_launch(campaign=campaign, by=employer)
    return campaign_moderate(campaign=campaign, by=moderator, approve=True)
