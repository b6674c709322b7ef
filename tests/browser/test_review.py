"""Reviewing on a 360 x 740 phone in Chromium: the queue near the top, a submission approved in
place (no reload, the next one waiting comes into view), "select all", and the same review
with JavaScript off."""

import pytest

from payments.selectors import balances_of, ledger_violations
from tasks.models import AssignmentStatus
from tests.factories import PASSWORD, UserFactory

from ..tasks.api_helpers import SHOT_FIELDS, submitted
from ..tasks.helpers import active_campaign
from .conftest import PHONE, fits_the_screen, log_in, until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue():
    """Rahim's active campaign with three submissions waiting (Worker 0 first)."""
    from accounts.services import moderator_grant

    employer = UserFactory(email="rahim@example.com", display_name="Rahim Traders")
    moderator = moderator_grant(user=UserFactory(email="moderator@example.com"))
    campaign = active_campaign(
        employer, moderator, title="Review me", proof_fields=SHOT_FIELDS, positions=4
    )
    waiting = [
        submitted(employer, UserFactory(display_name=f"Worker {n}"), moderator, campaign=campaign)
        for n in range(3)
    ]
    return campaign, waiting


def test_reviewing_in_place_moves_to_the_next_and_select_all_ticks_every_one(phone, queue):
    campaign, waiting = queue
    log_in(phone, "rahim@example.com", PASSWORD)
    phone.go(f"/campaigns/{campaign.pk}/")
    assert fits_the_screen(phone)
    # The queue starts on the first screen, not half-way down the page.
    assert (
        phone.evaluate("document.getElementById('queue').getBoundingClientRect().top")
        < (PHONE["height"])
    )
    assert not phone.is_visible("#review-keys")  # no keys to speak of on a phone
    phone.evaluate("window.notReloaded = true")  # gone if the page reloads

    first, second = (f"#assignment-{a.pk}" for a in waiting[:2])
    phone.click(f"{first} button[name=action][value=approve]")
    phone.locator(first).filter(has_text="Approved: the worker is paid.").wait_for()
    assert phone.evaluate("window.notReloaded") is True
    assert phone.locator(f"{first} button").count() == 0
    # The next submission waiting comes into view, with the focus for the keys.
    until(
        phone,
        "(sel) => { const r = document.querySelector(sel).getBoundingClientRect();"
        " return r.top >= 0 && r.top < innerHeight / 2; }",
        second,
    )
    assert phone.evaluate("document.activeElement.id") == second[1:]
    waiting[0].refresh_from_db()
    assert waiting[0].status == AssignmentStatus.APPROVED
    assert balances_of(waiting[0].worker).available_cents == 50

    # Reject needs a reason: the card says so in place.
    phone.click(f"{second} button[name=action][value=reject]")
    phone.locator(f"{second} .errors").filter(has_text="Give the worker a reason.").wait_for()
    phone.fill(f"{second} textarea", "The screenshot shows another page")
    phone.click(f"{second} button[name=action][value=reject]")
    phone.locator(second).filter(has_text="Rejected. The worker sees your reason.").wait_for()

    phone.click("#select-all")
    boxes = phone.locator("input[name=ids]")
    assert boxes.count() == 1  # the one still waiting
    assert all(box.is_checked() for box in boxes.all())
    assert phone.text_content("#select-all") == "Select none"
    phone.click("#select-all")
    assert not any(box.is_checked() for box in boxes.all())
    assert phone.evaluate("window.notReloaded") is True
    assert fits_the_screen(phone)
    assert ledger_violations() == []


def test_select_all_and_review_work_without_javascript(browser, live_server, queue):
    campaign, waiting = queue
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.go = lambda path: page.goto(live_server.url + path)
    try:
        log_in(page, "rahim@example.com", PASSWORD)
        page.go(f"/campaigns/{campaign.pk}/")
        page.click("#select-all")
        page.wait_for_load_state()
        boxes = page.locator("input[name=ids]")
        assert boxes.count() == 3 and all(box.is_checked() for box in boxes.all())
        page.click(f"#assignment-{waiting[1].pk} button[name=action][value=approve]")
        page.wait_for_load_state()
        assert page.url.endswith(f"#assignment-{waiting[2].pk}")  # the next one waiting
        assert "Approved: the worker is paid." in page.content()
        waiting[1].refresh_from_db()
        assert waiting[1].status == AssignmentStatus.APPROVED
    finally:
        context.close()


def test_keys_review_on_a_computer_but_not_while_typing(browser, live_server, queue):
    campaign, waiting = queue
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.go = lambda path: page.goto(live_server.url + path)
    try:
        log_in(page, "rahim@example.com", PASSWORD)
        page.go(f"/campaigns/{campaign.pk}/")
        assert page.is_visible("#review-keys")  # the help line, on a computer only
        first, second = (f"assignment-{a.pk}" for a in waiting[:2])
        page.keyboard.press("n")
        assert page.evaluate("document.activeElement.id") == first
        page.click(f"#{first} textarea")
        page.keyboard.type("a")  # typing in a field: a letter, not a decision
        page.keyboard.press("Escape")  # back to the card
        waiting[0].refresh_from_db()
        assert waiting[0].status == AssignmentStatus.SUBMITTED
        page.fill(f"#{first} textarea", "")
        page.keyboard.press("Escape")
        page.keyboard.press("r")  # a rejection needs its reason first
        assert page.evaluate("document.activeElement.tagName") == "TEXTAREA"
        page.keyboard.press("Escape")
        page.keyboard.press("a")
        page.locator(f"#{first}").filter(has_text="Approved: the worker is paid.").wait_for()
        until(page, f"document.activeElement.id === '{second}'")
        waiting[0].refresh_from_db()
        assert waiting[0].status == AssignmentStatus.APPROVED
    finally:
        context.close()


def test_the_campaign_form_keeps_typed_proofs_and_names_the_minimum_reward(phone, queue):
    log_in(phone, "rahim@example.com", PASSWORD)
    phone.go("/campaigns/new/")
    phone.select_option("#id_category", label="Visit a website")
    phone.wait_for_load_state("networkidle")
    phone.fill("#id_proof-0_key", "price")
    phone.fill("#id_proof-0_label", "The price of bread")
    phone.fill("#id_reward", "0.01")
    phone.fill("#id_positions", "10")
    phone.locator("#id_reward_errors").filter(has_text="The smallest reward").wait_for()
    phone.select_option("#id_category", label="Write a review")
    phone.wait_for_load_state("networkidle")
    assert phone.input_value("#id_proof-0_key") == "price"  # not wiped
    assert phone.input_value("#id_proof-0_label") == "The price of bread"
    phone.fill("#id_reward", "0.50")
    phone.locator("#cost-preview").filter(has_text="$5.50").wait_for()
    assert phone.text_content("#id_reward_errors").strip() == ""
    phone.select_option("#id_countries_include", ["BD", "IN"])
    assert fits_the_screen(phone)
