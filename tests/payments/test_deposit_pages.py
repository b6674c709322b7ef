"""Deposit pages: the form, the return pages, the sandbox checkout and the webhook endpoint."""

import pytest
from django.test import Client
from django.urls import reverse

from payments import checkout
from payments.models import Deposit, DepositStatus, WebhookEvent
from payments.selectors import balances_of

from .test_deposits import RecordingProvider, event_payload, open_deposit

pytestmark = pytest.mark.django_db

NEW_URL = "/money/deposits/new/"
WEBHOOK_URL = "/money/webhooks/stripe/"


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    settings.DEPOSIT_MINIMUM_CENTS = 500


def sandbox_url(deposit):
    return reverse("payments:deposit_sandbox_checkout", args=[deposit.pk])


def test_wallet_links_to_the_deposit_form(client, employer):
    client.force_login(employer)
    assert NEW_URL in client.get("/money/wallet/").content.decode()


def test_the_form_shows_the_minimum(client, employer):
    client.force_login(employer)
    response = client.get(NEW_URL)
    assert response.status_code == 200
    assert "At least $5.00" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(NEW_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(NEW_URL, {"amount": "10.00"}).status_code == 302
    assert not Deposit.objects.exists()


def test_the_form_starts_a_deposit_and_sends_the_employer_to_the_checkout(client, employer):
    client.force_login(employer)
    response = client.post(NEW_URL, {"amount": "12.50"})
    deposit = Deposit.objects.get()
    assert (deposit.user, deposit.amount_cents, deposit.status) == (
        employer,
        1_250,
        DepositStatus.OPEN,
    )
    assert response.status_code == 302
    assert response["Location"] == f"http://testserver{sandbox_url(deposit)}"


@pytest.mark.parametrize(
    ("amount", "message"),
    [("4.99", "The smallest deposit is $5.00."), ("ten", "Enter an amount such as 10.00.")],
)
def test_a_bad_amount_is_explained_next_to_the_field(client, employer, amount, message):
    client.force_login(employer)
    response = client.post(NEW_URL, {"amount": amount})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_amount_errors"' in html
    errors = html.split('id="id_amount_errors"', 1)[1].split("</div>", 1)[0]
    assert message in errors
    assert not Deposit.objects.exists()


def test_a_provider_failure_is_a_message_not_an_error_page(client, employer, monkeypatch):
    monkeypatch.setattr(checkout, "checkout_provider", lambda: RecordingProvider(fail=True))
    client.force_login(employer)
    response = client.post(NEW_URL, {"amount": "10.00"}, follow=True)
    assert response.status_code == 200
    assert "payment provider is not answering" in response.content.decode()
    assert Deposit.objects.get().status == DepositStatus.FAILED


def test_the_deposit_form_needs_a_csrf_token(employer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(employer)
    assert client.post(NEW_URL, {"amount": "10.00"}).status_code == 403
    assert not Deposit.objects.exists()


def test_sandbox_checkout_confirm_credits_the_owner(client, employer):
    client.force_login(employer)
    client.post(NEW_URL, {"amount": "10.00"})
    deposit = Deposit.objects.get()
    page = client.get(sandbox_url(deposit))
    assert page.status_code == 200 and "$10.00" in page.content.decode()

    response = client.post(sandbox_url(deposit), {"action": "confirm"})
    assert response["Location"] == reverse("payments:deposit_success", args=[deposit.pk])
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.PAID
    assert balances_of(employer).available_cents == 1_000
    assert "The money is in your wallet." in client.get(response["Location"]).content.decode()

    # Posting again (a double click, the back button) adds nothing.
    client.post(sandbox_url(deposit), {"action": "confirm"})
    assert balances_of(employer).available_cents == 1_000


def test_sandbox_checkout_cancel_expires_the_deposit(client, employer):
    client.force_login(employer)
    client.post(NEW_URL, {"amount": "10.00"})
    deposit = Deposit.objects.get()
    response = client.post(sandbox_url(deposit), {"action": "cancel"})
    assert response["Location"] == reverse("payments:deposit_cancel", args=[deposit.pk])
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.EXPIRED
    assert balances_of(employer).available_cents == 0
    assert "Expired" in client.get(response["Location"]).content.decode()


def test_sandbox_checkout_is_the_owners_only(client, employer, outsider):
    deposit = open_deposit(employer)
    client.force_login(outsider)
    assert client.get(sandbox_url(deposit)).status_code == 404
    assert client.post(sandbox_url(deposit), {"action": "confirm"}).status_code == 404
    assert balances_of(employer).available_cents == 0
    assert balances_of(outsider).available_cents == 0


def test_sandbox_checkout_needs_login_and_csrf(employer):
    deposit = open_deposit(employer)
    anonymous = Client()
    assert anonymous.post(sandbox_url(deposit), {"action": "confirm"}).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(employer)
    assert strict.post(sandbox_url(deposit), {"action": "confirm"}).status_code == 403
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.OPEN


def test_sandbox_checkout_is_closed_for_stripe_deposits(client, employer, settings):
    deposit = open_deposit(employer, provider="stripe")
    client.force_login(employer)
    assert client.post(sandbox_url(deposit), {"action": "confirm"}).status_code == 404
    settings.PAYMENTS_PROVIDER = "stripe"
    sandbox = open_deposit(employer, provider="sandbox")
    assert client.post(sandbox_url(sandbox), {"action": "confirm"}).status_code == 404
    assert balances_of(employer).available_cents == 0


@pytest.mark.parametrize("name", ["deposit_success", "deposit_cancel"])
def test_return_pages_show_the_real_status_to_the_owner_only(client, employer, outsider, name):
    deposit = open_deposit(employer)
    url = reverse(f"payments:{name}", args=[deposit.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(employer)
    page = client.get(url).content.decode()
    assert "Waiting for payment" in page
    assert Client().get(url).status_code == 302


def test_the_success_page_waits_for_the_webhook_and_never_credits(client, employer):
    deposit = open_deposit(employer)
    client.force_login(employer)
    page = client.get(reverse("payments:deposit_success", args=[deposit.pk])).content.decode()
    assert 'http-equiv="refresh"' in page
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.OPEN
    assert balances_of(employer).available_cents == 0


def test_the_webhook_endpoint_credits_a_signed_event(client, employer):
    deposit = open_deposit(employer, provider="stripe")
    payload = event_payload(deposit)
    response = client.post(
        WEBHOOK_URL,
        payload,
        content_type="application/json",
        headers={"Stripe-Signature": checkout.signature_header(payload)},
    )
    assert response.status_code == 200
    assert balances_of(employer).available_cents == 2_500
    again = client.post(
        WEBHOOK_URL,
        payload,
        content_type="application/json",
        headers={"Stripe-Signature": checkout.signature_header(payload)},
    )
    assert again.status_code == 200
    assert balances_of(employer).available_cents == 2_500


def test_the_webhook_endpoint_refuses_a_bad_signature_with_400(employer):
    deposit = open_deposit(employer, provider="stripe")
    payload = event_payload(deposit)
    client = Client(enforce_csrf_checks=True)  # Stripe sends no CSRF token: not needed
    bad = checkout.signature_header(payload, secret="whsec_wrong")
    for headers in ({"Stripe-Signature": bad}, {}):
        response = client.post(
            WEBHOOK_URL, payload, content_type="application/json", headers=headers
        )
        assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert balances_of(employer).available_cents == 0


def test_the_webhook_endpoint_is_post_only(client):
    assert client.get(WEBHOOK_URL).status_code == 405


def test_the_webhook_endpoint_needs_no_csrf_token(employer):
    deposit = open_deposit(employer, provider="stripe")
    payload = event_payload(deposit)
    response = Client(enforce_csrf_checks=True).post(
        WEBHOOK_URL,
        payload,
        content_type="application/json",
        headers={"Stripe-Signature": checkout.signature_header(payload)},
    )
    assert response.status_code == 200
    assert balances_of(employer).available_cents == 2_500
