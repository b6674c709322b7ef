"""seed_demo tops demo employers up through real sandbox deposits, once."""

import pytest
from django.core.management import call_command

from accounts.models import User
from payments.models import Deposit, DepositStatus, WebhookEvent
from payments.selectors import balances_of, ledger_violations

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    settings.DEPOSIT_MINIMUM_CENTS = 500


def employers():
    return User.objects.filter(email__startswith="employer").order_by("email")


def test_seed_demo_gives_each_employer_the_balance_through_a_sandbox_deposit(capsys):
    call_command("seed_demo", campaigns=0, employers=2, workers=1, employer_balance_cents=10_000)
    for employer in employers():
        assert balances_of(employer).available_cents == 10_000
        deposit = Deposit.objects.get(user=employer)
        assert (deposit.status, deposit.provider) == (DepositStatus.PAID, "sandbox")
    assert WebhookEvent.objects.filter(type="checkout.session.completed").count() == 2
    assert not Deposit.objects.filter(user__email__startswith="worker").exists()
    out = capsys.readouterr().out
    assert "employer1@demo.kaaj.test: balance $100.00 (deposited #" in out
    assert ledger_violations() == []


def test_seed_demo_twice_deposits_nothing_new(capsys):
    call_command("seed_demo", campaigns=0, employers=2, workers=1)
    capsys.readouterr()
    call_command("seed_demo", campaigns=0, employers=2, workers=1)
    assert Deposit.objects.count() == 2
    assert [balances_of(e).available_cents for e in employers()] == [10_000, 10_000]
    assert capsys.readouterr().out.count("nothing to deposit") == 2


def test_seed_demo_tops_up_only_the_difference():
    call_command("seed_demo", campaigns=0, employers=1, workers=0, employer_balance_cents=6_000)
    call_command("seed_demo", campaigns=0, employers=1, workers=0, employer_balance_cents=10_000)
    employer = employers().get()
    assert balances_of(employer).available_cents == 10_000
    assert sorted(Deposit.objects.values_list("amount_cents", flat=True)) == [4_000, 6_000]


def test_a_gap_below_the_minimum_deposits_the_minimum():
    call_command("seed_demo", campaigns=0, employers=1, workers=0, employer_balance_cents=9_900)
    call_command("seed_demo", campaigns=0, employers=1, workers=0, employer_balance_cents=10_000)
    assert balances_of(employers().get()).available_cents == 10_400


def test_seed_demo_never_deposits_through_a_real_provider(settings, capsys):
    settings.PAYMENTS_PROVIDER, settings.STRIPE_SECRET_KEY = "stripe", "sk_test_x"
    call_command("seed_demo", campaigns=0, employers=1, workers=0)
    assert not Deposit.objects.exists()
    assert "a real payment provider is configured" in capsys.readouterr().out
