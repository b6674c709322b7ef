"""Escrow: money an employer locks for a campaign, paid out task by task or refunded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accounts.models import User
from payments.models import Account, AccountKind, Movement, MovementKind

from .ledger import (
    Leg,
    Posting,
    accounts_ensure,
    escrow_account,
    ledger_post,
    ledger_post_many,
    wallet_account,
)


def escrow_fund(
    *, campaign_id: int, employer: User, amount_cents: int, event: str, by: User | None
) -> Movement:
    """Move ``amount_cents`` from the employer's wallet into the campaign's escrow.

    ``event`` names the business event (``launch``, ``positions:3``) so a retry of the same
    event funds once. Raises InsufficientFunds when the wallet is short (nothing moves).
    """
    posting = Posting(
        kind=MovementKind.ESCROW_FUND,
        idempotency_key=f"fund:campaign:{campaign_id}:{event}",
        reference=f"campaign:{campaign_id}",
        legs=(
            Leg(
                wallet_account(employer),
                escrow_account(campaign_id=campaign_id, employer=employer),
                amount_cents,
            ),
        ),
        actor=by,
    )
    return ledger_post(posting)[0]


@dataclass(frozen=True)
class TaskPayment:
    """One approved assignment: its reward goes to the worker, its fee to Kaaj."""

    assignment_id: int
    campaign_id: int
    employer: User
    worker: User
    reward_cents: int
    fee_cents: int


def _task_payment_posting(
    payment: TaskPayment, by: User | None, *, escrow: Account, wallet: Account, fees: Account
) -> Posting:
    legs = [Leg(escrow, wallet, payment.reward_cents)]
    if payment.fee_cents:
        legs.append(Leg(escrow, fees, payment.fee_cents))
    return Posting(
        kind=MovementKind.TASK_PAYMENT,
        idempotency_key=f"approve:assignment:{payment.assignment_id}",
        reference=f"assignment:{payment.assignment_id}",
        legs=tuple(legs),
        actor=by,
    )


def escrow_pay(*, payment: TaskPayment, by: User | None) -> tuple[Movement, bool]:
    """Pay one approved task from escrow: reward to the worker, fee recognised as revenue
    (:func:`escrow_pay_many` for one; the ledger's own tests use it).

    One movement, keyed by the assignment: paying the same assignment twice pays once
    (``created`` is False the second time). Raises InsufficientFunds if the escrow is short.
    """
    return escrow_pay_many(payments=[payment], by=by)[0]


def escrow_pay_many(
    *, payments: Sequence[TaskPayment], by: User | None
) -> list[tuple[Movement, bool]]:
    """Pay approved tasks from escrow, in one transaction: the one approve-and-pay path
    (``tasks.lifecycle.assignments.assignments_approve``) calls it for every approval — one
    assignment for the employer's or a dispute's, a batch for the clock's.

    All or nothing: if one escrow is short, nothing of the batch is paid.
    """
    specs = [("fees", AccountKind.FEES, None)]
    for p in payments:
        specs.append((f"escrow:campaign:{p.campaign_id}", AccountKind.ESCROW, p.employer))
        specs.append((f"wallet:{p.worker.pk}", AccountKind.WALLET, p.worker))
    accounts = accounts_ensure(specs)
    postings = [
        _task_payment_posting(
            p,
            by,
            escrow=accounts[f"escrow:campaign:{p.campaign_id}"],
            wallet=accounts[f"wallet:{p.worker.pk}"],
            fees=accounts["fees"],
        )
        for p in payments
    ]
    return ledger_post_many(postings)


def escrow_refund(
    *, campaign_id: int, employer: User, amount_cents: int, event: str, by: User | None
) -> Movement:
    """Give unneeded escrow back to the employer's wallet (cancel, expiry, rejection)."""
    posting = Posting(
        kind=MovementKind.ESCROW_REFUND,
        idempotency_key=f"refund:campaign:{campaign_id}:{event}",
        reference=f"campaign:{campaign_id}",
        legs=(
            Leg(
                escrow_account(campaign_id=campaign_id, employer=employer),
                wallet_account(employer),
                amount_cents,
            ),
        ),
        actor=by,
    )
    return ledger_post(posting)[0]


@dataclass(frozen=True)
class GoldPayment:
    """One check task answered right: Kaaj pays its reward (the employer pays nothing)."""

    assignment_id: int
    worker: User
    reward_cents: int


def gold_pay_many(
    *, payments: Sequence[GoldPayment], by: User | None
) -> list[tuple[Movement, bool]]:
    """Pay check tasks answered right, from Kaaj's account for them (a system account: its
    balance is what check tasks cost Kaaj), under the same key as any approval
    (``approve:assignment:<id>``), so an assignment is paid once whichever way it was
    approved. All or nothing, in the caller's transaction."""
    specs = [("gold", AccountKind.GOLD, None)]
    specs += [(f"wallet:{p.worker.pk}", AccountKind.WALLET, p.worker) for p in payments]
    accounts = accounts_ensure(specs)
    postings = [
        Posting(
            kind=MovementKind.GOLD_PAYMENT,
            idempotency_key=f"approve:assignment:{p.assignment_id}",
            reference=f"assignment:{p.assignment_id}",
            legs=(Leg(accounts["gold"], accounts[f"wallet:{p.worker.pk}"], p.reward_cents),),
            actor=by,
        )
        for p in payments
    ]
    return ledger_post_many(postings)
