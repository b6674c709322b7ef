"""A Hypothesis state machine over Kaaj's money, checked against a plain reference model.

Random sequences of deposits (their webhook events duplicated and reordered), funding,
approvals (some repeated), refunds, bonuses, withdrawals and payouts that succeed, fail or
end unknown and are retried run against the real services on PostgreSQL; after every step
the real balances must equal the model's and ``ledger_violations()`` must be empty. Each
example runs in a savepoint that is rolled back, so examples start from empty books.
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
from core.errors import DomainError
from core.money import fee_for
from payments import checkout, services
from payments.models import AccountKind, PayoutStatus
from payments.selectors import account_balance, balances_of, ledger_violations
from payments.services.ledger import Leg, Posting, ledger_post, system_account, wallet_account
from payments.transfers import Outcome

cents = st.integers(min_value=1, max_value=5_000)

# What a checkout can send, in the order it arrives: duplicates, reorderings, failures.
PAID = ("checkout.session.completed", "paid")
ASYNC_PAID = ("checkout.session.async_payment_succeeded", "paid")
UNPAID = ("checkout.session.completed", "unpaid")
FAILED = ("checkout.session.async_payment_failed", "unpaid")
EXPIRED = ("checkout.session.expired", "unpaid")
event_sequences = st.lists(
    st.sampled_from([PAID, ASYNC_PAID, UNPAID, FAILED, EXPIRED]), min_size=1, max_size=4
)


class FakeTransfers:
    """A payout provider whose answer the test chooses."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def send(self, payout):
        if self.answer == "paid":
            return Outcome.paid(f"tr_model_{payout.pk}")
        if self.answer == "failed":
            return Outcome.failed("declined by the model")
        return Outcome.unknown("the model lost the answer")


class LedgerMachine(RuleBasedStateMachine):
    campaigns = Bundle("campaigns")
    approvals = Bundle("approvals")
    payouts = Bundle("payouts")

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.model = Counter()  # (user index, "wallet") -> cents
        self.escrow = Counter()  # campaign id -> cents
        self.fees = 0
        self.paid = set()  # assignment ids already paid
        self.payout_state = {}  # payout id -> (user index, amount, status)
        self.next_id = 1

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize()
    def people(self):
        self.users = [
            User.objects.create_user(email=f"{uuid.uuid4().hex}@model.test") for _ in range(3)
        ]
        self.methods = [
            services.payout_method_add(user=user, kind="stripe", destination=f"acct_model{n}")
            for n, user in enumerate(self.users)
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

    @rule(
        user=st.integers(0, 2),
        amount=st.integers(500, 20_000),
        events=event_sequences,
        repeat=st.booleans(),
    )
    def deposit(self, user, amount, events, repeat):
        deposit = services.deposit_start(
            user=self.users[user], amount_cents=amount, provider=checkout.SandboxCheckout()
        )
        credited = None  # the first event that settles the deposit decides it
        for event_type, status in events:
            payload = checkout.sandbox_event(
                deposit=deposit, event_type=event_type, payment_status=status
            )
            for _ in range(2 if repeat else 1):  # the same event delivered twice
                services.webhook_receive(
                    payload=payload,
                    signature=checkout.signature_header(payload),
                    provider=checkout.SANDBOX,
                )
            if credited is None and (event_type, status) in (PAID, ASYNC_PAID):
                credited = True
            elif credited is None and (event_type, status) in (FAILED, EXPIRED):
                credited = False
        if credited:
            self.model[user, "wallet"] += amount

    @rule(target=payouts, user=st.integers(0, 2), amount=st.integers(200, 3_000))
    def withdraw(self, user, amount):
        try:
            payout = services.payout_request(
                user=self.users[user], method=self.methods[user], amount_cents=amount
            )
        except DomainError as refusal:
            assert refusal.code == "insufficient_funds", refusal
            assert self.model[user, "wallet"] < amount
            return multiple()
        self.model[user, "wallet"] -= amount
        self.model[user, "payout"] += amount
        self.payout_state[payout.pk] = (user, amount, PayoutStatus.REQUESTED)
        return payout.pk

    @rule(payout=payouts, answer=st.sampled_from(["paid", "failed", "unknown"]))
    def provider_answers(self, payout, answer):
        status = self.payout_state[payout][2]
        services.payout_send(payout_id=payout, provider=FakeTransfers(answer))
        if status != PayoutStatus.REQUESTED:
            return  # already sent: a second send changes nothing
        self._settle(payout, answer)

    @rule(answer=st.sampled_from(["paid", "failed", "unknown"]))
    def sweeper_retries(self, answer):
        from django.test import override_settings

        with override_settings(PAYOUT_RETRY_AFTER_SECONDS=-1):  # everything is stale now
            services.payouts_retry_stuck(provider=FakeTransfers(answer))
        for payout, (_, _, status) in list(self.payout_state.items()):
            if status == PayoutStatus.PROCESSING:
                self._settle(payout, answer)

    def _settle(self, payout, answer):
        user, amount, _ = self.payout_state[payout]
        status = {
            "paid": PayoutStatus.PAID,
            "failed": PayoutStatus.FAILED,
            "unknown": PayoutStatus.PROCESSING,
        }[answer]
        self.payout_state[payout] = (user, amount, status)
        if answer != "unknown":
            self.model[user, "payout"] -= amount
        if answer == "failed":
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
            assert real.payout_cents == self.model[index, "payout"]
            assert real.escrow_cents == sum(
                cents for (_, employer), cents in self.escrow.items() if employer == index
            )
        assert account_balance(system_account(AccountKind.FEES)) == self.fees
        from payments.models import Payout

        for payout, (_, _, status) in self.payout_state.items():
            assert Payout.objects.get(pk=payout).status == status

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
