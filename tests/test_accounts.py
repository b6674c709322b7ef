import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _confirmation_link(message) -> str:
    match = re.search(r"https?://testserver(/accounts/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_sign_up_verify_log_in_and_edit_profile(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nasrin@example.com",
            "display_name": "Nasrin",
            "country": "BD",
            "language": "bn",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="nasrin@example.com")
    assert (user.display_name, user.country.code, user.language) == ("Nasrin", "BD", "bn")
    assert not EmailAddress.objects.get(user=user).verified

    # Unverified: logging in sends the visitor back to "check your email".
    client.post(reverse("account_login"), {"login": "nasrin@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session

    assert len(mail.outbox) >= 1
    assert mail.outbox[0].to == ["nasrin@example.com"]
    link = _confirmation_link(mail.outbox[0])
    assert client.get(link).status_code == 200  # a page with a button, never a GET change
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "NASRIN@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "Nasrin Akter", "country": "IN", "language": "en"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.country.code, user.language) == ("Nasrin Akter", "IN", "en")


def test_sign_up_with_a_taken_email_creates_no_second_account(client, worker):
    client.post(
        reverse("account_signup"),
        {
            "email": "WORKER@example.com",
            "language": "en",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert User.objects.filter(email__iexact="worker@example.com").count() == 1


def test_profile_shows_errors_next_to_the_field_and_changes_nothing(client, worker):
    client.force_login(worker)
    response = client.post(
        reverse("accounts:profile"), {"display_name": "x" * 61, "country": "XX", "language": "fr"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="errors"') == 3
    assert 'id="id_display_name_errors"' in html
    worker.refresh_from_db()
    assert worker.display_name == "Karim"


def test_profile_needs_a_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_profile_only_accepts_get_and_post(client, worker):
    client.force_login(worker)
    assert client.put(reverse("accounts:profile")).status_code == 405


def test_password_reset_mails_a_link_that_sets_a_new_password(client, worker):
    client.post(reverse("account_reset_password"), {"email": "worker@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(
        r"https?://testserver(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body
    ).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(
        form_url, {"password1": "a new long passphrase 42", "password2": "a new long passphrase 42"}
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("a new long passphrase 42")


def test_change_email_is_confirmed_before_it_replaces_the_old_one(client, worker):
    client.force_login(worker)
    response = client.post(
        reverse("account_email"), {"email": "karim.new@example.com", "action_add": ""}
    )
    assert response.status_code == 302
    assert EmailAddress.objects.filter(email="karim.new@example.com", verified=False).exists()
    link = _confirmation_link(mail.outbox[-1])
    client.post(link)
    worker.refresh_from_db()
    assert worker.email == "karim.new@example.com"


def test_moderators_are_staff_in_the_moderators_group(moderator, worker):
    assert moderator.is_staff and moderator.is_moderator
    assert not worker.is_moderator


def test_a_staff_account_outside_the_group_is_not_a_moderator():
    assert not UserFactory(is_staff=True).is_moderator


def test_logout_is_post_only(client, worker):
    client.force_login(worker)
    client.get(reverse("account_logout"))
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_profile_shows_the_success_rate(client, worker):
    client.force_login(worker)
    assert "none yet" in client.get(reverse("accounts:profile")).content.decode()
