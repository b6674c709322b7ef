"""The moderators' console pages: who sees them, suspending and reinstating, the audit log,
and what a suspended user meets on their own pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import ModerationAction, Suspension
from accounts.selectors import is_suspended
from accounts.services import audit_record
from moderation.services import user_suspend
from payments.models import Payout
from payments.services import payout_method_add, payout_request
from tasks.models import CampaignStatus
from tests.factories import UserFactory

from ..payments.helpers import give
from ..tasks.helpers import active_campaign
from .helpers import another_moderator

pytestmark = pytest.mark.django_db

PAGES = [
    ("moderation:home", []),
    ("moderation:flags", []),
    ("moderation:suspensions", []),
    ("moderation:user_lookup", []),
    ("moderation:audit", []),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_console_pages_are_for_moderators_only(client, worker, employer, moderator, name, args):
    url = reverse(name, args=args)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for user in (worker, employer):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(moderator)
    assert client.get(url).status_code == 200


def test_the_user_page_is_for_moderators_only(client, worker, outsider, moderator):
    url = reverse("moderation:user", args=[outsider.pk])
    assert client.get(url).status_code == 302
    client.force_login(worker)
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    assert client.get(url).status_code == 200


def test_the_navigation_has_one_moderation_link_and_admin_for_staff(client, worker, moderator):
    client.force_login(moderator)
    html = client.get(reverse("home")).content.decode()
    assert reverse("moderation:home") in html and reverse("admin:index") in html
    assert reverse("moderation:campaigns") not in html
    client.force_login(worker)
    html = client.get(reverse("home")).content.decode()
    assert reverse("moderation:home") not in html and reverse("admin:index") not in html


def test_the_hub_counts_and_links_every_queue(client, employer, worker, moderator):
    user_suspend(user=worker, by=moderator, reason="Fake proofs")
    client.force_login(moderator)
    response = client.get(reverse("moderation:home"))
    assert response.context["counts"]["suspensions"] == 1
    html = response.content.decode()
    for name in (
        "moderation:campaigns",
        "moderation:disputes",
        "moderation:payouts",
        "moderation:flags",
        "moderation:suspensions",
        "moderation:audit",
    ):
        assert reverse(name) in html


# --- suspending and reinstating -------------------------------------------------------------


def test_a_moderator_suspends_by_email_on_the_suspensions_page(client, worker, moderator):
    client.force_login(moderator)
    response = client.post(
        reverse("moderation:suspensions"), {"email": "WORKER@example.com", "reason": "Fakes"}
    )
    assert response.status_code == 302
    assert is_suspended(worker)
    html = client.get(reverse("moderation:suspensions")).content.decode()
    assert "worker@example.com" in html and "Fakes" in html
    assert reverse("moderation:user_reinstate", args=[worker.pk]) in html


@pytest.mark.parametrize(
    ("email", "reason", "field", "message"),
    [
        ("nobody@example.com", "Fakes", "email", "No account has this email address."),
        ("worker@example.com", "  ", "reason", "This field is required."),
        ("moderator@example.com", "Fakes", "email", "cannot act on your own account"),
        ("second.moderator@example.com", "Fakes", "email", "Moderators cannot be suspended"),
    ],
)
def test_suspension_errors_show_next_to_their_field(
    client, worker, moderator, email, reason, field, message
):
    another_moderator()
    client.force_login(moderator)
    response = client.post(reverse("moderation:suspensions"), {"email": email, "reason": reason})
    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert not Suspension.objects.exists()


def test_reinstating_from_the_suspensions_list(client, worker, moderator):
    user_suspend(user=worker, by=moderator, reason="Fakes")
    client.force_login(moderator)
    response = client.post(
        reverse("moderation:user_reinstate", args=[worker.pk]),
        {"reason": "Appeal accepted", "next": "suspensions"},
    )
    assert response.status_code == 302 and response.url == reverse("moderation:suspensions")
    assert not is_suspended(worker)
    assert "No account is suspended." in client.get(response.url).content.decode()


def test_suspend_and_reinstate_on_the_user_page(client, worker, moderator):
    client.force_login(moderator)
    page = reverse("moderation:user", args=[worker.pk])
    assert reverse("moderation:user_suspend", args=[worker.pk]) in client.get(page).content.decode()

    suspend = reverse("moderation:user_suspend", args=[worker.pk])
    response = client.post(suspend, {"reason": ""})
    assert response.status_code == 400
    assert 'id="id_suspend_reason_errors"' in response.content.decode()
    assert not is_suspended(worker)

    response = client.post(suspend, {"reason": "Fakes"})
    assert response.status_code == 302 and response.url == page and is_suspended(worker)
    html = client.get(page).content.decode()
    assert "Suspended" in html and "Account suspended" in html  # the audit row, in words
    assert "user.suspend" not in html
    assert reverse("moderation:user_reinstate", args=[worker.pk]) in html

    client.post(reverse("moderation:user_reinstate", args=[worker.pk]), {"reason": "Cleared"})
    assert not is_suspended(worker)


def test_sanctions_are_post_only_and_for_moderators(client, worker, employer, moderator):
    url = reverse("moderation:user_suspend", args=[worker.pk])
    client.force_login(moderator)
    assert client.get(url).status_code == 405
    client.force_login(employer)
    assert client.post(url, {"reason": "I do not like them"}).status_code == 403
    client.logout()
    assert client.post(url, {"reason": "Anonymous"}).status_code == 302
    assert not Suspension.objects.exists()


def test_a_moderators_page_offers_no_suspension(client, moderator):
    second = another_moderator()
    client.force_login(moderator)
    html = client.get(reverse("moderation:user", args=[second.pk])).content.decode()
    assert reverse("moderation:user_suspend", args=[second.pk]) not in html
    response = client.post(reverse("moderation:user_suspend", args=[second.pk]), {"reason": "x"})
    assert response.status_code == 400 and not Suspension.objects.exists()


def test_looking_up_a_user_by_email_opens_their_record(client, worker, moderator):
    client.force_login(moderator)
    response = client.get(reverse("moderation:user_lookup"), {"email": "Worker@Example.com"})
    assert response.status_code == 302
    assert response.url == reverse("moderation:user", args=[worker.pk])
    response = client.get(reverse("moderation:user_lookup"), {"email": "nobody@example.com"})
    assert response.status_code == 400 and "No account" in response.content.decode()


def test_the_user_page_shows_rates_and_campaigns(client, employer, moderator):
    campaign = active_campaign(employer, moderator, title="Like our page")
    client.force_login(moderator)
    response = client.get(reverse("moderation:user", args=[employer.pk]))
    assert response.context["success_rate"] is None
    assert response.context["approval_rate"] is None
    assert reverse("workers:campaign", args=[campaign.pk]) in response.content.decode()


# --- what a suspended user meets ------------------------------------------------------------


def test_a_suspended_worker_sees_a_notice_in_the_feed_and_cannot_claim(
    client, employer, worker, moderator
):
    campaign = active_campaign(employer, moderator, title="Follow our page")
    user_suspend(user=worker, by=moderator, reason="Fakes")
    client.force_login(worker)

    html = client.get(reverse("workers:feed")).content.decode()
    assert "Your account is suspended" in html and "Follow our page" not in html
    html = client.get(reverse("workers:campaign", args=[campaign.pk])).content.decode()
    assert "Your account is suspended: you cannot claim tasks." in html
    response = client.post(reverse("workers:campaign_claim", args=[campaign.pk]), follow=True)
    assert "Your account is suspended: you cannot claim tasks." in response.content.decode()
    assert not campaign.assignments.exists()


def test_a_worker_in_good_standing_sees_no_notice(client, worker):
    client.force_login(worker)
    assert "Your account is suspended" not in client.get(reverse("workers:feed")).content.decode()


def test_a_suspended_employer_cannot_resume_on_the_page(client, employer, moderator):
    campaign = active_campaign(employer, moderator)
    user_suspend(user=employer, by=moderator, reason="Scam")
    client.force_login(employer)
    response = client.post(reverse("tasks:campaign_resume", args=[campaign.pk]), follow=True)
    assert "Your account is suspended" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED


def test_a_suspended_worker_cannot_withdraw_on_the_page(client, worker, moderator):
    give(worker, 1_000)
    method = payout_method_add(user=worker, kind="bkash", destination="01712345678", label="")
    user_suspend(user=worker, by=moderator, reason="Fakes")
    client.force_login(worker)
    response = client.post(reverse("payments:withdraw"), {"amount": "5", "method": method.pk})
    assert "Your account is suspended" in response.content.decode()
    assert not Payout.objects.exists()


# --- the audit log --------------------------------------------------------------------------


def plant_log(moderator, second, users):
    for user in users:
        audit_record(actor=moderator, action="user.suspend", target=user, reason="Fakes")
        audit_record(actor=second, action="wallet.adjust", target=user, reason="Refund")


def test_the_audit_log_is_newest_first_and_filters(client, moderator):
    second = another_moderator()
    karim, rahim = UserFactory(email="karim@example.com"), UserFactory(email="rahim@example.com")
    plant_log(moderator, second, [karim, rahim])
    client.force_login(moderator)
    url = reverse("moderation:audit")

    rows = list(client.get(url).context["page"].object_list)
    assert [r.pk for r in rows] == sorted((r.pk for r in rows), reverse=True) and len(rows) == 4
    rows = client.get(url, {"action": "wallet.adjust"}).context["page"].object_list
    assert {r.action for r in rows} == {"wallet.adjust"} and len(rows) == 2
    rows = client.get(url, {"moderator": second.pk}).context["page"].object_list
    assert {r.actor_id for r in rows} == {second.pk}
    rows = client.get(url, {"target": "KARIM@"}).context["page"].object_list
    assert {r.target_repr for r in rows} == {"karim@example.com"} and len(rows) == 2
    rows = client.get(url, {"target": "karim", "action": "user.suspend"}).context["page"]
    assert [r.target_repr for r in rows.object_list] == ["karim@example.com"]


def test_the_audit_log_keeps_its_filters_across_pages(client, moderator, monkeypatch):
    from moderation.views import console

    monkeypatch.setattr(console, "AUDIT_PAGE_SIZE", 2)
    users = [UserFactory() for _ in range(3)]
    plant_log(moderator, another_moderator(), users)
    client.force_login(moderator)
    html = client.get(reverse("moderation:audit"), {"action": "user.suspend"}).content.decode()
    assert "?action=user.suspend&amp;page=2" in html


def test_the_audit_log_keeps_a_fixed_number_of_queries(
    client, moderator, django_assert_max_num_queries
):
    second = another_moderator()
    client.force_login(moderator)
    client.get(reverse("moderation:audit"))  # warm the session
    plant_log(moderator, second, [UserFactory() for _ in range(2)])
    # session, user, moderator group, unread notifications, actions, moderators, count, page
    bound = 8
    with django_assert_max_num_queries(bound):
        response = client.get(reverse("moderation:audit"))
    assert len(response.context["page"].object_list) == 4
    plant_log(moderator, second, [UserFactory() for _ in range(20)])
    with django_assert_max_num_queries(bound):
        response = client.get(reverse("moderation:audit"))
    assert len(response.context["page"].object_list) == 44
    assert ModerationAction.objects.count() == 44


def test_the_payout_queue_marks_a_suspended_workers_payout_as_held(client, worker, moderator):
    give(worker, 1_000)
    method = payout_method_add(user=worker, kind="bkash", destination="01712345678", label="")
    payout_request(user=worker, method=method, amount_cents=500)
    client.force_login(moderator)
    held = "this payout waits until they are reinstated"
    assert held not in client.get(reverse("moderation:payouts")).content.decode()
    user_suspend(user=worker, by=moderator, reason="Fakes")
    html = client.get(reverse("moderation:payouts")).content.decode()
    assert held in html and reverse("moderation:user", args=[worker.pk]) in html
