"""The deposits API: POST /api/v1/deposits/, and reading one's own deposits."""

import pytest
from django.core.cache import cache

from payments import checkout
from payments.models import Deposit, DepositStatus
from payments.selectors import balances_of
from payments.services import sandbox_checkout_confirm

from .test_deposits import RecordingProvider, open_deposit

pytestmark = pytest.mark.django_db

URL = "/api/v1/deposits/"


@pytest.fixture(autouse=True)
def _setup(settings):
    cache.clear()  # throttles
    settings.PAYMENTS_PROVIDER = "sandbox"
    settings.DEPOSIT_MINIMUM_CENTS, settings.DEPOSIT_MAXIMUM_CENTS = 500, 100_000


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    return body


def test_post_starts_a_deposit_with_a_checkout_url(api_as, employer):
    response = api_as(employer).post(URL, {"amount_cents": 2_000}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    deposit = Deposit.objects.get()
    assert body["id"] == deposit.pk and deposit.user == employer
    assert body["status"] == "open" and body["amount_cents"] == 2_000
    assert body["checkout_url"] == (
        f"http://testserver/money/deposits/{deposit.pk}/sandbox-checkout/"
    )
    assert balances_of(employer).available_cents == 0


@pytest.mark.parametrize(
    ("amount", "code"), [(499, "amount_too_small"), (100_001, "amount_too_large")]
)
def test_an_amount_outside_the_limits_is_a_400_with_its_code(api_as, employer, amount, code):
    body = assert_error(api_as(employer).post(URL, {"amount_cents": amount}), 400, code)
    assert "$" in body["detail"]
    assert not Deposit.objects.exists()


def test_an_amount_that_is_not_a_whole_number_is_a_400(api_as, employer):
    assert_error(api_as(employer).post(URL, {"amount_cents": "12.50"}), 400, "invalid")
    assert not Deposit.objects.exists()


def test_a_provider_outage_is_a_503_not_a_500(api_as, employer, monkeypatch):
    monkeypatch.setattr(checkout, "checkout_provider", lambda: RecordingProvider(fail=True))
    response = api_as(employer).post(URL, {"amount_cents": 1_000})
    assert_error(response, 503, "payment_provider_unavailable")
    assert Deposit.objects.get().status == DepositStatus.FAILED


def test_anonymous_callers_get_401(api_client):
    assert_error(api_client.post(URL, {"amount_cents": 1_000}), 401, "not_authenticated")
    assert_error(api_client.get(URL), 401, "not_authenticated")
    assert not Deposit.objects.exists()


def test_session_auth_needs_csrf(employer):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(employer)
    assert_error(client.post(URL, {"amount_cents": 1_000}), 403, "permission_denied")
    assert not Deposit.objects.exists()


def test_the_list_shows_only_ones_own_deposits(
    api_as, employer, outsider, django_assert_max_num_queries
):
    mine = open_deposit(employer)
    open_deposit(outsider)
    client = api_as(employer)
    with django_assert_max_num_queries(4):  # token, user, count, page
        body = client.get(URL).json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert body["count"] == 1


def test_a_deposit_is_readable_by_its_owner_only(api_as, employer, outsider):
    deposit = open_deposit(employer)
    sandbox_checkout_confirm(deposit=deposit)
    body = api_as(employer).get(f"{URL}{deposit.pk}/").json()
    assert body["status"] == "paid" and body["paid_at"]
    assert_error(api_as(outsider).get(f"{URL}{deposit.pk}/"), 404, "not_found")


def test_deposits_cannot_be_changed_through_the_api(api_as, employer):
    deposit = open_deposit(employer)
    client = api_as(employer)
    assert client.put(f"{URL}{deposit.pk}/", {"status": "paid"}).status_code == 405
    assert client.patch(f"{URL}{deposit.pk}/", {"status": "paid"}).status_code == 405
    assert client.delete(f"{URL}{deposit.pk}/").status_code == 405
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.OPEN


def test_the_schema_documents_the_deposit_endpoints(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/deposits/"]["post"]
    assert {"201", "400", "503"} <= set(post["responses"])
    assert "/api/v1/deposits/{id}/" in schema["paths"]
