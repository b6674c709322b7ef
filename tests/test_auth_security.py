"""Who the client is, and how often it may guess a password: one client-IP rule for DRF's
throttles, allauth's login limits and recorded addresses; one lockout for the sign-in page and
the token endpoint; one password hash per attempt."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from tasks.models import Assignment

from .factories import PASSWORD, UserFactory
from .tasks.helpers import active_campaign

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Throttle and lockout counters live in the cache: every test starts with none (only
    this run's keys when the cache is a shared Redis)."""
    getattr(cache, "clear_own", cache.clear)()


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]


def html_login(client, email: str, password: str, **extra):
    """The sign-in page; True when it signed the user in."""
    response = client.post(
        reverse("account_login"), {"login": email, "password": password}, **extra
    )
    return response.status_code == 302 and "_auth_user_id" in client.session


# --- the client-IP rule -----------------------------------------------------------------------


def ip_of(remote_addr, forwarded=None):
    from accounts.http import client_ip

    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_by_default_x_forwarded_for_is_ignored():
    assert ip_of("198.51.100.7", "1.2.3.4") == "198.51.100.7"
    assert ip_of(PROXY, "1.2.3.4") == PROXY


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client's own entry is not believed
        ("6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"),  # a second trusted proxy
        ("6.6.6.6,203.0.113.9:4711", "203.0.113.9"),  # a port is dropped
        ("[2001:db9::1]:443", "2001:db9::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # IPv4-mapped IPv6 is IPv4
        ("6.6.6.6, not-an-ip, 10.1.1.1", "10.1.1.1"),  # garbage ends the walk
        ("", PROXY),
        ("10.2.2.2", "10.2.2.2"),  # only trusted hops: the farthest one
        ("x" * 5000, PROXY),
    ],
)
def test_behind_a_trusted_proxy_the_first_untrusted_hop_from_the_right_is_the_client(
    behind_proxy, forwarded, expected
):
    assert ip_of(PROXY, forwarded) == expected


def test_without_a_forwarding_header_the_proxy_is_the_client(behind_proxy):
    assert ip_of(PROXY) == PROXY


def test_a_missing_or_malformed_peer_address_is_none(behind_proxy):
    assert ip_of("", "203.0.113.9") is None
    assert ip_of("nonsense", "203.0.113.9") is None


def test_a_malformed_trusted_proxies_setting_is_refused(settings):
    from accounts.http import parse_networks

    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        parse_networks(["10.0.0.0/8", "proxy.example.com"])


def test_allauth_takes_the_client_ip_from_the_same_rule(behind_proxy):
    from allauth.account.adapter import get_adapter

    request = RequestFactory().post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
    assert get_adapter(request).get_client_ip(request) == "1.2.3.4"


# --- DRF's throttles --------------------------------------------------------------------------


def test_a_new_x_forwarded_for_on_each_request_does_not_escape_the_throttle(api_client):
    statuses = [
        api_client.post(
            TOKEN_URL,
            {"email": f"nobody{n}@example.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(31)
    ]
    assert 429 in statuses
    assert statuses.index(429) <= 10


def test_behind_a_trusted_proxy_each_client_has_its_own_throttle(api_client, behind_proxy):
    def attempt(client_address: str, n: int) -> int:
        return api_client.post(
            TOKEN_URL,
            {"email": f"nobody{n}@example.com", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            # The client writes a new left part each time; the proxy appends what it saw.
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {client_address}",
        ).status_code

    assert [attempt("203.0.113.1", n) for n in range(10)] == [400] * 10
    assert attempt("203.0.113.1", 10) == 429
    assert attempt("203.0.113.2", 11) == 400


def test_the_anonymous_throttle_keys_on_the_client_ip(behind_proxy):
    from accounts.throttling import AnonRateThrottle

    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
    assert AnonRateThrottle().get_ident(request) == "1.2.3.4"
    request = RequestFactory().get("/", REMOTE_ADDR="1.2.3.4", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert AnonRateThrottle().get_ident(request) == "1.2.3.4"


# --- one lockout for the page and the API -------------------------------------------------------


def test_a_lockout_made_on_the_sign_in_page_holds_on_the_token_endpoint(client, api_client, worker):
    for _ in range(5):
        assert not html_login(client, worker.email, "wrong password")
    response = api_client.post(TOKEN_URL, {"email": worker.email, "password": PASSWORD})
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "too_many_attempts" and body["detail"]
    assert body["retry_after_seconds"] > 0 and int(response["Retry-After"]) > 0


def test_a_lockout_made_on_the_token_endpoint_holds_on_the_sign_in_page(client, api_client, worker):
    for _ in range(5):
        response = api_client.post(TOKEN_URL, {"email": worker.email, "password": "wrong"})
        assert response.status_code == 400
    assert api_client.post(TOKEN_URL, {"email": worker.email, "password": "wrong"}).json()[
        "code"
    ] == ("too_many_attempts")
    assert not html_login(client, worker.email, PASSWORD)


def test_the_per_ip_login_limit_is_shared_too(client, api_client, worker, behind_proxy):
    """Ten failures for ten accounts from one client lock that client out of every account,
    on both sides; another client behind the same proxy is not affected."""
    for n in range(10):
        api_client.post(
            TOKEN_URL,
            {"email": f"nobody{n}@example.com", "password": "x"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.1",
        )
    assert not html_login(
        client, worker.email, PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    assert html_login(
        client, worker.email, PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.2"
    )


def test_an_inactive_account_gets_no_token(api_client):
    UserFactory(email="gone@example.com", is_active=False)
    response = api_client.post(TOKEN_URL, {"email": "gone@example.com", "password": PASSWORD})
    assert response.status_code == 400 and response.json()["code"] == "invalid_credentials"


# --- one password hash per attempt ------------------------------------------------------------


@pytest.fixture
def hashes(monkeypatch):
    """Counts password hash computations (the test hasher's encode, which verify also runs)."""
    calls = []
    encode = MD5PasswordHasher.encode

    def counting(self, password, salt):
        calls.append(1)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    return calls


def test_a_wrong_password_costs_one_hash(api_client, worker, hashes):
    response = api_client.post(TOKEN_URL, {"email": worker.email, "password": "wrong"})
    assert response.status_code == 400
    assert len(hashes) == 1


def test_an_unknown_email_costs_one_hash_too(api_client, hashes):
    response = api_client.post(TOKEN_URL, {"email": "nobody@example.com", "password": "wrong"})
    assert response.status_code == 400
    assert len(hashes) == 1


def test_a_failed_sign_in_on_the_page_costs_one_hash(client, worker, hashes):
    assert not html_login(client, worker.email, "wrong")
    assert len(hashes) == 1


def test_the_admin_login_still_works_for_a_createsuperuser_account(client):
    from accounts.models import User

    User.objects.create_superuser(email="root@example.com", password=PASSWORD)
    response = client.post(
        reverse("admin:login"), {"username": "root@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


# --- recorded addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(("trusted", "expected"), [([], PROXY), (["10.0.0.0/8"], "203.0.113.9")])
def test_a_claims_recorded_ip_follows_the_client_ip_rule(
    api_as, employer, worker, moderator, settings, trusted, expected
):
    settings.TRUSTED_PROXIES = trusted
    campaign = active_campaign(employer, moderator)
    response = api_as(worker).post(
        f"/api/v1/campaigns/{campaign.pk}/claim/",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )
    assert response.status_code == 201, response.content
    assert Assignment.objects.get(pk=response.json()["id"]).client_ip == expected


def test_a_claim_on_the_page_records_the_same_ip(client, employer, worker, moderator, behind_proxy):
    campaign = active_campaign(employer, moderator)
    client.force_login(worker)
    client.post(
        reverse("workers:campaign_claim", args=[campaign.pk]),
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )
    assert Assignment.objects.get(worker=worker).client_ip == "203.0.113.9"


def test_kaaj_refuses_to_start_with_a_malformed_trusted_proxies_setting(settings):
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example.com"]
    with pytest.raises(ImproperlyConfigured, match=r"proxy\.example\.com"):
        apps.get_app_config("accounts").ready()


# --- the session's user -----------------------------------------------------------------------


def test_the_session_user_is_the_row_the_orm_reads(worker):
    from django.contrib.auth import get_user_model

    from accounts.backends import AuthenticationBackend

    worker.display_name, worker.country, worker.time_zone = "Rina", "IN", "Asia/Kolkata"
    worker.save()
    loaded = AuthenticationBackend().get_user(worker.pk)
    assert loaded.get_deferred_fields() == set()  # every column read by the one statement
    expected = get_user_model().objects.get(pk=worker.pk)
    for field in expected._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.country.name == "India"
    assert loaded._state.db == "default" and not loaded._state.adding


def test_a_session_of_a_deleted_or_deactivated_user_is_signed_out(client, worker):
    client.force_login(worker)
    page = reverse("workers:my_work")
    assert client.get(page).status_code == 200
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    response = client.get(page)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]

    from accounts.backends import AuthenticationBackend

    assert AuthenticationBackend().get_user(worker.pk + 10_000) is None
