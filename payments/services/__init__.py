"""Every write to Kaaj's money goes through these services."""

from .escrow import TaskPayment, escrow_fund, escrow_pay, escrow_pay_many, escrow_refund
from .ledger import IdempotencyConflict, InsufficientFunds
from .wallets import adjustment_post, bonus_transfer

__all__ = [
    "IdempotencyConflict",
    "InsufficientFunds",
    "TaskPayment",
    "adjustment_post",
    "bonus_transfer",
    "escrow_fund",
    "escrow_pay",
    "escrow_pay_many",
    "escrow_refund",
]
