"""Moderators' queue of campaigns waiting for review."""

import pytest
from django.urls import reverse

from payments.selectors import balances_of, ledger_violations
from tasks import services
from tasks.models import CampaignStatus

from ..payments.helpers import give
from ..workers.test_work_pages import errors_of
from .helpers import spec

pytestmark = pytest.mark.django_db

QUEUE = "/moderation/campaigns/"


def in_review(employer, **overrides):
    give(employer, 10_000, key=f"review-{overrides.get('title', 'x')}")
    campaign = services.campaign_create(employer=employer, spec=spec(**overrides))
    return services.campaign_launch(campaign=campaign, by=employer)


def test_the_queue_lists_campaigns_in_review_oldest_first_with_their_flags(
    client, employer, moderator
):
    older = in_review(employer, title="Older one")
    in_review(
        employer,
        title="Newer one",
        instructions="Use a VPN to open https://example.com and sign up.",
    )
    services.campaign_create(employer=employer, spec=spec(title="Still a draft"))
    client.force_login(moderator)
    html = client.get(QUEUE).content.decode()
    assert html.index("Older one") < html.index("Newer one")
    assert "Still a draft" not in html
    assert "mentions VPNs or several accounts per person" in html and 'class="flag"' in html
    assert "Use a VPN to open" in html and "$1.65" in html  # instructions and escrow
    assert reverse("moderation:campaign_moderate", args=[older.pk]) in html


def test_only_moderators_see_the_queue(client, employer, worker):
    in_review(employer)
    for user in (employer, worker):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 403
    client.logout()
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_approving_makes_the_campaign_active(client, employer, moderator):
    campaign = in_review(employer)
    client.force_login(moderator)
    url = reverse("moderation:campaign_moderate", args=[campaign.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"action": "approve"}, follow=True)
    assert "approved: workers can see it now" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE


def test_a_rejection_needs_a_reason_shown_next_to_the_field(client, employer, moderator):
    campaign = in_review(employer)
    client.force_login(moderator)
    url = reverse("moderation:campaign_moderate", args=[campaign.pk])
    response = client.post(url, {"action": "reject", "reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say why the campaign is rejected." in errors_of(html, f"id_reason_{campaign.pk}")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW


def test_rejecting_with_a_reason_refunds_the_escrow(client, employer, moderator):
    campaign = in_review(employer)
    client.force_login(moderator)
    client.post(
        reverse("moderation:campaign_moderate", args=[campaign.pk]),
        {"action": "reject", "reason": "Misleading instructions"},
    )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.REJECTED
    assert campaign.decision_reason == "Misleading instructions"
    assert balances_of(employer).escrow_cents == 0
    assert balances_of(employer).available_cents == 10_000
    assert ledger_violations() == []
    client.force_login(employer)
    html = client.get(reverse("tasks:campaign_manage", args=[campaign.pk])).content.decode()
    assert "Misleading instructions" in html


def test_nobody_else_can_decide(client, employer, worker, moderator):
    campaign = in_review(employer)
    url = reverse("moderation:campaign_moderate", args=[campaign.pk])
    for user in (employer, worker):
        client.force_login(user)
        assert client.post(url, {"action": "approve"}).status_code == 403
    client.logout()
    assert client.post(url, {"action": "approve"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW


def test_moderators_see_the_campaigns_to_review_link(client, moderator, worker):
    client.force_login(moderator)
    assert "/moderation/" in client.get("/").content.decode()  # the console links the queue
    assert QUEUE in client.get("/moderation/").content.decode()
    client.force_login(worker)
    html = client.get("/").content.decode()
    assert QUEUE not in html and "/work/" in html
