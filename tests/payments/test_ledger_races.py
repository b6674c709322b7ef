"""Races on real PostgreSQL: threads with their own connections, started together."""

import pytest

from payments import services
from payments.models import Movement
from payments.selectors import balances_of, ledger_violations

from .helpers import give, run_together
from .test_ledger import payment

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_approvals_never_pay_more_than_the_escrow_holds(employer, worker):
    give(employer, 10_000)
    # Escrow for 5 tasks of 100 + 10 fee; 8 approvals race for them.
    services.escrow_fund(
        campaign_id=1, employer=employer, amount_cents=550, event="launch", by=employer
    )
    results = run_together(
        8,
        lambda i: services.escrow_pay(
            payment=payment(employer, worker, assignment_id=100 + i), by=None
        ),
    )
    paid = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, services.InsufficientFunds)]
    assert (len(paid), len(refused)) == (5, 3)
    assert balances_of(worker).available_cents == 500
    assert balances_of(employer).escrow_cents == 0
    assert ledger_violations() == []


def test_the_same_approval_from_many_threads_pays_once(employer, worker):
    give(employer, 1_000)
    services.escrow_fund(
        campaign_id=1, employer=employer, amount_cents=1_000, event="launch", by=employer
    )
    results = run_together(
        6,
        lambda i: services.escrow_pay(payment=payment(employer, worker, assignment_id=7), by=None),
    )
    assert [r[1] for r in results].count(True) == 1, results
    assert len({r[0].pk for r in results}) == 1
    assert Movement.objects.filter(kind="task_payment").count() == 1
    assert balances_of(worker).available_cents == 100
    assert ledger_violations() == []


def test_opposite_transfers_between_two_wallets_do_not_deadlock(employer, worker):
    give(employer, 1_000, key="a")
    give(worker, 1_000, key="b")

    def bonus(i):
        giver, taker = (employer, worker) if i % 2 else (worker, employer)
        return services.bonus_transfer(
            employer=giver, worker=taker, amount_cents=10, event=f"race:{i}", by=giver
        )

    results = run_together(10, bonus)
    assert not [r for r in results if isinstance(r, Exception)], results
    total = balances_of(employer).available_cents + balances_of(worker).available_cents
    assert total == 2_000 - 10 * 1  # ten bonuses, each with a 1-cent fee
    assert ledger_violations() == []
