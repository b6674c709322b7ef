"""Kaaj's money: a double-entry ledger, deposits, payout methods and payouts.

The ledger is in ``services/ledger.py``; read its docstring for the design. Here: the rows,
and what PostgreSQL enforces about them (see the constraints and migration 0002's triggers).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    WALLET = "wallet", _("Wallet")
    ESCROW = "escrow", _("Campaign escrow")
    PAYOUT = "payout", _("Payouts in flight")
    FEES = "fees", _("Platform fees")
    DEPOSITS = "deposits", _("Deposits from cards")
    PAID_OUT = "paid_out", _("Paid out")
    ADJUSTMENTS = "adjustments", _("Manual adjustments")
    GOLD = "gold", _("Check tasks paid by Kaaj")


# Accounts of Kaaj itself and of the outside world. Many writers touch them at once, so
# they keep no stored balance (it would be one hot row locked by every approval); their
# balance is the sum of their transfers. They may go negative: money that came in from
# cards is a negative balance of DEPOSITS.
SYSTEM_KINDS = (
    AccountKind.FEES,
    AccountKind.DEPOSITS,
    AccountKind.PAID_OUT,
    AccountKind.ADJUSTMENTS,
    AccountKind.GOLD,
)


class Account(models.Model):
    key = models.CharField(max_length=80, unique=True, help_text="wallet:12, escrow:campaign:7")
    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    balance = models.BigIntegerField(
        default=0, help_text="Cents; stored for user accounts, always 0 for system accounts."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(kind__in=SYSTEM_KINDS),
                name="payments_account_no_overdraft",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=SYSTEM_KINDS) | Q(balance=0),
                name="payments_system_balance_not_stored",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True, kind__in=SYSTEM_KINDS)
                | (Q(owner__isnull=False) & ~Q(kind__in=SYSTEM_KINDS)),
                name="payments_account_owner_iff_user_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_system(self) -> bool:
        return self.kind in SYSTEM_KINDS


class MovementKind(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit")
    ESCROW_FUND = "escrow_fund", _("Campaign funded")
    TASK_PAYMENT = "task_payment", _("Task approved")
    GOLD_PAYMENT = "gold_payment", _("Check task answered right")
    ESCROW_REFUND = "escrow_refund", _("Escrow refunded")
    BONUS = "bonus", _("Bonus")
    PAYOUT_RESERVE = "payout_reserve", _("Withdrawal requested")
    PAYOUT_SETTLE = "payout_settle", _("Withdrawal paid")
    PAYOUT_RETURN = "payout_return", _("Withdrawal returned")
    ADJUSTMENT = "adjustment", _("Adjustment")


class Movement(models.Model):
    """One business event's money movement: one or more transfers, posted at once."""

    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    reference = models.CharField(
        max_length=100, db_index=True, help_text="The business object: assignment:12, payout:3 …"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who caused it; empty when Kaaj itself did.",
    )
    memo = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.idempotency_key


class Transfer(models.Model):
    """``amount`` cents leave ``debit`` and arrive in ``credit``: balanced by construction."""

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="transfers")
    debit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debits")
    credit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits")
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_transfer_positive"),
            models.CheckConstraint(
                condition=~Q(debit=F("credit")), name="payments_transfer_two_accounts"
            ),
        ]
        indexes = [
            models.Index(fields=["debit", "movement"], name="payments_transfer_debit_idx"),
            models.Index(fields=["credit", "movement"], name="payments_transfer_credit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.debit_id}→{self.credit_id}"


# --- Deposits -------------------------------------------------------------------------------


class DepositStatus(models.TextChoices):
    CREATED = "created", _("Created")
    OPEN = "open", _("Waiting for payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


# A webhook may overtake the save of the session id, so `created` may go straight to `paid`.
DEPOSIT_TRANSITIONS = {
    DepositStatus.CREATED: {
        DepositStatus.OPEN,
        DepositStatus.PAID,
        DepositStatus.FAILED,
        DepositStatus.EXPIRED,
    },
    DepositStatus.OPEN: {DepositStatus.PAID, DepositStatus.FAILED, DepositStatus.EXPIRED},
    DepositStatus.PAID: set(),
    DepositStatus.FAILED: set(),
    DepositStatus.EXPIRED: set(),
}


class Deposit(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposits"
    )
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=20)
    status = models.CharField(
        max_length=10, choices=DepositStatus.choices, default=DepositStatus.CREATED
    )
    session_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    checkout_url = models.TextField(blank=True)
    failure_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payments_deposit_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"deposit:{self.pk}"


class WebhookEvent(models.Model):
    """Every verified provider event, stored once under its own id before it is acted on."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="payments_webhook_event_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


# --- Payouts --------------------------------------------------------------------------------


class PayoutMethodKind(models.TextChoices):
    STRIPE = "stripe", _("Stripe")
    PAYPAL = "paypal", _("PayPal")
    SKRILL = "skrill", _("Skrill")
    BKASH = "bkash", _("bKash")


# Paid by a moderator by hand, then marked paid with the provider's reference.
MANUAL_METHODS = (PayoutMethodKind.PAYPAL, PayoutMethodKind.SKRILL, PayoutMethodKind.BKASH)

# Where a payout method is how people there are usually paid: a mobile wallet of one country,
# and the countries where Stripe Connect pays out to local bank accounts (Stripe's list of
# Connect countries, less those where it is by invitation only).
LOCAL_PAYOUT_METHODS = {"BD": (PayoutMethodKind.BKASH,)}
# fmt: off
STRIPE_CONNECT_COUNTRIES = frozenset({
    "AT", "AU", "BE", "BG", "CA", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR",
    "GB", "GI", "GR", "HK", "HR", "HU", "IE", "IT", "JP", "LI", "LT", "LU", "LV", "MT",
    "MX", "MY", "NL", "NO", "NZ", "PL", "PT", "RO", "SE", "SG", "SI", "SK", "TH", "US",
})
# fmt: on


def payout_kinds_for(country: str) -> list[PayoutMethodKind]:
    """Every payout method, in the order that suits a worker in ``country`` (ISO code, or ""):
    the country's own mobile wallets first, then Stripe where Stripe Connect is the usual way,
    then the methods that work anywhere, then the rest."""
    local = list(LOCAL_PAYOUT_METHODS.get(country, ()))
    if country in STRIPE_CONNECT_COUNTRIES:
        local.append(PayoutMethodKind.STRIPE)
    anywhere = [PayoutMethodKind.PAYPAL, PayoutMethodKind.SKRILL]
    first = local + [kind for kind in anywhere if kind not in local]
    return first + [kind for kind in PayoutMethodKind if kind not in first]


class PayoutMethod(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_methods"
    )
    kind = models.CharField(max_length=10, choices=PayoutMethodKind.choices)
    destination = models.CharField(
        max_length=255, help_text=_("Stripe account id, email address or phone number.")
    )
    label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "destination"],
                condition=Q(removed_at__isnull=True),
                name="payments_payout_method_once",
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.get_kind_display()} {self.destination}"


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PROCESSING = "processing", _("Processing")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Rejected")


PAYOUT_TRANSITIONS = {
    PayoutStatus.REQUESTED: {PayoutStatus.PROCESSING, PayoutStatus.PAID, PayoutStatus.REJECTED},
    PayoutStatus.PROCESSING: {PayoutStatus.PAID, PayoutStatus.FAILED},
    PayoutStatus.PAID: set(),
    PayoutStatus.FAILED: set(),
    PayoutStatus.REJECTED: set(),
}


class Payout(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    method = models.ForeignKey(PayoutMethod, on_delete=models.PROTECT, related_name="payouts")
    # What the method said when the payout was requested: a later edit changes nothing here.
    kind = models.CharField(max_length=10, choices=PayoutMethodKind.choices)
    destination = models.CharField(max_length=255)
    amount_cents = models.BigIntegerField()
    status = models.CharField(
        max_length=12, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED
    )
    reference = models.CharField(
        max_length=255, blank=True, help_text=_("The provider's id for this payment.")
    )
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    attempted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payments_payout_positive"
            ),
            models.UniqueConstraint(
                fields=["kind", "reference"],
                condition=~Q(reference=""),
                name="payments_payout_reference_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "attempted_at"], name="payments_payout_queue_idx")
        ]

    def __str__(self) -> str:
        return f"payout:{self.pk}"

    @property
    def idempotency_key(self) -> str:
        """Sent to the provider with every attempt: a retry can never pay twice."""
        return f"kaaj-payout-{self.pk}"

    @property
    def is_manual(self) -> bool:
        return self.kind in MANUAL_METHODS


class PayoutEvent(models.Model):
    """Who moved a payout from one status to another, when, and why."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"payout:{self.payout_id} {self.from_status}→{self.to_status}"
