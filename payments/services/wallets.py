"""Money between wallets: bonuses from employers, and staff adjustments."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import ensure_not_own_case
from accounts.services import audit_record
from core.money import fee_for
from payments.models import AccountKind, Movement, MovementKind

from .ledger import Leg, Posting, ledger_post, system_account, wallet_account


def bonus_transfer(
    *,
    employer: User,
    worker: User,
    amount_cents: int,
    event: str,
    by: User,
    reference: str = "",
    memo: str = "",
) -> Movement:
    """An employer's bonus to a worker, from the employer's wallet, with Kaaj's fee on top.

    ``event`` names the occasion so one bonus is paid once (its ledger key is
    ``bonus:<event>``); ``reference`` is what the wallets name it by (``assignment:12``; the
    event when not given), ``memo`` the employer's reason. The ledger half of bonuses, proven
    under races (tests/payments); ``tasks.services.bonuses`` checks who may pay whom.
    """
    if employer.pk == worker.pk:
        raise ValueError("a bonus goes to somebody else")
    wallet = wallet_account(employer)
    legs = [Leg(wallet, wallet_account(worker), amount_cents)]
    fee = fee_for(amount_cents)
    if fee:
        legs.append(Leg(wallet, system_account(AccountKind.FEES), fee))
    return ledger_post(
        Posting(
            kind=MovementKind.BONUS,
            idempotency_key=f"bonus:{event}",
            reference=reference or event,
            legs=tuple(legs),
            actor=by,
            memo=memo,
        )
    )[0]


def adjustment_post(
    *, user: User, amount_cents: int, reason: str, by: User, request_id: uuid.UUID
) -> Movement:
    """Staff correct a wallet by ``amount_cents`` (negative takes money back).

    The reason is required and kept on the movement with who made it, and in the moderators'
    audit log (``wallet.adjust``, once per adjustment). ``request_id`` comes from the form
    that asked for it, so a double submit adjusts once. Nobody adjusts their own wallet:
    raises OwnCase then (four eyes), and nothing moves.
    """
    if not (by.is_active and by.is_staff):
        raise PermissionError("only staff adjust balances")
    ensure_not_own_case(
        actor=by,
        parties=[user],
        message=_("You cannot adjust your own wallet: another moderator must do it."),
    )
    if not reason.strip():
        raise ValueError("an adjustment needs a reason")
    if not amount_cents:
        raise ValueError("an adjustment moves some money")
    outside, wallet = system_account(AccountKind.ADJUSTMENTS), wallet_account(user)
    leg = (
        Leg(outside, wallet, amount_cents)
        if amount_cents > 0
        else Leg(wallet, outside, -amount_cents)
    )
    with transaction.atomic():
        movement, created = ledger_post(
            Posting(
                kind=MovementKind.ADJUSTMENT,
                idempotency_key=f"adjustment:{request_id}",
                reference=f"user:{user.pk}",
                legs=(leg,),
                actor=by,
                memo=reason.strip(),
            )
        )
        if created:
            audit_record(
                actor=by,
                action="wallet.adjust",
                target=user,
                reason=reason.strip(),
                details={"amount_cents": amount_cents, "movement": movement.pk},
            )
    return movement
