"""A Bengali phone signs up: every step in Bengali on a 360 x 740 screen, and the account it
makes is a Bengali one."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests.factories import PASSWORD

from .conftest import PHONE, fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bengali_phone(browser, live_server):
    """A phone whose browser asks for Bengali (Accept-Language: bn-BD); nobody touches the
    language switch."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="bn-BD")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.go = lambda path: page.goto(live_server.url + path)
    yield page
    context.close()


def test_signing_up_on_a_bengali_phone(bengali_phone, live_server):
    phone = bengali_phone
    phone.go("/accounts/signup/")
    assert phone.locator("html").get_attribute("lang") == "bn"
    assert phone.locator("select[name=language]").input_value() == "bn"
    assert fits_the_screen(phone)
    phone.fill("input[name=email]", "rina@example.com")
    phone.fill("input[name=display_name]", "Rina")
    phone.select_option("select[name=country]", label="বাংলাদেশ")
    phone.fill("input[name=password1]", "12345678")
    phone.fill("input[name=password2]", "12345678")
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state()
    text = phone.locator("main").inner_text()
    assert "এই পাসওয়ার্ডটি খুব সাধারণ।" in text and "too common" not in text
    assert fits_the_screen(phone)

    phone.fill("input[name=password1]", PASSWORD)
    phone.fill("input[name=password2]", PASSWORD)
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state()
    user = User.objects.get(email="rina@example.com")
    assert (user.language, user.country.code, user.zone) == ("bn", "BD", "Asia/Dhaka")

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    phone.go(link.group(1))
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "bn"
    assert "স্বাগতম" in phone.content() and "Rina" in phone.content()  # signed in, at home
    assert fits_the_screen(phone)
    phone.go("/me/profile/")  # the time zone list's longest names fit too
    assert phone.locator("select[name=time_zone]").input_value() == ""  # the country's
    assert fits_the_screen(phone)
