import pytest
from django.core.cache import cache
from django.urls import reverse

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_token_for_email_and_password_then_me(api_client, worker):
    response = api_client.post(TOKEN_URL, {"email": "worker@example.com", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get(ME_URL)
    assert me.status_code == 200
    assert me.json() == {
        "id": worker.pk,
        "email": "worker@example.com",
        "display_name": "Karim",
        "country": "BD",
        "language": "en",
        "time_zone": "Asia/Dhaka",
        "is_moderator": False,
        "level": 0,
        "balance": {"available_cents": 0, "escrow_cents": 0, "payout_cents": 0},
    }


def test_each_login_is_a_new_token_and_both_work(api_client, worker):
    first = api_client.post(TOKEN_URL, {"email": "worker@example.com", "password": PASSWORD})
    second = api_client.post(TOKEN_URL, {"email": "WORKER@example.com", "password": PASSWORD})
    assert first.json()["token"] != second.json()["token"]
    for response in (first, second):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        assert api_client.get(ME_URL).status_code == 200


def test_me_says_who_is_a_moderator(api_as, moderator):
    assert api_as(moderator).get(ME_URL).json()["is_moderator"] is True


def test_wrong_password_is_a_clear_400(api_client, worker):
    response = api_client.post(TOKEN_URL, {"email": "worker@example.com", "password": "nope"})
    assert_error(response, 400, "invalid_credentials")


def test_unverified_email_gets_no_token(api_client):
    UserFactory(email="new@example.com", verified=False)
    response = api_client.post(TOKEN_URL, {"email": "new@example.com", "password": PASSWORD})
    assert_error(response, 403, "email_unverified")


def test_validation_errors_carry_messages_per_field(api_client):
    response = api_client.post(TOKEN_URL, {"email": "not an email"})
    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"email", "password"}
    assert all(
        isinstance(message, str) for messages in body["errors"].values() for message in messages
    )


def test_one_invalid_field_reports_its_own_code(api_client):
    response = api_client.post(TOKEN_URL, {"email": "x@example.com"})
    body = assert_error(response, 400, "required")
    assert list(body["errors"]) == ["password"]


def test_me_without_credentials_is_401(api_client):
    response = api_client.get(ME_URL)
    assert_error(response, 401, "not_authenticated")


def test_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(api_client.get(ME_URL), 401, "authentication_failed")


def test_unknown_api_path_is_json_404(api_client):
    assert_error(api_client.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_wrong_method_is_json_405(api_as, worker):
    assert_error(api_as(worker).delete(ME_URL), 405, "method_not_allowed")


def test_malformed_json_is_a_400(api_client):
    response = api_client.post(TOKEN_URL, data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_token_endpoint_is_throttled_with_a_json_429(api_client, settings):
    for _ in range(10):
        api_client.post(TOKEN_URL, {"email": "a@example.com", "password": "x"})
    response = api_client.post(TOKEN_URL, {"email": "a@example.com", "password": "x"})
    body = assert_error(response, 429, "throttled")
    assert body["retry_after_seconds"] > 0


def test_a_browser_session_also_authenticates_the_api(worker):
    from rest_framework.test import APIClient

    api = APIClient(enforce_csrf_checks=True)
    api.force_login(worker)
    assert api.get(ME_URL).status_code == 200


def test_html_404_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_schema_is_valid_openapi(client):
    from drf_spectacular.validation import validate_schema

    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert "/api/v1/auth/token/" in schema["paths"]
    assert "/api/v1/me/" in schema["paths"]


def test_schema_generation_has_no_warnings(capsys):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_api_docs_are_served_without_a_cdn(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "//unpkg" not in html and "jsdelivr" not in html
