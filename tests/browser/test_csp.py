"""The Content-Security-Policy in a real browser: the guard in conftest.py catches a violation,
and the site, the API docs and the admin work under the policy without one."""

import pytest

from payments import checkout
from payments.models import Deposit, DepositStatus
from tests.factories import PASSWORD, UserFactory, two_step_on
from webhooks.models import Endpoint
from workers.claims import task_claim

from ..payments.test_deposit_stripe import FakeStripeHttp, stripe_provider
from ..tasks.dispute_helpers import disputed
from ..tasks.helpers import active_campaign
from .conftest import fits_the_screen, log_in, until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_guard_fails_a_test_whose_page_breaks_the_policy(phone, live_server):
    """The home page as served, with its real header, plus an inline script and style."""

    def add_inline_code(route):
        response = route.fetch()
        body = response.text().replace(
            "</main>",
            '<script>document.title = "inline ran"</script>'
            '<p id="painted" style="color: rgb(255, 0, 0)">x</p></main>',
        )
        route.fulfill(response=response, body=body)

    phone.route(live_server.url + "/", add_inline_code)
    phone.go("/")
    assert phone.title() != "inline ran"
    assert phone.eval_on_selector("#painted", "e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    seen = "\n".join(phone.csp.violations)
    assert "script-src" in seen
    assert "style-src" in seen
    with pytest.raises(pytest.fail.Exception, match="Content Security Policy"):
        phone.csp.check()
    phone.csp.violations.clear()  # seen and checked: this test itself passes


@pytest.fixture
def people():
    from accounts.services import moderator_grant

    employer = UserFactory(email="rahim@example.com", display_name="Rahim Traders", country="BD")
    worker = UserFactory(email="karim@example.com", display_name="Karim", country="BD")
    moderator = two_step_on(moderator_grant(user=UserFactory(email="moderator@example.com")))
    return employer, worker, moderator


def visit(phone, path, *, on_a_phone=True):
    response = phone.go(path)
    assert response.ok, f"{path}: {response.status}"
    if on_a_phone:
        assert fits_the_screen(phone), path


def test_every_kind_of_page_works_under_the_policy(phone, people):
    employer, worker, moderator = people
    dispute = disputed(employer, worker, moderator, title="Sign up and tell us your name")
    campaign = active_campaign(employer, moderator, title="Follow our page", positions=2)
    doing = task_claim(campaign=campaign, worker=worker)
    endpoint = Endpoint.objects.create(employer=employer, url="https://hooks.example.com/kaaj")

    log_in(phone, "karim@example.com", PASSWORD)
    for path in [
        "/",
        "/work/",
        f"/work/campaigns/{campaign.pk}/",
        f"/work/assignments/{doing.pk}/",
        f"/work/assignments/{dispute.assignment_id}/",
        "/money/wallet/",
        "/money/withdraw/",
        "/money/payout-methods/",
        "/money/payouts/",
        "/notifications/",
        "/notifications/preferences/",
        "/me/profile/",
        "/work/mine/",
    ]:
        visit(phone, path)
    # countdown.js (a file, not an inline script) turns the deadline into a live countdown.
    countdown = phone.locator("[data-countdown]").first.element_handle()
    until(phone, "e => /^\\(\\d+:\\d\\d left\\)$/.test(e.textContent)", countdown)
    assert fits_the_screen(phone)
    phone.context.clear_cookies()

    log_in(phone, "rahim@example.com", PASSWORD)
    for path in [
        "/campaigns/",
        "/campaigns/new/",
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{dispute.assignment.campaign_id}/",
        "/disputes/",
        f"/disputes/{dispute.pk}/",
        "/webhooks/",
        f"/webhooks/{endpoint.pk}/",
        "/money/deposits/new/",
    ]:
        visit(phone, path)
    phone.context.clear_cookies()

    log_in(phone, "moderator@example.com", PASSWORD)
    for path in [
        "/moderation/",
        "/moderation/flags/",
        "/moderation/suspensions/",
        "/moderation/users/",
        f"/moderation/users/{worker.pk}/",
        "/moderation/audit/",
        "/moderation/campaigns/",
        "/moderation/disputes/",
        f"/moderation/disputes/{dispute.pk}/",
        "/moderation/payouts/",
        "/moderation/adjustments/",
    ]:
        visit(phone, path)
    # The guard (conftest.py) fails this test at teardown if any page broke the policy.


def test_the_api_docs_work_under_the_policy(phone):
    visit(phone, "/api/docs/", on_a_phone=False)
    phone.locator(".swagger-ui .info .title").filter(has_text="Kaaj API").wait_for()
    phone.locator(".opblock-summary-path").first.wait_for()
    assert phone.locator(".opblock").count() > 20


def test_the_admin_works_under_the_policy(phone, people):
    employer, worker, moderator = people
    campaign = active_campaign(employer, moderator, title="Follow our page")
    UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    log_in(phone, "admin@example.com", PASSWORD)
    for path in [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{worker.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/tasks/campaign/",
        f"/admin/tasks/campaign/{campaign.pk}/change/",
        "/admin/auth/group/add/",
    ]:
        visit(phone, path, on_a_phone=False)
    phone.go("/admin/accounts/user/")
    phone.click("#action-toggle")  # the changelist's own script selects every row
    assert phone.locator("input.action-select:checked").count() >= 4


def test_a_sandbox_deposit_is_paid_under_the_policy(phone):
    user = UserFactory(email="rahim@example.com")
    log_in(phone, "rahim@example.com", PASSWORD)
    phone.go("/money/deposits/new/")
    phone.fill("input[name=amount]", "10")
    phone.click("main form button[type=submit]")
    phone.click("button[value=confirm]")
    phone.wait_for_load_state()
    assert Deposit.objects.get(user=user).status == DepositStatus.PAID


def test_a_deposit_goes_on_to_stripe_checkout_under_the_policy(phone, monkeypatch):
    """The form posts to Kaaj, which redirects to Stripe's page: form-action must allow it."""
    monkeypatch.setattr(
        checkout, "checkout_provider", lambda name=None: stripe_provider(FakeStripeHttp())
    )
    phone.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(content_type="text/html", body="<h1>Stripe Checkout</h1>"),
    )
    UserFactory(email="rahim@example.com")
    log_in(phone, "rahim@example.com", PASSWORD)
    phone.go("/money/deposits/new/")
    phone.fill("input[name=amount]", "10")
    phone.click("main form button[type=submit]")
    phone.wait_for_url("https://checkout.stripe.com/c/pay/cs_test_a1b2c3")
    assert phone.locator("h1").inner_text() == "Stripe Checkout"


def test_the_account_pages_work_under_the_policy(phone):
    from allauth.account.models import EmailAddress

    for path in ["/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]:
        visit(phone, path)
    user = UserFactory(email="karim@example.com")
    log_in(phone, "karim@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email="karim.new@example.com", verified=False)
    for path in ["/accounts/password/change/", "/accounts/email/"]:
        visit(phone, path)
    # The pending change's own little form is hidden by the stylesheet, not a style attribute.
    assert not phone.locator("form#pending-email").is_visible()
    phone.click("button[name=action_send]")
    phone.wait_for_load_state()
    assert "karim.new@example.com" in phone.content()
