import pytest

from tests.factories import PASSWORD, UserFactory

from .conftest import fits_the_screen, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_logs_in_on_a_phone_and_switches_to_bengali(phone):
    UserFactory(email="karim@example.com", display_name="Karim")
    phone.go("/")
    assert fits_the_screen(phone)
    log_in(phone, "karim@example.com", PASSWORD)
    assert "Welcome, Karim" in phone.content()
    phone.click("button[value=bn]")
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "bn"
    assert "স্বাগতম" in phone.content()
    assert fits_the_screen(phone)
