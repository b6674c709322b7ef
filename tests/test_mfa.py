"""Two-step sign-in (allauth.mfa: an authenticator app's code, or a recovery code): turned on
through Kaaj's pages, asked for when signing in on the site and at the token endpoint,
required of moderators (their pages send them to turn it on, their API answers 403
``mfa_required``) and kept on for them."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.urls import reverse

from accounts.models import ApiToken, User
from accounts.selectors import has_two_step
from accounts.services import moderator_grant

from .factories import PASSWORD, TOTP_SECRET, UserFactory, totp_code, two_step_on

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
MODERATION_API = "/api/v1/moderation/audit/"
REQUIRED = "Moderators must have two-step sign-in on"


@pytest.fixture
def new_moderator(db):
    """A moderator who has not turned two-step sign-in on yet."""
    return moderator_grant(user=UserFactory(email="new.moderator@example.com"))


def log_in(client, user, code: str | None = None):
    """The sign-in page with the user's password, then (given) the code page's answer."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    if code is not None:
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_authenticate")
        response = client.post(reverse("mfa_authenticate"), {"code": code})
    return response


def confirm_password(client) -> None:
    """allauth asks for the password again before any change to how one signs in."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def activate(client) -> str:
    """Open the page that turns two-step sign-in on, answer with the app's code for the
    secret it offers; the secret."""
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


def unused_recovery_codes(user) -> list[str]:
    codes = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return codes.wrap().get_unused_codes()


# --- turning it on ------------------------------------------------------------------------


def test_a_worker_turns_two_step_sign_in_on_with_the_apps_code(client, worker):
    assert log_in(client, worker).status_code == 302
    confirm_password(client)
    page = client.get(reverse("mfa_activate_totp"))
    html = page.content.decode()
    secret = page.context["form"].secret
    # The QR code is an <svg> in the page: the policy allows no data: image.
    assert re.search(r'<figure class="qr"[^>]*><svg ', html)
    assert "data:image" not in html and "<?xml" not in html
    assert f"secret={secret}" in html and "issuer=Kaaj" in html  # the otpauth: link
    assert secret in html  # the key, to type
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert not has_two_step(worker)

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert has_two_step(worker)
    codes = client.get(response["Location"])
    assert codes.status_code == 200
    assert all(code in codes.content.decode() for code in unused_recovery_codes(worker))


def test_turning_it_on_asks_for_the_password_again(client, worker):
    client.force_login(worker)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(response["Location"])
    assert "Confirm it is you" in page.content.decode()
    wrong = client.post(response["Location"], {"password": "not it"})
    assert wrong.status_code == 200
    confirmed = client.post(response["Location"], {"password": PASSWORD})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_an_emailed_code_confirms_it_is_you_too(client, worker, mailoutbox):
    client.force_login(worker)
    back_to = "?next=" + reverse("mfa_activate_totp")
    page = client.get(reverse("account_request_reauthentication_code") + back_to)
    assert "Email me a code" in page.content.decode()
    sent = client.post(
        reverse("account_request_reauthentication_code") + back_to, {"recipient": worker.email}
    )
    assert sent.status_code == 302
    (mail,) = mailoutbox
    assert mail.subject == "[Kaaj] Your code" and mail.to == [worker.email]
    code = re.search(r"asked for it\.\s+(\S+)\s", mail.body).group(1)
    page = client.get(sent["Location"])
    assert f"We sent a code to {worker.email}" in page.content.decode()
    confirmed = client.post(sent["Location"], {"code": code})
    assert confirmed.status_code == 302 and confirmed["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_the_profile_offers_two_step_sign_in(client, worker):
    client.force_login(worker)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "Two-step sign-in" in html and reverse("mfa_activate_totp") in html
    assert reverse("mfa_deactivate_totp") not in html

    two_step_on(worker)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("mfa_activate_totp") not in html
    assert reverse("mfa_deactivate_totp") in html and reverse("mfa_view_recovery_codes") in html
    assert "10 recovery codes left" in html


# --- signing in ---------------------------------------------------------------------------


def test_signing_in_asks_for_the_code_and_refuses_a_wrong_one(client, worker):
    two_step_on(worker)
    response = log_in(client, worker)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert not signed_in(client)
    page = client.get(reverse("mfa_authenticate"))
    assert "Enter your code" in page.content.decode()

    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert not signed_in(client)

    right = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert right.status_code == 302
    assert signed_in(client) and int(client.session["_auth_user_id"]) == worker.pk


def test_a_recovery_code_signs_in_once(client, worker):
    two_step_on(worker)
    code = unused_recovery_codes(worker)[0]
    log_in(client, worker, code)
    assert signed_in(client)
    assert code not in unused_recovery_codes(worker)

    client.post(reverse("account_logout"))
    response = log_in(client, worker, code)
    assert response.status_code == 200 and not signed_in(client)


def test_a_code_signs_in_once(client, worker):
    two_step_on(worker)
    code = totp_code()
    log_in(client, worker, code)
    assert signed_in(client)
    client.post(reverse("account_logout"))
    log_in(client, worker, code)
    assert not signed_in(client)


# --- moderators ---------------------------------------------------------------------------


def test_a_moderator_without_two_step_is_sent_to_turn_it_on(client, new_moderator):
    log_in(client, new_moderator)
    response = client.get(reverse("moderation:home"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    page = client.get(response["Location"], follow=True)  # after the password again
    assert REQUIRED in page.content.decode()
    assert client.get(reverse("moderation:audit")).status_code == 302

    confirm_password(client)
    activate(client)
    assert client.get(reverse("moderation:home")).status_code == 200
    assert client.get(reverse("moderation:audit")).status_code == 200


def test_the_moderation_api_refuses_a_moderator_without_two_step(api_as, new_moderator):
    client = api_as(new_moderator)
    response = client.get(MODERATION_API)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    assert REQUIRED in response.json()["detail"]

    two_step_on(new_moderator)
    assert client.get(MODERATION_API).status_code == 200


def test_others_still_get_the_plain_refusals(client, api_as, worker):
    response = api_as(worker).get(MODERATION_API)
    assert response.status_code == 403 and response.json()["code"] != "mfa_required"
    client.force_login(worker)
    assert client.get(reverse("moderation:home")).status_code == 403


def test_the_admin_log_in_page_does_not_skip_the_code(client, moderator):
    response = client.post(
        reverse("admin:login"), {"username": moderator.email, "password": PASSWORD}
    )
    assert response.status_code == 200 and not signed_in(client)
    assert "log in on Kaaj&#x27;s log-in page" in response.content.decode()


def test_a_moderator_cannot_turn_two_step_off(client, moderator):
    log_in(client, moderator, totp_code())
    assert signed_in(client)
    confirm_password(client)
    page = client.get(reverse("mfa_deactivate_totp"))
    html = page.content.decode()
    assert "Moderators must keep two-step sign-in on" in html
    assert 'class="danger"' not in html  # no button
    assert client.post(reverse("mfa_deactivate_totp")).status_code == 200
    assert has_two_step(moderator)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("mfa_deactivate_totp") not in profile


def test_a_worker_can_turn_two_step_off(client, worker):
    two_step_on(worker)
    log_in(client, worker, totp_code())
    confirm_password(client)
    assert 'class="danger"' in client.get(reverse("mfa_deactivate_totp")).content.decode()
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not has_two_step(worker)
    assert not Authenticator.objects.filter(user=worker).exists()  # recovery codes too
    client.post(reverse("account_logout"))
    log_in(client, worker)
    assert signed_in(client)  # the password alone again


# --- API tokens ---------------------------------------------------------------------------


def token_request(api_client, user, **extra):
    return api_client.post(TOKEN_URL, {"email": user.email, "password": PASSWORD, **extra})


def test_the_token_endpoint_asks_for_the_code(api_client, worker):
    two_step_on(worker)
    response = token_request(api_client, worker)
    assert response.status_code == 400
    assert response.json()["code"] == "mfa_code_required"
    assert response.json()["errors"]["code"]

    response = token_request(api_client, worker, code="000000")
    assert response.status_code == 400 and response.json()["code"] == "mfa_code_invalid"
    assert not ApiToken.objects.filter(user=worker).exists()

    code = totp_code()
    response = token_request(api_client, worker, code=code, device="Phone")
    assert response.status_code == 200 and response.json()["token"]
    again = token_request(api_client, worker, code=code)  # a code works once
    assert again.status_code == 400 and again.json()["code"] == "mfa_code_invalid"
    assert ApiToken.objects.filter(user=worker).count() == 1


def test_a_recovery_code_gets_a_token_once(api_client, worker):
    two_step_on(worker)
    code = unused_recovery_codes(worker)[-1]
    assert token_request(api_client, worker, code=code).status_code == 200
    again = token_request(api_client, worker, code=code)
    assert again.status_code == 400 and again.json()["code"] == "mfa_code_invalid"


def test_a_wrong_password_says_nothing_about_two_step(api_client, worker):
    two_step_on(worker)
    response = api_client.post(TOKEN_URL, {"email": worker.email, "password": "wrong"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_credentials"


def test_without_two_step_the_password_is_enough(api_client, worker):
    assert token_request(api_client, worker).status_code == 200


def test_wrong_codes_lock_the_account_out_as_on_the_page(api_client, client, worker):
    two_step_on(worker)
    statuses = [token_request(api_client, worker, code=f"00000{n}").status_code for n in range(6)]
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429
    locked = token_request(api_client, worker, code=totp_code())
    assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"
    # The sign-in page's code step counts the same failures.
    response = log_in(client, worker, totp_code())
    assert response.status_code == 200 and not signed_in(client)


# --- the demo -----------------------------------------------------------------------------


def test_the_demo_moderator_signs_in_with_the_printed_key(client, capsys):
    call_command("seed_demo", employers=1, workers=1, campaigns=0, password="demo-pass-789")
    out = capsys.readouterr().out
    secret = re.search(r"add the key ([A-Z2-7]+) to an authenticator app", out).group(1)
    assert secret != TOTP_SECRET
    moderator = User.objects.get(email="moderator@demo.kaaj.test")
    assert has_two_step(moderator)
    client.post(reverse("account_login"), {"login": moderator.email, "password": "demo-pass-789"})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert signed_in(client)
    assert client.get(reverse("moderation:home")).status_code == 200

    call_command("seed_demo", employers=1, workers=1, campaigns=0, password="demo-pass-789")
    assert Authenticator.objects.filter(user=moderator).count() == 2  # the app, the codes
