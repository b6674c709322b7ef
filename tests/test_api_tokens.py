"""API tokens: one per device, expiring, stored as a digest, listed and revoked by their owner
(API and profile page), all revoked when the password changes or is reset."""

import re

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from .factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
TOKENS_URL = "/api/v1/tokens/"
ME_URL = "/api/v1/me/"
NEW_PASSWORD = "a new long passphrase 42"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Throttle and lockout counters live in the cache: every test starts with none (only
    this run's keys when the cache is a shared Redis)."""
    getattr(cache, "clear_own", cache.clear)()


def sign_in(api_client, user, device: str = "") -> dict:
    body = {"email": user.email, "password": PASSWORD}
    if device:
        body["device"] = device
    response = api_client.post(TOKEN_URL, body)
    assert response.status_code == 200, response.content
    return response.json()


def works(api_client, token: str) -> bool:
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    status = api_client.get(ME_URL).status_code
    api_client.credentials()
    assert status in (200, 401)
    return status == 200


def test_the_token_endpoint_answers_a_token_and_its_expiry(api_client, worker, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    body = sign_in(api_client, worker, "Karim's phone")
    assert set(body) == {"id", "token", "expiry"}
    expiry = timezone.datetime.fromisoformat(body["expiry"])
    assert abs((expiry - timezone.now()).total_seconds() - 30 * 86400) < 60
    assert works(api_client, body["token"])


def test_a_token_stops_working_when_it_expires(api_client, worker, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    token = sign_in(api_client, worker)["token"]
    with time_machine.travel(timezone.now() + timezone.timedelta(days=29)):
        assert works(api_client, token)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=31)):
        assert not works(api_client, token)


def test_the_token_itself_is_nowhere_in_the_database(api_client, worker):
    token = sign_in(api_client, worker)["token"]
    for model in apps.get_models():
        for row in model.objects.values_list():
            assert token not in repr(row), model


def test_each_device_gets_its_own_token_and_the_owner_lists_them(api_client, worker, outsider):
    phone = sign_in(api_client, worker, "Karim's phone")
    laptop = sign_in(api_client, worker, "Laptop")
    sign_in(api_client, outsider, "Not Karim's")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {laptop['token']}")
    body = api_client.get(TOKENS_URL).json()
    rows = body["results"]
    assert [(row["id"], row["device"], row["current"]) for row in rows] == [
        (laptop["id"], "Laptop", True),
        (phone["id"], "Karim's phone", False),
    ]
    assert set(rows[0]) == {"id", "device", "created", "expiry", "last_used", "current"}
    assert phone["token"] not in str(body) and laptop["token"] not in str(body)


def test_the_token_list_needs_a_login(api_client):
    response = api_client.get(TOKENS_URL)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_the_owner_revokes_a_token_through_the_api(api_client, worker):
    phone = sign_in(api_client, worker, "Phone")
    laptop = sign_in(api_client, worker, "Laptop")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {laptop['token']}")
    assert api_client.delete(f"{TOKENS_URL}{phone['id']}/").status_code == 204
    assert not works(api_client, phone["token"])
    assert works(api_client, laptop["token"])


def test_a_token_revokes_itself_like_a_logout(api_client, worker):
    phone = sign_in(api_client, worker, "Phone")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {phone['token']}")
    assert api_client.delete(f"{TOKENS_URL}{phone['id']}/").status_code == 204
    assert not works(api_client, phone["token"])


def test_nobody_revokes_someone_elses_token(api_client, worker, outsider):
    theirs = sign_in(api_client, worker)
    mine = sign_in(api_client, outsider)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {mine['token']}")
    response = api_client.delete(f"{TOKENS_URL}{theirs['id']}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    api_client.credentials()
    assert api_client.delete(f"{TOKENS_URL}{theirs['id']}/").status_code == 401
    assert works(api_client, theirs["token"])


def test_a_user_has_at_most_so_many_live_tokens(api_client, worker, settings):
    settings.API_TOKENS_PER_USER = 2
    sign_in(api_client, worker)
    sign_in(api_client, worker)
    response = api_client.post(TOKEN_URL, {"email": worker.email, "password": PASSWORD})
    assert response.status_code == 409 and response.json()["code"] == "too_many_tokens"


def test_expired_tokens_do_not_count_against_the_limit(api_client, worker, settings):
    from accounts.models import ApiToken

    settings.API_TOKENS_PER_USER = 1
    settings.API_TOKEN_TTL_DAYS = 1
    sign_in(api_client, worker)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=2)):
        sign_in(api_client, worker)
    assert ApiToken.objects.filter(user=worker).count() == 1


def test_last_use_is_recorded_without_a_write_on_every_request(
    api_client, worker, django_assert_num_queries
):
    from accounts.models import ApiToken

    body = sign_in(api_client, worker)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    later = timezone.now() + timezone.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        api_client.get(TOKENS_URL)
        assert ApiToken.objects.get(pk=body["id"]).last_used == later
        with django_assert_num_queries(3):  # the token, the count, the page
            api_client.get(TOKENS_URL)


def test_a_token_header_that_is_not_utf8_is_a_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token \xff\xfe")
    response = api_client.get(ME_URL)
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


# --- the profile page ---------------------------------------------------------------------------


def test_the_profile_page_lists_devices_and_signs_one_out(client, api_client, worker):
    phone = sign_in(api_client, worker, "Karim's phone")
    laptop = sign_in(api_client, worker, "Laptop")
    client.force_login(worker)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "Karim&#x27;s phone" in html and "Laptop" in html
    assert phone["token"] not in html
    revoke = reverse("accounts:token_revoke", args=[phone["id"]])
    assert client.get(revoke).status_code == 405
    response = client.post(revoke)
    assert response.status_code == 302
    assert not works(api_client, phone["token"])
    assert works(api_client, laptop["token"])


def test_the_profile_page_cannot_sign_out_someone_elses_device(
    client, api_client, worker, outsider
):
    theirs = sign_in(api_client, worker)
    revoke = reverse("accounts:token_revoke", args=[theirs["id"]])
    client.force_login(outsider)
    assert client.post(revoke).status_code == 404
    client.logout()
    response = client.post(revoke)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert works(api_client, theirs["token"])


# --- a new password signs every device out ------------------------------------------------------


def test_changing_the_password_revokes_every_token(client, api_client, worker):
    tokens = [sign_in(api_client, worker)["token"] for _ in range(2)]
    client.force_login(worker)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password(NEW_PASSWORD)
    assert not any(works(api_client, token) for token in tokens)


def test_resetting_the_password_revokes_every_token(client, api_client, worker):
    token = sign_in(api_client, worker)["token"]
    client.post(reverse("account_reset_password"), {"email": worker.email})
    link = re.search(
        r"https?://testserver(/accounts/password/reset/key/[^\s]+/)", mail.outbox[-1].body
    ).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert not works(api_client, token)


def test_a_password_set_by_command_revokes_every_token(api_client, worker):
    from accounts.services import user_ensure_verified

    token = sign_in(api_client, worker)["token"]
    user_ensure_verified(email=worker.email, password=NEW_PASSWORD)
    assert not works(api_client, token)
