import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_says_what_kaaj_is_and_how_to_start(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "micro-job marketplace" in html
    assert reverse("account_signup") in html
    assert "How to start as a worker" in html


def test_home_greets_a_signed_in_user(client, worker):
    client.force_login(worker)
    html = client.get("/").content.decode()
    assert "Welcome, Karim" in html
    assert reverse("accounts:profile") in html


def test_pages_need_nothing_from_a_cdn(client):
    html = client.get("/").content.decode()
    assert "/static/css/kaaj.css" in html
    assert "https://" not in html.split("<body")[0]


def test_page_is_made_for_phones(client):
    html = client.get("/").content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html


def test_bengali_chosen_with_the_switch_renders_bengali(client):
    response = client.post(reverse("accounts:language"), {"language": "bn", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="bn">' in html
    assert "মাইক্রো জব" in html
    assert "micro-job marketplace" not in html


def test_switching_language_is_post_only(client):
    assert client.get(reverse("accounts:language")).status_code == 405


def test_language_switch_refuses_to_redirect_elsewhere(client):
    response = client.post(
        reverse("accounts:language"), {"language": "bn", "next": "https://evil.example.com/"}
    )
    assert response.url == "/"


def test_unknown_language_changes_nothing(client):
    response = client.post(
        reverse("accounts:language"), {"language": "xx", "next": "/"}, follow=True
    )
    assert '<html lang="en">' in response.content.decode()


def test_a_signed_in_user_keeps_the_choice_on_every_device(client, worker):
    client.force_login(worker)
    client.post(reverse("accounts:language"), {"language": "bn", "next": "/"})
    worker.refresh_from_db()
    assert worker.language == "bn"
    client.cookies.clear()
    client.force_login(worker)  # a new device: no language cookie
    assert '<html lang="bn">' in client.get("/").content.decode()


def test_the_browser_language_is_used_for_visitors(client):
    html = client.get("/", headers={"accept-language": "bn"}).content.decode()
    assert '<html lang="bn">' in html


def test_sign_up_page_is_in_bengali_too(client):
    client.post(reverse("accounts:language"), {"language": "bn", "next": "/"})
    html = client.get(reverse("account_signup")).content.decode()
    assert "ইমেইল" in html
    assert "Password (again)" not in html


def test_api_errors_follow_the_language(api_client):
    response = api_client.get("/api/v1/me/", headers={"accept-language": "bn"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "provided" not in response.json()["detail"]
