"""The webhooks API: employers manage their own endpoints and see their own deliveries."""

import pytest

from webhooks.models import Delivery, DeliveryStatus, Endpoint
from webhooks.services import webhook_emit

from .helpers import endpoint_for

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhook-endpoints/"


def test_creating_an_endpoint_returns_its_secret(api_as, employer):
    response = api_as(employer).post(
        ENDPOINTS, {"url": "https://shop.example.com/kaaj", "events": ["assignment.approved"]}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    endpoint = Endpoint.objects.get(employer=employer)
    assert body["id"] == endpoint.pk and body["secret"] == endpoint.secret
    assert body["events"] == ["assignment.approved"] and body["is_active"] is True


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://shop.example.com/kaaj", "https_required"),
        ("ftp://shop.example.com/kaaj", "https_required"),
        ("https://127.0.0.1/kaaj", "private_address"),
        ("https://10.1.2.3/kaaj", "private_address"),
        ("https://localhost:8443/kaaj", "private_address"),
        ("https://user:pw@shop.example.com/", "invalid_url"),
        ("not a url", "https_required"),
    ],
)
def test_only_public_https_urls_are_accepted(api_as, employer, url, code):
    response = api_as(employer).post(ENDPOINTS, {"url": url})
    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["detail"]
    assert not Endpoint.objects.exists()


def test_http_to_localhost_is_allowed_when_configured(api_as, employer, settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    response = api_as(employer).post(ENDPOINTS, {"url": "http://127.0.0.1:8000/hook"})
    assert response.status_code == 201


def test_unknown_events_and_too_many_endpoints_are_refused(api_as, employer, settings):
    client = api_as(employer)
    response = client.post(ENDPOINTS, {"url": "https://a.example.com/", "events": ["nope"]})
    assert response.status_code == 400
    settings.WEBHOOKS_MAX_ENDPOINTS = 1
    assert client.post(ENDPOINTS, {"url": "https://a.example.com/"}).status_code == 201
    response = client.post(ENDPOINTS, {"url": "https://b.example.com/"})
    assert response.status_code == 409 and response.json()["code"] == "too_many_endpoints"


def test_lists_show_only_my_endpoints_without_secrets(api_as, employer, outsider):
    mine = endpoint_for(employer)
    endpoint_for(outsider)
    body = api_as(employer).get(ENDPOINTS).json()
    assert [e["id"] for e in body["results"]] == [mine.pk] and body["next"] is None
    assert "secret" not in body["results"][0]


def test_detail_and_delete_are_for_the_owner_only(api_as, employer, outsider):
    endpoint = endpoint_for(employer)
    other = api_as(outsider)
    assert other.get(f"{ENDPOINTS}{endpoint.pk}/").status_code == 404
    assert other.delete(f"{ENDPOINTS}{endpoint.pk}/").status_code == 404
    assert other.get(f"{ENDPOINTS}{endpoint.pk}/deliveries/").status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()
    owner = api_as(employer)
    assert owner.get(f"{ENDPOINTS}{endpoint.pk}/").json()["secret"] == endpoint.secret
    assert owner.delete(f"{ENDPOINTS}{endpoint.pk}/").status_code == 204
    assert not Endpoint.objects.exists()


def test_anonymous_requests_are_refused(api_client, employer):
    endpoint = endpoint_for(employer)
    webhook_emit(employer=employer, event="campaign.completed", data={})
    delivery = Delivery.objects.get()
    for method, url in [
        ("get", ENDPOINTS),
        ("post", ENDPOINTS),
        ("get", f"{ENDPOINTS}{endpoint.pk}/"),
        ("delete", f"{ENDPOINTS}{endpoint.pk}/"),
        ("get", f"{ENDPOINTS}{endpoint.pk}/deliveries/"),
        ("post", f"/api/v1/webhook-deliveries/{delivery.pk}/resend/"),
    ]:
        response = getattr(api_client, method)(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "not_authenticated"


def test_deliveries_list_and_resend(api_as, employer, outsider, django_capture_on_commit_callbacks):
    endpoint = endpoint_for(employer)
    webhook_emit(employer=employer, event="campaign.completed", data={"campaign": {"id": 3}})
    webhook_emit(employer=employer, event="campaign.expired", data={})
    Delivery.objects.filter(event="campaign.completed").update(status=DeliveryStatus.FAILED)
    delivery = Delivery.objects.get(event="campaign.completed")

    body = api_as(employer).get(f"{ENDPOINTS}{endpoint.pk}/deliveries/").json()
    assert [d["event"] for d in body["results"]] == ["campaign.expired", "campaign.completed"]
    assert body["results"][1]["payload"]["data"] == {"campaign": {"id": 3}}
    assert body["results"][1]["event_id"] == str(delivery.event_id)
    failed = api_as(employer).get(f"{ENDPOINTS}{endpoint.pk}/deliveries/?status=failed").json()
    assert [d["id"] for d in failed["results"]] == [delivery.pk]

    resend = f"/api/v1/webhook-deliveries/{delivery.pk}/resend/"
    assert api_as(outsider).post(resend).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_as(employer).post(resend)
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": ["https://a.example.com/"]},
        {"url": "https://a.example.com/", "events": "campaign.expired"},
        {"url": "https://a.example.com/" + "x" * 600},
        {"url": "https://a.example.com:99999/"},
    ],
)
def test_bad_bodies_are_400_with_a_code(api_as, employer, body):
    response = api_as(employer).post(ENDPOINTS, body, format="json")
    assert response.status_code == 400 and response.json()["code"]
    assert not Endpoint.objects.exists()
