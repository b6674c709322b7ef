"""Bengali all the way: the language a visitor reads is the one their account gets, the switch
is remembered, logins follow the account, and what Django and the libraries say (countries,
password rules) is Bengali too, with one digit style."""

import re
from pathlib import Path

import polib
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import ModerationAction, User
from accounts.services import audit_record

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

BENGALI_DIGIT = re.compile("[\u09e6-\u09ef]")


def _bengali_visitor(client):
    client.post(reverse("accounts:language"), {"language": "bn", "next": "/"})
    return client


def _sign_up(client, **fields):
    data = {
        "email": "rina@example.com",
        "display_name": "Rina",
        "country": "BD",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **fields,
    }
    return client.post(reverse("account_signup"), data)


def test_the_sign_up_form_is_preset_to_the_language_being_read(client):
    html = _bengali_visitor(client).get(reverse("account_signup")).content.decode()
    assert re.search(r'<option value="bn"[^>]*selected', html)
    english = client.get(reverse("account_signup"), headers={"accept-language": "en"})
    client.cookies.clear()
    english = client.get(reverse("account_signup")).content.decode()
    assert re.search(r'<option value="en"[^>]*selected', english)


def test_signing_up_in_bengali_makes_a_bengali_account_and_confirms_in_bengali(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "bn"  # a Bengali phone: no switch used
    form = client.get(reverse("account_signup")).content.decode()
    preset = re.search(r'<option value="(\w+)"[^>]*selected', form[form.index('name="language"') :])
    response = _sign_up(client, language=preset.group(1))
    assert response.status_code == 302
    user = User.objects.get(email="rina@example.com")
    assert user.language == "bn"
    link = re.search(r"https?://testserver(/accounts/confirm-email/[^\s]+/)", mail.outbox[0].body)
    del client.defaults["HTTP_ACCEPT_LANGUAGE"]  # the account decides from here on
    confirmed = client.post(link.group(1), follow=True)
    assert EmailAddress.objects.get(user=user).verified
    assert confirmed.context["user"] == user
    assert '<html lang="bn">' in confirmed.content.decode()


def test_login_follows_the_account_and_keeps_the_device_in_its_language(client):
    UserFactory(email="nasrin@example.com", language="bn")
    client.post(reverse("accounts:language"), {"language": "en", "next": "/"})
    response = client.post(
        reverse("account_login"), {"login": "nasrin@example.com", "password": PASSWORD}
    )
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "bn"
    assert '<html lang="bn">' in client.get("/").content.decode()
    client.post(reverse("account_logout"))
    assert '<html lang="bn">' in client.get("/").content.decode()


def test_the_switch_saves_the_choice_and_keeps_the_page(client, worker):
    client.force_login(worker)
    response = client.post(
        reverse("accounts:language"), {"language": "bn", "next": "/work/mine/?page=2"}
    )
    assert response.url == "/work/mine/?page=2"
    worker.refresh_from_db()
    assert worker.language == "bn"
    client.post(reverse("accounts:language"), {"language": "en", "next": "/"})
    worker.refresh_from_db()
    assert worker.language == "en"


def test_the_switch_names_what_it_expects(client):
    html = client.get("/").content.decode()
    form = html[html.index('class="language-switch"') - 60 :]
    form = form[: form.index("</form>")]
    assert 'action="/me/language/"' in form and "csrfmiddlewaretoken" in form
    assert 'name="next" value="/"' in form


def test_country_names_are_bengali_on_a_bengali_page(client):
    html = _bengali_visitor(client).get(reverse("account_signup")).content.decode()
    assert ">বাংলাদেশ</option>" in html and ">ভারত</option>" in html
    assert ">Bangladesh<" not in html and ">India<" not in html


def test_password_rules_and_errors_are_bengali(client):
    _bengali_visitor(client)
    response = _sign_up(client, language="bn", password1="12345678", password2="12345678")
    html = response.content.decode()
    assert response.status_code == 200
    assert "এই পাসওয়ার্ডটি খুব সাধারণ।" in html
    assert "এই পাসওয়ার্ডে শুধু সংখ্যা আছে।" in html
    assert "too common" not in html and "entirely numeric" not in html
    short = _sign_up(client, language="bn", password1="x7#q", password2="x7#q").content.decode()
    assert "এই পাসওয়ার্ডটি খুব ছোট" in short and "too short" not in short


@pytest.mark.parametrize("root", settings.LOCALE_PATHS, ids=lambda root: Path(root).name)
def test_bengali_translations_use_western_digits(root):
    """Kaaj writes numbers in Western digits in both languages (see the catalogue's numbers:
    money, codes, amounts to type); a translation that hard-codes Bengali digits would put two
    styles in one sentence next to a number Django formats."""
    catalogue = polib.pofile(str(Path(root) / "bn" / "LC_MESSAGES" / "django.po"))
    texts = [e.msgstr or " ".join(e.msgstr_plural.values()) for e in catalogue]
    assert [text for text in texts if BENGALI_DIGIT.search(text)] == []


def test_a_bengali_page_has_one_digit_style(client, worker):
    worker.language = "bn"
    worker.save()
    client.force_login(worker)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "যা 30 দিন কাজ করে" in html  # a number Django formats, in a Bengali sentence
    assert not BENGALI_DIGIT.search(html)


def test_audit_codes_are_shown_as_words(client, moderator, worker):
    audit_record(actor=moderator, action="user.suspend", target=worker, reason="spam")
    with translation.override("en"):
        assert ModerationAction.objects.get().action_label == "Account suspended"
    moderator.language = "bn"
    moderator.save()
    client.force_login(moderator)
    html = client.get(reverse("moderation:audit")).content.decode()
    assert "অ্যাকাউন্ট সাসপেন্ড করা হয়েছে" in html
    assert ">user.suspend<" not in html
    assert f"অ্যাকাউন্ট #{worker.pk}" in html and "accounts.user" not in html
