"""Every write to Kaaj's money goes through these services."""

from .deposits import (
    WebhookInvalid,
    deposit_fulfil,
    deposit_start,
    sandbox_checkout_cancel,
    sandbox_checkout_confirm,
    webhook_receive,
)
from .escrow import (
    GoldPayment,
    TaskPayment,
    escrow_fund,
    escrow_pay,
    escrow_pay_many,
    escrow_refund,
    gold_pay_many,
)
from .ledger import IdempotencyConflict, InsufficientFunds
from .payouts import (
    payout_fail,
    payout_mark_paid,
    payout_method_add,
    payout_method_remove,
    payout_reject,
    payout_request,
    payout_send,
    payout_settle,
    payouts_refusal,
    payouts_retry_stuck,
    payouts_send_requested,
)
from .wallets import adjustment_post, bonus_transfer

__all__ = [
    "GoldPayment",
    "IdempotencyConflict",
    "InsufficientFunds",
    "TaskPayment",
    "WebhookInvalid",
    "adjustment_post",
    "bonus_transfer",
    "deposit_fulfil",
    "deposit_start",
    "escrow_fund",
    "escrow_pay",
    "escrow_pay_many",
    "escrow_refund",
    "gold_pay_many",
    "payout_fail",
    "payout_mark_paid",
    "payout_method_add",
    "payout_method_remove",
    "payout_reject",
    "payout_request",
    "payout_send",
    "payout_settle",
    "payouts_refusal",
    "payouts_retry_stuck",
    "payouts_send_requested",
    "sandbox_checkout_cancel",
    "sandbox_checkout_confirm",
    "webhook_receive",
]
