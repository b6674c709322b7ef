"""The ledger: every cent Kaaj holds, as a double-entry book that always balances.

Design
------
*Two-leg transfers, grouped into movements.* A :class:`~payments.models.Movement` is one
business event (an approval, a deposit, a payout) with a unique idempotency key derived from
that event (``approve:assignment:12``). Its money moves as one or more
:class:`~payments.models.Transfer` rows, each taking ``amount`` cents out of one account
(``debit``) and putting them into another (``credit``). We chose two-leg transfers over
journal entries with free-standing legs because a transfer is balanced by construction:
PostgreSQL only has to check ``amount > 0`` and ``debit <> credit`` on each row, where legs
would need a deferred trigger summing every entry at commit. An approval is still one atomic
movement (reward to the worker, fee to Kaaj: two transfers, one key). An account's balance is
its credits minus its debits.

*Stored balances where a user's money is, derived ones where Kaaj's is.* Wallets, escrows and
payouts in flight keep their balance on the account row, updated in the same transaction as
the transfers, under a row lock, with a CHECK that it never goes below zero. System accounts
(platform fees and the outside-world clearing accounts) are touched by every approval,
deposit and payout; a stored balance there would be one hot row that serialises them all.
Their rows are never updated; their balance is the sum of their transfers
(:func:`payments.selectors.system_balance`), and ``manage.py ledger_check`` proves every
stored balance equals that sum too.

*Locking.* A posting locks the stored-balance accounts it touches with
``SELECT … ORDER BY id FOR NO KEY UPDATE``: always in id order, so two postings can never
wait on each other in a cycle, and ``NO KEY`` so concurrent inserts of transfers (whose
foreign keys take ``KEY SHARE`` locks) are not blocked. Transactions are short: no network
call ever happens inside one.

*Idempotency.* The movement header is inserted first with ``ON CONFLICT DO NOTHING``. A key
already used (by an earlier call or by a concurrent one, which PostgreSQL makes us wait for)
returns the first movement and moves nothing.

*Append-only.* A trigger refuses UPDATE and DELETE on movements and transfers (migration
0002); a mistake is corrected by a new movement in the other direction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from payments.models import SYSTEM_KINDS, Account, AccountKind, Movement, MovementKind

__all__ = [
    "IdempotencyConflict",
    "InsufficientFunds",
    "Leg",
    "Posting",
    "account_ensure",
    "accounts_ensure",
    "escrow_account",
    "ledger_post",
    "ledger_post_many",
    "payout_account",
    "system_account",
    "wallet_account",
]


class InsufficientFunds(Exception):
    """An account would go below zero. Nothing was posted."""

    def __init__(self, account: Account, needed: int, available: int) -> None:
        self.account, self.needed, self.available = account, needed, available
        super().__init__(f"{account.key}: needs {needed} cents, has {available}")


class IdempotencyConflict(Exception):
    """A key was reused for a different event: a bug in the caller, never retried away."""


@dataclass(frozen=True)
class Leg:
    debit: Account
    credit: Account
    amount: int

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or self.amount <= 0:
            raise ValueError(
                f"a transfer moves a positive whole number of cents, not {self.amount!r}"
            )
        if self.debit.pk == self.credit.pk:
            raise ValueError("a transfer needs two different accounts")


@dataclass(frozen=True)
class Posting:
    kind: MovementKind
    idempotency_key: str
    reference: str
    legs: tuple[Leg, ...]
    actor: User | None = None
    memo: str = ""
    created_at: object = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.legs:
            raise ValueError("a movement has at least one transfer")


# --- Accounts ----------------------------------------------------------------------------


def account_ensure(*, key: str, kind: AccountKind, owner: User | None = None) -> Account:
    """The account with this key, created on first use (safe under concurrency)."""
    account = Account.objects.filter(key=key).first()
    if account is None:
        Account.objects.bulk_create(
            [Account(key=key, kind=kind, owner=owner)], ignore_conflicts=True
        )
        account = Account.objects.get(key=key)
    if account.kind != kind or (owner is not None and account.owner_id != owner.pk):
        raise ValueError(f"account {key} exists with another kind or owner")
    return account


def accounts_ensure(specs: Iterable[tuple[str, AccountKind, User | None]]) -> dict[str, Account]:
    """Many accounts by key in two or three queries, creating the missing ones."""
    wanted = {key: (kind, owner) for key, kind, owner in specs}
    found = Account.objects.in_bulk(list(wanted), field_name="key")
    missing = [
        Account(key=key, kind=kind, owner=owner)
        for key, (kind, owner) in wanted.items()
        if key not in found
    ]
    if missing:
        Account.objects.bulk_create(missing, ignore_conflicts=True)
        found = Account.objects.in_bulk(list(wanted), field_name="key")
    return found


def wallet_account(user: User) -> Account:
    """The user's available balance: earnings, deposits and refunds, ready to spend."""
    return account_ensure(key=f"wallet:{user.pk}", kind=AccountKind.WALLET, owner=user)


def payout_account(user: User) -> Account:
    """Money the user asked to withdraw that has not reached them yet."""
    return account_ensure(key=f"payout:{user.pk}", kind=AccountKind.PAYOUT, owner=user)


def escrow_account(*, campaign_id: int, employer: User) -> Account:
    """The money a campaign's unpaid tasks are still owed, owned by its employer."""
    return account_ensure(
        key=f"escrow:campaign:{campaign_id}", kind=AccountKind.ESCROW, owner=employer
    )


def system_account(kind: AccountKind, name: str = "") -> Account:
    """Kaaj's fees, or an outside-world clearing account (``paid_out:bkash``)."""
    if kind not in SYSTEM_KINDS:
        raise ValueError(f"{kind} is not a system account kind")
    return account_ensure(key=f"{kind}:{name}" if name else str(kind), kind=kind)


# --- Posting -----------------------------------------------------------------------------


def ledger_post(posting: Posting) -> tuple[Movement, bool]:
    """Post one movement. Returns ``(movement, created)``; see :func:`ledger_post_many`."""
    return ledger_post_many([posting])[0]


def ledger_post_many(postings: Sequence[Posting]) -> list[tuple[Movement, bool]]:
    """Post many movements in one short transaction, each exactly once.

    Requires: nothing locked by the caller that a posting also locks out of id order (call
    it first in the transaction, or only after locking rows of other tables). Guarantees:
    every new movement's transfers are written and stored balances updated atomically; a
    key that already exists moves nothing and returns its first movement (``created`` is
    False). Raises :class:`InsufficientFunds` (nothing posted, not even the other movements
    of the batch) and :class:`IdempotencyConflict`.
    """
    if not postings:
        return []
    unique: dict[str, Posting] = {}
    for posting in postings:
        unique.setdefault(posting.idempotency_key, posting)
    with transaction.atomic():
        new_ids = _insert_movements(list(unique.values()))
        fresh = [p for p in unique.values() if p.idempotency_key in new_ids]
        if fresh:
            _apply_balances(fresh)
            _insert_transfers(fresh, new_ids)
        movements = Movement.objects.in_bulk(list(unique), field_name="idempotency_key")
        for key, posting in unique.items():
            first = movements[key]
            if key not in new_ids and (first.kind, first.reference) != (
                posting.kind,
                posting.reference,
            ):
                raise IdempotencyConflict(
                    f"{key} was first used for {first.kind} {first.reference}"
                )
    return [(movements[p.idempotency_key], p.idempotency_key in new_ids) for p in postings]


def _insert_movements(postings: list[Posting]) -> dict[str, int]:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payments_movement (kind, idempotency_key, reference, actor_id, memo,
                                           created_at)
            SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::bigint[],
                                 %s::text[], %s::timestamptz[])
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING idempotency_key, id
            """,
            [
                [str(p.kind) for p in postings],
                [p.idempotency_key for p in postings],
                [p.reference for p in postings],
                [p.actor.pk if p.actor else None for p in postings],
                [p.memo for p in postings],
                [p.created_at or now for p in postings],
            ],
        )
        return dict(cursor.fetchall())


def _net_changes(postings: Iterable[Posting]) -> dict[int, tuple[Account, int]]:
    """The change of each stored-balance account, netted over all postings."""
    change: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    for posting in postings:
        for leg in posting.legs:
            for account, sign in ((leg.debit, -1), (leg.credit, 1)):
                if account.kind not in SYSTEM_KINDS:
                    change[account.pk] += sign * leg.amount
                    accounts[account.pk] = account
    return {pk: (accounts[pk], amount) for pk, amount in change.items() if amount}


def _apply_balances(postings: list[Posting]) -> None:
    changes = _net_changes(postings)
    if not changes:
        return
    ids = sorted(changes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, balance FROM payments_account WHERE id = ANY(%s) ORDER BY id "
            "FOR NO KEY UPDATE",
            [ids],
        )
        for pk, balance in cursor.fetchall():
            account, amount = changes[pk]
            if balance + amount < 0:
                raise InsufficientFunds(account, needed=-amount, available=balance)
        cursor.execute(
            """
            UPDATE payments_account AS account SET balance = account.balance + change.amount
            FROM unnest(%s::bigint[], %s::bigint[]) AS change(id, amount)
            WHERE account.id = change.id
            """,
            [ids, [changes[pk][1] for pk in ids]],
        )


def _insert_transfers(postings: list[Posting], movement_ids: dict[str, int]) -> None:
    rows = [
        (movement_ids[p.idempotency_key], leg.debit.pk, leg.credit.pk, leg.amount)
        for p in postings
        for leg in p.legs
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payments_transfer (movement_id, debit_id, credit_id, amount)
            SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])
            """,
            [list(column) for column in zip(*rows, strict=True)],
        )
