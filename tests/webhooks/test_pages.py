"""Employers' webhook pages: only the owner sees or changes an endpoint or a delivery."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from webhooks.models import Delivery, DeliveryStatus, Endpoint
from webhooks.services import webhook_emit

from ..workers.test_work_pages import errors_of
from .helpers import endpoint_for

pytestmark = pytest.mark.django_db

LIST = "/webhooks/"


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_adding_an_endpoint_shows_its_secret(client, employer):
    client.force_login(employer)
    response = client.post(
        LIST,
        {
            "url": "https://shop.example.com/kaaj",
            "description": "Shop",
            "events": ["assignment.submitted", "campaign.approved"],
        },
    )
    endpoint = Endpoint.objects.get(employer=employer)
    assert response.status_code == 302 and response.url == f"/webhooks/{endpoint.pk}/"
    assert endpoint.events == ["assignment.submitted", "campaign.approved"]
    html = client.get(response.url).content.decode()
    assert endpoint.secret in html and endpoint.secret.startswith("whsec_")
    assert "verify_signature" in html


def test_plain_http_is_refused_next_to_the_url_field(client, employer):
    client.force_login(employer)
    response = client.post(LIST, {"url": "http://shop.example.com/kaaj"})
    assert response.status_code == 400
    assert "https://" in errors_of(response.content.decode(), "id_url")
    assert not Endpoint.objects.exists()


def test_the_endpoint_limit_is_shown_on_the_form(client, employer, settings):
    settings.WEBHOOKS_MAX_ENDPOINTS = 1
    endpoint_for(employer)
    client.force_login(employer)
    response = client.post(LIST, {"url": "https://other.example.com/kaaj"})
    assert response.status_code == 400 and "at most 1" in response.content.decode()
    assert Endpoint.objects.count() == 1


def test_the_list_shows_only_my_endpoints_in_fixed_queries(client, employer, outsider):
    endpoint_for(employer, url="https://mine.example.com/hook")
    endpoint_for(outsider, url="https://theirs.example.com/hook")
    client.force_login(employer)
    html = client.get(LIST).content.decode()
    assert "mine.example.com" in html and "theirs.example.com" not in html
    few = queries_for(client, LIST)
    for n in range(4):
        endpoint_for(employer, url=f"https://more{n}.example.com/hook")
    assert queries_for(client, LIST) == few


def test_the_delivery_log_pages_in_fixed_queries(client, employer):
    endpoint = endpoint_for(employer)
    webhook_emit(employer=employer, event="campaign.completed", data={})
    client.force_login(employer)
    url = f"/webhooks/{endpoint.pk}/"
    few = queries_for(client, url)
    for n in range(30):
        webhook_emit(employer=employer, event="campaign.expired", data={"n": n})
    assert queries_for(client, url) == few
    html = client.get(url).content.decode()
    assert html.count(">campaign.expired</a>") == 25 and "Page 1 of 2" in html
    assert ">campaign.completed</a>" in client.get(url + "?page=2").content.decode()
    failed = client.get(url + "?status=failed").content.decode()
    assert ">campaign.expired</a>" not in failed


def endpoint_posts(endpoint, delivery):
    return [
        (f"/webhooks/{endpoint.pk}/rotate-secret/", {}),
        (f"/webhooks/{endpoint.pk}/toggle/", {"active": "0"}),
        (f"/webhooks/{endpoint.pk}/ping/", {}),
        (f"/webhooks/{endpoint.pk}/edit/", {"url": "https://evil.example.com/"}),
        (f"/webhooks/deliveries/{delivery.pk}/resend/", {}),
        (f"/webhooks/{endpoint.pk}/delete/", {}),
    ]


@pytest.fixture
def mine(employer):
    endpoint = endpoint_for(employer)
    webhook_emit(employer=employer, event="campaign.completed", data={"campaign": {"id": 1}})
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    return endpoint, delivery


def test_other_users_get_404_and_change_nothing(client, outsider, mine):
    endpoint, delivery = mine
    secret = endpoint.secret
    client.force_login(outsider)
    assert client.get(f"/webhooks/{endpoint.pk}/").status_code == 404
    assert client.get(f"/webhooks/deliveries/{delivery.pk}/").status_code == 404
    for url, data in endpoint_posts(endpoint, delivery):
        assert client.post(url, data).status_code == 404, url
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert (endpoint.secret, endpoint.is_active, endpoint.url) == (
        secret,
        True,
        "https://hooks.example.com/kaaj",
    )
    assert delivery.status == DeliveryStatus.FAILED
    assert Delivery.objects.count() == 1


def test_anonymous_users_are_sent_to_log_in(client, mine):
    endpoint, delivery = mine
    for url in (LIST, f"/webhooks/{endpoint.pk}/", f"/webhooks/deliveries/{delivery.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url
    for url, data in endpoint_posts(endpoint, delivery):
        assert client.post(url, data).status_code == 302
    assert Endpoint.objects.filter(pk=endpoint.pk, is_active=True).exists()


def test_state_changes_are_post_only(client, employer, mine):
    endpoint, delivery = mine
    client.force_login(employer)
    for url, _data in endpoint_posts(endpoint, delivery):
        assert client.get(url).status_code == 405, url


def test_the_owner_rotates_disables_pings_resends_and_deletes(
    client, employer, mine, django_capture_on_commit_callbacks
):
    endpoint, delivery = mine
    old = endpoint.secret
    client.force_login(employer)
    client.post(f"/webhooks/{endpoint.pk}/rotate-secret/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret_rotated_at is not None

    client.post(f"/webhooks/{endpoint.pk}/toggle/", {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    client.post(f"/webhooks/{endpoint.pk}/toggle/", {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/webhooks/{endpoint.pk}/ping/")
    ping = endpoint.deliveries.get(event="ping")
    assert response.url == f"/webhooks/deliveries/{ping.pk}/" and len(callbacks) == 1
    assert ping.payload["data"]["endpoint"]["id"] == endpoint.pk

    response = client.post(f"/webhooks/deliveries/{delivery.pk}/resend/", {"back": "log"})
    assert response.url == f"/webhooks/{endpoint.pk}/"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING

    client.post(f"/webhooks/{endpoint.pk}/delete/")
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert not Delivery.objects.exists()


def test_editing_keeps_https_and_shows_errors_next_to_the_field(client, employer, mine):
    endpoint, _delivery = mine
    client.force_login(employer)
    response = client.post(
        f"/webhooks/{endpoint.pk}/edit/", {"url": "ftp://x.example.com/", "events": []}
    )
    assert response.status_code == 400
    assert "https://" in errors_of(response.content.decode(), "id_url")
    response = client.post(
        f"/webhooks/{endpoint.pk}/edit/",
        {"url": "https://new.example.com/", "events": ["campaign.expired"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == ("https://new.example.com/", ["campaign.expired"])


def test_the_delivery_page_shows_payload_and_headers(client, employer, mine):
    _endpoint, delivery = mine
    Delivery.objects.filter(pk=delivery.pk).update(
        last_request_headers={"Kaaj-Signature": "t=1,v1=abc", "Kaaj-Event": "campaign.completed"},
        last_status_code=500,
        last_error="HTTP 500",
    )
    client.force_login(employer)
    html = client.get(f"/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert str(delivery.event_id) in html and "Kaaj-Signature: t=1,v1=abc" in html
    assert "&quot;campaign&quot;" in html and "HTTP 500" in html


def test_my_campaigns_links_to_webhooks(client, employer):
    client.force_login(employer)
    assert 'href="/webhooks/"' in client.get("/campaigns/").content.decode()


def test_the_guide_states_the_retry_waits_the_sweeper_uses(client, employer, settings):
    client.force_login(employer)
    settings.WEBHOOKS_MAX_ATTEMPTS = 6
    page = client.get(LIST).content.decode()
    assert "1 minute, 5 minutes, 30 minutes, 2 hours and 6 hours" in page
    settings.WEBHOOKS_MAX_ATTEMPTS = 4
    page = client.get(LIST).content.decode()
    assert "after 1 minute, 5 minutes and 30 minutes;" in page
