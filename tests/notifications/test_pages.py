"""The bell, the list, marking read, following a notification, preferences; the API."""

import re

import pytest
from django.urls import reverse

from notifications.models import Notification, NotificationKind, NotificationPreferences
from notifications.services import notify

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
PREFS = reverse("notifications:preferences")


def note(user, title="Like my page", url="/campaigns/7/"):
    notify(
        user=user,
        kind=NotificationKind.CAMPAIGN_APPROVED,
        params={"campaign_id": 7, "campaign_title": title},
        url=url,
    )
    return Notification.objects.filter(user=user).latest("id")


def test_the_bell_shows_the_unread_count(client, worker):
    note(worker)
    note(worker)
    client.force_login(worker)
    html = client.get(reverse("home")).content.decode()
    assert 'id="notification-bell-count"> <span class="badge"' in html
    assert ">2</span>" in html


def test_the_list_shows_own_notifications_newest_first_unread_highlighted(client, worker, outsider):
    note(worker, title="Older")
    read = note(worker, title="Read one")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    note(worker, title="Newest")
    note(outsider, title="Not yours")
    client.force_login(worker)
    html = client.get(LIST).content.decode()
    assert html.index("Newest") < html.index("Read one") < html.index("Older")
    assert "Not yours" not in html
    assert html.count('class="notification unread"') == 2


def test_the_list_and_bell_keep_a_fixed_number_of_queries(
    client, worker, django_assert_max_num_queries
):
    for i in range(3):
        note(worker, title=f"n{i}")
    client.force_login(worker)
    client.get(LIST)
    bound = 5  # session, user, page count, page, bell
    with django_assert_max_num_queries(bound):
        client.get(LIST)
    for i in range(3, 25):
        note(worker, title=f"n{i}")
    with django_assert_max_num_queries(bound):
        html = client.get(LIST).content.decode()
    assert html.count('<li id="notification-') == 20


def test_the_list_needs_a_login(client):
    assert client.get(LIST).status_code == 302


def test_marking_one_read_is_post_only_and_own_only(client, worker, outsider):
    notification = note(worker)
    url = reverse("notifications:read", args=[notification.pk])
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(worker)
    assert client.get(url).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None
    response = client.post(url, {"next": LIST})
    assert response.status_code == 302 and response["Location"] == LIST
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_read_with_htmx_returns_the_item_and_the_new_count(client, worker):
    notification = note(worker)
    note(worker)
    client.force_login(worker)
    response = client.post(
        reverse("notifications:read", args=[notification.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{notification.pk}" class="notification"' in html
    assert 'hx-swap-oob="true"' in html and ">1</span>" in html


def test_following_a_notification_marks_it_read_and_goes_there(client, worker, outsider):
    notification = note(worker)
    url = reverse("notifications:open", args=[notification.pk])
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(worker)
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == "/campaigns/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_an_outside_url_is_not_followed(client, worker):
    notification = note(worker, url="https://evil.example/")
    client.force_login(worker)
    response = client.post(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == LIST


def test_mark_all_read_touches_only_own(client, worker, outsider):
    note(worker)
    note(worker)
    theirs = note(outsider)
    client.force_login(worker)
    assert client.post(reverse("notifications:read_all")).status_code == 302
    assert not Notification.objects.filter(user=worker, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_page_saves_the_email_choice(client, worker):
    client.force_login(worker)
    html = client.get(PREFS).content.decode()
    assert re.search(r'value="payout_paid" id="[^"]+" checked', html)  # on by default
    assert not re.search(r'value="submission_approved" id="[^"]+" checked', html)
    response = client.post(PREFS, {"email_kinds": ["payout_paid", "claim_expiring"]})
    assert response.status_code == 302
    prefs = NotificationPreferences.objects.get(user=worker)
    assert prefs.wants_email("payout_paid") and prefs.wants_email("claim_expiring")
    assert not prefs.wants_email("submission_rejected")


def test_unticking_every_kind_turns_all_email_off(client, worker):
    client.force_login(worker)
    assert client.post(PREFS, {}).status_code == 302
    prefs = NotificationPreferences.objects.get(user=worker)
    assert not any(prefs.wants_email(kind) for kind in NotificationKind.values)


def test_preferences_are_linked_from_the_profile(client, worker):
    client.force_login(worker)
    assert PREFS in client.get(reverse("accounts:profile")).content.decode()


# --- API ------------------------------------------------------------------------------------


def test_api_lists_own_notifications_with_the_unread_count(api_as, worker, outsider):
    note(worker, title="Mine")
    note(outsider, title="Theirs")
    body = api_as(worker).get("/api/v1/notifications/").json()
    assert set(body) >= {"next", "previous", "results", "unread"}
    assert body["unread"] == 1
    [item] = body["results"]
    assert item["kind"] == "campaign_approved" and item["unread"] is True
    assert item["text"] == "Your campaign “Mine” was approved and is live."


def test_api_marks_one_read_and_404s_for_others(api_as, worker, outsider):
    notification = note(worker)
    url = f"/api/v1/notifications/{notification.pk}/read/"
    response = api_as(outsider).post(url)
    assert response.status_code == 404 and response.json()["code"]
    response = api_as(worker).post(url)
    assert response.status_code == 200 and response.json() == {"unread": 0}


def test_api_marks_all_read(api_as, worker):
    note(worker)
    note(worker)
    response = api_as(worker).post("/api/v1/notifications/read-all/")
    assert response.json() == {"unread": 0}
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_api_needs_authentication(api_client):
    assert api_client.get("/api/v1/notifications/").status_code in (401, 403)
