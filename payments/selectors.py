"""Reads of Kaaj's money: balances, a user's history, and the ledger's invariants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from django.db import connection
from django.db.models import Q, QuerySet, Sum

from accounts.models import User

from .models import SYSTEM_KINDS, Account, AccountKind, Transfer


@dataclass(frozen=True)
class Balances:
    available_cents: int = 0
    escrow_cents: int = 0
    payout_cents: int = 0


def balances_of(user: User) -> Balances:
    """The user's wallet, escrows and payouts in flight, in one query."""
    totals = dict(
        Account.objects.filter(owner=user).values_list("kind").annotate(total=Sum("balance"))
    )
    return Balances(
        available_cents=totals.get(AccountKind.WALLET, 0),
        escrow_cents=totals.get(AccountKind.ESCROW, 0),
        payout_cents=totals.get(AccountKind.PAYOUT, 0),
    )


def derived_balance(account: Account) -> int:
    """Credits minus debits: the balance as the transfers tell it."""
    credits = Transfer.objects.filter(credit=account).aggregate(s=Sum("amount"))["s"] or 0
    debits = Transfer.objects.filter(debit=account).aggregate(s=Sum("amount"))["s"] or 0
    return credits - debits


def account_balance(account: Account) -> int:
    """Any account's balance: stored for user accounts, derived for system accounts."""
    return derived_balance(account) if account.kind in SYSTEM_KINDS else account.balance


def transfers_of(user: User) -> QuerySet[Transfer]:
    """Every transfer in or out of the user's accounts, newest first."""
    return (
        Transfer.objects.filter(Q(debit__owner=user) | Q(credit__owner=user))
        .select_related("movement", "debit", "credit")
        .order_by("-movement__created_at", "-id")
    )


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str


# Invariants that apps above payments keep over its accounts (each campaign's escrow equals
# what its unpaid tasks owe: tasks), registered by them at start-up (``book_check``) so that
# the daily check and ``manage.py ledger_check`` prove them too without payments knowing them.
_BOOK_CHECKS: list[Callable[[], list[Violation]]] = []


def book_check(check: Callable[[], list[Violation]]) -> Callable[[], list[Violation]]:
    """Register ``check`` (no arguments, returns violations) with :func:`ledger_violations`."""
    if check not in _BOOK_CHECKS:
        _BOOK_CHECKS.append(check)
    return check


def ledger_violations() -> list[Violation]:
    """Everything that would mean the books are wrong; an empty list when they are right.

    - every transfer moves a positive amount between two accounts (balanced by construction,
      re-checked here in case a constraint was ever dropped);
    - the books balance: the user accounts' stored balances and the system accounts'
      balances (which only their transfers tell) add up to zero — a stored balance changed
      by anything but a transfer breaks it;
    - each stored balance equals the sum of its transfers;
    - no user account is below zero; no system account stores a balance;
    - the invariants registered by other apps (:func:`book_check`).
    """
    found: list[Violation] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, amount, debit_id, credit_id FROM payments_transfer "
            "WHERE amount <= 0 OR debit_id = credit_id LIMIT 20"
        )
        found += [
            Violation(
                "transfer", f"transfer {row[0]}: amount {row[1]}, accounts {row[2]} → {row[3]}"
            )
            for row in cursor.fetchall()
        ]
        cursor.execute(
            """
            WITH moved AS (
                SELECT credit_id AS account_id, amount FROM payments_transfer
                UNION ALL
                SELECT debit_id, -amount FROM payments_transfer
            ), derived AS (
                SELECT account_id, SUM(amount) AS total FROM moved GROUP BY account_id
            )
            SELECT a.key, a.kind, a.balance, COALESCE(d.total, 0)
            FROM payments_account a LEFT JOIN derived d ON d.account_id = a.id
            """
        )
        grand_total = 0
        for key, kind, stored, derived in cursor.fetchall():
            grand_total += derived if kind in SYSTEM_KINDS else stored
            if kind in SYSTEM_KINDS:
                if stored != 0:
                    found.append(Violation("system_balance", f"{key} stores {stored}"))
                continue
            if stored != derived:
                found.append(
                    Violation("stored_balance", f"{key}: stored {stored}, transfers say {derived}")
                )
            if stored < 0:
                found.append(Violation("negative", f"{key}: {stored}"))
    if grand_total != 0:
        found.append(Violation("balanced", f"all balances add up to {grand_total}, not 0"))
    for check in _BOOK_CHECKS:
        found += check()
    return found


@dataclass(frozen=True)
class Subject:
    """What a movement was for, as its user may see it: a name (a campaign's title) and,
    where the user may open it, a link."""

    name: str
    url: str = ""


# Apps above payments name what their movements' references point at (``campaign:<id>``,
# ``assignment:<id>``), registered at start-up (``subject_namer``, as ``book_check``) so that
# the wallet shows titles without payments knowing campaigns: ``namer(ids, user)`` returns
# ``{id: Subject}`` for the ids it knows, in one query.
_SUBJECT_NAMERS: dict[str, Callable[[list[int], User], dict[int, Subject]]] = {}


def subject_namer(prefix: str):
    """Register a namer for references ``<prefix>:<id>`` (a decorator)."""

    def register(namer: Callable[[list[int], User], dict[int, Subject]]):
        _SUBJECT_NAMERS[prefix] = namer
        return namer

    return register


@dataclass(frozen=True)
class HistoryLine:
    """One transfer as its user sees it: which of their accounts, which way, and why."""

    transfer: Transfer
    account_kind: str
    amount_cents: int  # positive: came in; negative: went out
    subject: Subject | None = None  # what it was for, when an app named it

    @property
    def created_at(self):
        return self.transfer.movement.created_at

    @property
    def movement(self):
        return self.transfer.movement

    @property
    def counterpart_kind(self) -> str:
        """The kind of the account on the other side of the transfer."""
        other = self.transfer.credit if self.amount_cents < 0 else self.transfer.debit
        return other.kind

    @property
    def description(self) -> str:
        return describe(
            self.transfer.movement.kind,
            self.account_kind,
            self.amount_cents,
            self.transfer.movement.reference,
            counterpart=self.counterpart_kind,
            subject=self.subject,
        )


def history_lines(user: User, transfers) -> list[HistoryLine]:
    """Turn a page of :func:`transfers_of` into lines, one per balance that changed (the
    API's ledger): a transfer between two of the user's own accounts (funding their own
    campaign) gives two lines. Each names what it was for (:func:`subject_namer`)."""
    lines = []
    for transfer in transfers:
        if transfer.debit.owner_id == user.pk:
            lines.append(HistoryLine(transfer, transfer.debit.kind, -transfer.amount))
        if transfer.credit.owner_id == user.pk:
            lines.append(HistoryLine(transfer, transfer.credit.kind, transfer.amount))
    return _named(user, lines)


def wallet_lines(user: User, transfers) -> list[HistoryLine]:
    """A page of :func:`transfers_of` as the wallet page tells it: one line per transfer. A
    move between two of the user's own accounts (their campaign's escrow funded from the
    wallet, or refunded into it) is one line, from the wallet's side. Each names what it was
    for, linked where the user may open it."""
    lines = []
    for transfer in transfers:
        mine_out = transfer.debit.owner_id == user.pk
        mine_in = transfer.credit.owner_id == user.pk
        if mine_out and mine_in:
            into_wallet = transfer.credit.kind == AccountKind.WALLET
            side = transfer.credit if into_wallet else transfer.debit
            amount = transfer.amount if into_wallet else -transfer.amount
            lines.append(HistoryLine(transfer, side.kind, amount))
        elif mine_out:
            lines.append(HistoryLine(transfer, transfer.debit.kind, -transfer.amount))
        elif mine_in:
            lines.append(HistoryLine(transfer, transfer.credit.kind, transfer.amount))
    return _named(user, lines)


def _named(user: User, lines: list[HistoryLine]) -> list[HistoryLine]:
    """``lines`` with their subjects: one query per kind of reference on the page."""
    wanted: dict[str, set[int]] = {}
    for line in lines:
        prefix, _, number = line.movement.reference.partition(":")
        if prefix in _SUBJECT_NAMERS and number.isdigit():
            wanted.setdefault(prefix, set()).add(int(number))
    names = {prefix: _SUBJECT_NAMERS[prefix](sorted(ids), user) for prefix, ids in wanted.items()}
    named = []
    for line in lines:
        prefix, _, number = line.movement.reference.partition(":")
        subject = names.get(prefix, {}).get(int(number)) if number.isdigit() else None
        named.append(replace(line, subject=subject))
    return named


def describe(
    kind: str,
    account_kind: str,
    amount: int,
    reference: str,
    *,
    counterpart: str = "",
    subject: Subject | None = None,
) -> str:
    """A plain sentence for a money movement, in the user's language, from the user's side:
    ``account_kind`` is their account, ``counterpart`` the other side's kind (Kaaj's fee is
    not a worker's pay), ``subject`` what it was for (else the reference's number)."""
    from django.utils.translation import gettext as _

    prefix, _sep, number = reference.rpartition(":")
    if subject is not None:
        what = subject.name
    elif prefix.endswith("campaign"):
        what = _("campaign #%(n)s") % {"n": number}
    else:
        what = _("task #%(n)s") % {"n": number}
    incoming = amount > 0
    if kind == "task_payment" and not incoming and counterpart == AccountKind.FEES:
        return _("Kaaj's fee for a task of %(what)s") % {"what": what}
    if kind in ("escrow_fund", "escrow_refund") and account_kind == AccountKind.WALLET:
        # The wallet's side of a move between the user's own wallet and escrow: one line.
        if kind == "escrow_fund":
            return _("Moved into escrow for %(what)s") % {"what": what}
        return _("Unused escrow of %(what)s returned to your wallet") % {"what": what}
    texts = {
        ("deposit", True): _("Money added to your wallet"),
        ("escrow_fund", True): _("Escrow for %(what)s"),
        ("task_payment", True): _("Paid for an approved task of %(what)s"),
        ("task_payment", False): _("Paid a worker for an approved task of %(what)s"),
        ("gold_payment", True): _("Paid by Kaaj for a check task of %(what)s answered right"),
        ("escrow_refund", False): _("Unused escrow of %(what)s released"),
        ("bonus", True): _("Bonus received for %(what)s"),
        ("bonus", False): _("Bonus sent for %(what)s, with Kaaj's fee"),
        ("payout_reserve", False): _("Set aside for withdrawal #%(n)s"),
        ("payout_reserve", True): _("Withdrawal #%(n)s on its way"),
        ("payout_settle", False): _("Withdrawal #%(n)s paid out"),
        ("payout_return", False): _("Withdrawal #%(n)s did not go through"),
        ("payout_return", True): _("Withdrawal #%(n)s returned to your wallet"),
        ("adjustment", True): _("Correction by Kaaj staff"),
        ("adjustment", False): _("Correction by Kaaj staff"),
    }
    text = texts.get((kind, incoming), _("Money movement"))
    return text % {"n": number, "what": what} if "%(" in text else text
