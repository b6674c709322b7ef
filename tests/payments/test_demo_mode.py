"""Demo mode and the payment configuration rule: pretend money is only ever shown as such,
and none of it leaves Kaaj.

How the production settings refuse to import is in tests/test_settings_deploy.py; here, the
deploy check on whatever settings are loaded, the banner, the sandbox page, and withdrawals
refused by the service, the API, the pages and the moderators' queue.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from payments.checks import payments_configuration_check
from payments.models import Movement, MovementKind, Payout, PayoutStatus
from payments.selectors import balances_of, ledger_violations
from payments.services import (
    deposit_start,
    payout_mark_paid,
    payout_method_add,
    payout_reject,
    payout_request,
    payout_send,
    payouts_retry_stuck,
    payouts_send_requested,
)
from tests.refusals import refused

from .helpers import give

LIVE_KEY = "sk_live_" + "0" * 24
TEST_KEY = "sk_test_" + "0" * 24
WEBHOOK_SECRET = "whsec_" + "0" * 32
BANNER = "Demo: no real money."


def check_ids(settings, **payment_settings) -> list[str]:
    for name, value in payment_settings.items():
        setattr(settings, name, value)
    return [message.id for message in payments_configuration_check()]


# --- The deploy check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment_settings", "expected"),
    [
        ({"PAYMENTS_PROVIDER": "sandbox", "KAAJ_DEMO_MODE": False}, ["payments.E003"]),
        ({"PAYMENTS_PROVIDER": "sandbox", "KAAJ_DEMO_MODE": True}, []),
        ({"PAYMENTS_PROVIDER": "paypal", "KAAJ_DEMO_MODE": True}, ["payments.E001"]),
        (
            {"PAYMENTS_PROVIDER": "stripe", "STRIPE_SECRET_KEY": LIVE_KEY},
            ["payments.E004"],  # no webhook secret: deposits could never be credited
        ),
        (
            {"PAYMENTS_PROVIDER": "stripe", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET},
            ["payments.E004"],
        ),
        (
            {
                "PAYMENTS_PROVIDER": "stripe",
                "STRIPE_SECRET_KEY": LIVE_KEY,
                "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            },
            [],
        ),
        (
            {
                "PAYMENTS_PROVIDER": "stripe",
                "STRIPE_SECRET_KEY": "rk_live_" + "0" * 24,
                "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            },
            [],
        ),
        (  # test-mode deposits are test cards: pretend money, so a demo or nothing
            {
                "PAYMENTS_PROVIDER": "stripe",
                "STRIPE_SECRET_KEY": TEST_KEY,
                "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            },
            ["payments.E005"],
        ),
        (
            {
                "PAYMENTS_PROVIDER": "stripe",
                "STRIPE_SECRET_KEY": TEST_KEY,
                "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "KAAJ_DEMO_MODE": True,
            },
            [],
        ),
        (  # a demo never holds a live key, whichever provider it names
            {"PAYMENTS_PROVIDER": "sandbox", "STRIPE_SECRET_KEY": LIVE_KEY, "KAAJ_DEMO_MODE": True},
            ["payments.E002"],
        ),
        (
            {
                "PAYMENTS_PROVIDER": "stripe",
                "STRIPE_SECRET_KEY": LIVE_KEY,
                "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "KAAJ_DEMO_MODE": True,
            },
            ["payments.E002"],
        ),
    ],
)
def test_the_deploy_check_refuses_every_configuration_that_could_mint_money(
    settings, payment_settings, expected
):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    settings.KAAJ_DEMO_MODE = False
    assert check_ids(settings, **payment_settings) == expected


def test_check_deploy_fails_on_the_sandbox_without_demo_mode(settings):
    settings.PAYMENTS_PROVIDER, settings.KAAJ_DEMO_MODE = "sandbox", False
    with pytest.raises(SystemCheckError, match=r"payments\.E003.*KAAJ_DEMO_MODE=true"):
        call_command("check", deploy=True)


def test_check_deploy_accepts_the_sandbox_in_demo_mode(settings, capsys):
    settings.PAYMENTS_PROVIDER, settings.KAAJ_DEMO_MODE = "sandbox", True
    call_command("check", deploy=True)  # warnings about test settings are not errors
    assert "payments.E" not in capsys.readouterr().err


def test_a_plain_check_leaves_development_alone(settings):
    settings.PAYMENTS_PROVIDER, settings.KAAJ_DEMO_MODE = "sandbox", False
    call_command("check")  # the rule is a deploy check: development keeps its sandbox


# --- The banner -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["home", "payments:wallet", "payments:withdraw", "payments:deposit_new"]
)
def test_demo_mode_puts_the_banner_on_every_page(client, worker, settings, name):
    settings.KAAJ_DEMO_MODE = True
    client.force_login(worker)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'class="demo-banner"' in response.text
    assert BANNER in response.text
    assert "Deposits are pretend and withdrawals are off." in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "payments:wallet"])
def test_without_demo_mode_there_is_no_banner(client, worker, settings, name):
    settings.KAAJ_DEMO_MODE = False
    client.force_login(worker)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "demo-banner" not in response.text
    assert BANNER not in response.text


@pytest.mark.django_db
def test_anonymous_visitors_see_the_banner_too(client, settings):
    settings.KAAJ_DEMO_MODE = True
    assert BANNER in client.get(reverse("home")).text


def test_the_banner_is_styled_in_the_stylesheet_not_inline():
    from django.conf import settings as django_settings

    stylesheet = (django_settings.PACKAGE_DIR / "static" / "css" / "kaaj.css").read_text()
    template = (django_settings.PACKAGE_DIR / "templates" / "base.html").read_text()
    assert ".demo-banner {" in stylesheet
    banner_line = next(line for line in template.splitlines() if "demo-banner" in line)
    assert "style=" not in banner_line


# --- The sandbox page -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("demo", [True, False])
def test_the_sandbox_page_says_pretend_money_in_demo_mode(client, employer, settings, demo):
    settings.PAYMENTS_PROVIDER, settings.KAAJ_DEMO_MODE = "sandbox", demo
    deposit = deposit_start(user=employer, amount_cents=1_000_000)
    client.force_login(employer)
    page = client.get(reverse("payments:deposit_sandbox_checkout", args=[deposit.pk])).text
    assert ('class="demo-stamp"' in page) is demo
    assert ("Add pretend money" in page) is demo
    assert ("it can never be withdrawn" in page) is demo


# --- Withdrawals are off --------------------------------------------------------------------


@pytest.fixture
def funded_worker(worker):
    give(worker, 50_000)
    return worker


@pytest.fixture
def bkash(funded_worker):
    return payout_method_add(user=funded_worker, kind="bkash", destination="01712345678")


@pytest.fixture
def demo(settings):
    settings.KAAJ_DEMO_MODE = True
    return settings


def untouched(worker) -> bool:
    """Nothing left the wallet: the full balance is available, no payout, no reservation, and
    the books still balance."""
    balances = balances_of(worker)
    return (
        balances.available_cents == 50_000
        and balances.payout_cents == 0
        and not Payout.objects.exists()
        and not Movement.objects.filter(kind=MovementKind.PAYOUT_RESERVE).exists()
        and ledger_violations() == []
    )


@pytest.mark.django_db
def test_the_payout_service_refuses_in_demo_mode(demo, funded_worker, bkash):
    with refused("payouts_disabled") as refusal:
        payout_request(user=funded_worker, method=bkash, amount_cents=10_000)
    assert refusal.value.status == 403
    assert untouched(funded_worker)


@pytest.mark.django_db
def test_the_payout_service_still_pays_outside_demo_mode(settings, funded_worker, bkash):
    settings.KAAJ_DEMO_MODE = False  # development and tests keep their sandbox withdrawals
    payout = payout_request(user=funded_worker, method=bkash, amount_cents=10_000)
    assert payout.status == PayoutStatus.REQUESTED
    assert balances_of(funded_worker).payout_cents == 10_000


@pytest.mark.django_db
def test_the_api_refuses_a_payout_in_demo_mode(demo, api_client, funded_worker, bkash):
    api_client.force_authenticate(funded_worker)
    response = api_client.post(
        "/api/v1/payouts/", {"amount_cents": 10_000, "method": bkash.pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "payouts_disabled"
    assert "withdrawals are off" in response.json()["detail"]
    assert untouched(funded_worker)


@pytest.mark.django_db
def test_the_withdraw_page_hides_its_form_in_demo_mode(demo, client, funded_worker, bkash):
    client.force_login(funded_worker)
    page = client.get(reverse("payments:withdraw")).text
    assert "withdrawals are off" in page
    assert 'name="amount"' not in page


@pytest.mark.django_db
def test_a_withdrawal_posted_anyway_is_refused_with_the_message(demo, client, funded_worker, bkash):
    client.force_login(funded_worker)
    response = client.post(reverse("payments:withdraw"), {"amount": "100", "method": bkash.pk})
    assert response.status_code == 400
    assert "withdrawals are off" in response.text
    assert untouched(funded_worker)


@pytest.fixture
def requested_before_demo(settings, funded_worker, bkash):
    """A bKash payout requested while payouts were on, as a deployment switched to demo
    mode might still hold."""
    settings.KAAJ_DEMO_MODE = False
    payout = payout_request(user=funded_worker, method=bkash, amount_cents=10_000)
    settings.KAAJ_DEMO_MODE = True
    return payout


def still_requested(payout) -> bool:
    payout.refresh_from_db()
    return (
        payout.status == PayoutStatus.REQUESTED
        and not Movement.objects.filter(kind=MovementKind.PAYOUT_SETTLE).exists()
        and balances_of(payout.user).payout_cents == payout.amount_cents
        and ledger_violations() == []
    )


@pytest.mark.django_db
def test_moderators_cannot_mark_a_payout_paid_in_demo_mode(requested_before_demo, moderator):
    with refused("payouts_disabled"):
        payout_mark_paid(payout=requested_before_demo, reference="BK123", by=moderator)
    assert still_requested(requested_before_demo)


@pytest.mark.django_db
def test_the_queue_page_hides_mark_paid_and_refuses_it_in_demo_mode(
    client, requested_before_demo, moderator
):
    client.force_login(moderator)
    queue = client.get(reverse("moderation:payouts")).text
    assert "withdrawals are off" in queue
    assert reverse("moderation:payout_mark_paid", args=[requested_before_demo.pk]) not in (queue)
    response = client.post(
        reverse("moderation:payout_mark_paid", args=[requested_before_demo.pk]),
        {"reference": "BK123"},
    )
    assert response.status_code == 400
    assert "withdrawals are off" in response.text
    assert still_requested(requested_before_demo)


@pytest.mark.django_db
def test_the_moderation_api_refuses_mark_paid_in_demo_mode(
    api_client, requested_before_demo, moderator
):
    api_client.force_authenticate(moderator)
    response = api_client.post(
        f"/api/v1/moderation/payouts/{requested_before_demo.pk}/mark-paid/",
        {"reference": "BK123"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "payouts_disabled"
    assert still_requested(requested_before_demo)


@pytest.mark.django_db
def test_a_payout_can_still_be_rejected_in_demo_mode(requested_before_demo, moderator):
    payout_reject(payout=requested_before_demo, reason="This is a demo.", by=moderator)
    assert balances_of(requested_before_demo.user).available_cents == 50_000
    assert ledger_violations() == []


class NeverCalled:
    name = "never"

    def send(self, payout):
        raise AssertionError("a provider was called in demo mode")


@pytest.mark.django_db
def test_the_payout_jobs_send_nothing_in_demo_mode(settings, funded_worker):
    settings.KAAJ_DEMO_MODE = False
    stripe = payout_method_add(user=funded_worker, kind="stripe", destination="acct_1Kaaj2Demo3")
    payout = payout_request(user=funded_worker, method=stripe, amount_cents=10_000)
    settings.KAAJ_DEMO_MODE = True
    assert payout_send(payout_id=payout.pk, provider=NeverCalled()) is None
    assert payouts_send_requested(provider=NeverCalled()) == 0
    assert payouts_retry_stuck(provider=NeverCalled()) == 0
    assert still_requested(payout)
