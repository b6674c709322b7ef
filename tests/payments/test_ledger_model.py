"""A Hypothesis state machine over Kaaj's money, checked against a plain reference model.

Random sequences of funding, approvals (some repeated), refunds, bonuses and adjustments
run against the real services on PostgreSQL; after every step the real balances must equal
the model's and ``ledger_violations()`` must be empty. Each example runs in a savepoint that
is rolled back, so examples start from empty books.
"""

import uuid
from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from accounts.models import User
from payments import services
from payments.models import AccountKind
from payments.money import fee_for
from payments.selectors import account_balance, balances_of, ledger_violations
from payments.services.ledger import Leg, Posting, ledger_post, system_account, wallet_account

cents = st.integers(min_value=1, max_value=5_000)


class LedgerMachine(RuleBasedStateMachine):
    campaigns = Bundle("campaigns")
    approvals = Bundle("approvals")

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.model = Counter()  # (user index, "wallet") -> cents
        self.escrow = Counter()  # campaign id -> cents
        self.fees = 0
        self.paid = set()  # assignment ids already paid
        self.next_id = 1

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize()
    def people(self):
        self.users = [
            User.objects.create_user(email=f"{uuid.uuid4().hex}@model.test") for _ in range(3)
        ]

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    # --- rules ---------------------------------------------------------------------------

    @rule(user=st.integers(0, 2), amount=cents)
    def money_comes_in(self, user, amount):
        key = f"model:in:{self._id()}"
        ledger_post(
            Posting(
                kind="deposit",
                idempotency_key=key,
                reference=key,
                legs=(
                    Leg(
                        system_account(AccountKind.DEPOSITS, "model"),
                        wallet_account(self.users[user]),
                        amount,
                    ),
                ),
            )
        )
        self.model[user, "wallet"] += amount

    @rule(target=campaigns, employer=st.integers(0, 2), amount=cents)
    def fund(self, employer, amount):
        campaign = (self._id(), employer)
        try:
            services.escrow_fund(
                campaign_id=campaign[0],
                employer=self.users[employer],
                amount_cents=amount,
                event="launch",
                by=None,
            )
        except services.InsufficientFunds:
            assert self.model[employer, "wallet"] < amount
            return multiple()
        assert self.model[employer, "wallet"] >= amount
        self.model[employer, "wallet"] -= amount
        self.escrow[campaign] += amount
        return campaign

    @rule(
        target=approvals, campaign=campaigns, worker=st.integers(0, 2), reward=st.integers(1, 500)
    )
    def approve(self, campaign, worker, reward):
        assignment = self._id()
        self._pay(campaign, worker, reward, assignment)
        return (campaign, worker, reward, assignment)

    @rule(approval=approvals)
    def approve_again(self, approval):
        """A retried approval (a double click, a job run twice) pays nothing more."""
        self._pay(*approval)

    def _pay(self, campaign, worker, reward, assignment):
        campaign_id, employer = campaign
        fee = fee_for(reward)
        payment = services.TaskPayment(
            assignment_id=assignment,
            campaign_id=campaign_id,
            employer=self.users[employer],
            worker=self.users[worker],
            reward_cents=reward,
            fee_cents=fee,
        )
        if assignment in self.paid:
            _, created = services.escrow_pay(payment=payment, by=None)
            assert not created
            return
        try:
            services.escrow_pay(payment=payment, by=None)
        except services.InsufficientFunds:
            assert self.escrow[campaign] < reward + fee
            return
        self.paid.add(assignment)
        self.escrow[campaign] -= reward + fee
        self.model[worker, "wallet"] += reward
        self.fees += fee

    @rule(campaign=consumes(campaigns))
    def refund_the_rest(self, campaign):
        campaign_id, employer = campaign
        remaining = self.escrow.pop(campaign, 0)
        if remaining:
            services.escrow_refund(
                campaign_id=campaign_id,
                employer=self.users[employer],
                amount_cents=remaining,
                event="cancel",
                by=None,
            )
            self.model[employer, "wallet"] += remaining

    @rule(giver=st.integers(0, 2), taker=st.integers(0, 2), amount=st.integers(1, 300))
    def bonus(self, giver, taker, amount):
        if giver == taker:
            return
        fee = fee_for(amount)
        try:
            services.bonus_transfer(
                employer=self.users[giver],
                worker=self.users[taker],
                amount_cents=amount,
                event=f"model:{self._id()}",
                by=self.users[giver],
            )
        except services.InsufficientFunds:
            assert self.model[giver, "wallet"] < amount + fee
            return
        self.model[giver, "wallet"] -= amount + fee
        self.model[taker, "wallet"] += amount
        self.fees += fee

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def balances_match_the_model(self):
        if not hasattr(self, "users"):
            return
        for index, user in enumerate(self.users):
            real = balances_of(user)
            assert real.available_cents == self.model[index, "wallet"]
            assert real.escrow_cents == sum(
                cents for (_, employer), cents in self.escrow.items() if employer == index
            )
        assert account_balance(system_account(AccountKind.FEES)) == self.fees

    @invariant()
    def the_books_balance(self):
        assert ledger_violations() == []


@pytest.mark.django_db
def test_money_behaves_like_the_reference_model():
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
