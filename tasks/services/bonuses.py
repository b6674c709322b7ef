"""Bonuses: an employer thanks the worker of one of their assignments with money on top of its
reward, from their wallet, with Kaaj's fee on top (as a task's), once per idempotency key.

The key is the employer's (the API's ``Idempotency-Key`` header; the page's form carries one
it made when it was shown): the same key again returns the bonus already paid and moves no
money; the same key for another bonus is refused. Two requests racing with one key pay once:
the ledger's key (``bonus:<employer>:<key>``) lets one movement through, and the bonus row's
unique (employer, key) one row.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, not_found
from core.money import fee_for, format_cents
from payments.services import IdempotencyConflict, InsufficientFunds, bonus_transfer
from tasks import limits
from tasks.models import Assignment, Bonus
from tasks.signals import bonus_paid

from .reviews import reason_check


def bonus_check(*, amount_cents: int, reason: str) -> str:
    """What a bonus may be (``tasks.limits``): the reason, stripped. Raises DomainError
    ``invalid`` (``amount_cents``) or ``reason_required`` (``reason``), for every way in."""
    if not limits.BONUS_MIN_CENTS <= amount_cents <= limits.BONUS_MAX_CENTS:
        raise DomainError(
            "invalid",
            _("A bonus is from %(least)s to %(most)s.")
            % {
                "least": format_cents(limits.BONUS_MIN_CENTS),
                "most": format_cents(limits.BONUS_MAX_CENTS),
            },
            field="amount_cents",
        )
    return reason_check(reason, missing=_("Say what the bonus is for: the worker reads it."))


def bonus_pay(
    *, assignment: Assignment, by: User, amount_cents: int, reason: str, key: str
) -> tuple[Bonus, bool]:
    """Pay the assignment's worker a bonus from ``by``'s wallet: ``(bonus, created)``.

    Only the campaign's employer, for work that was sent (an assignment with a submission).
    Raises DomainError ``not_found`` (404: not theirs), ``invalid``/``reason_required``
    (400), ``key_required`` (400), ``not_submitted``, ``insufficient_funds`` or
    ``key_reused`` (409); nothing moves then. The worker is notified in the same
    transaction."""
    if assignment.campaign.employer_id != by.pk:
        raise not_found()
    key = (key or "").strip()
    if not key or len(key) > limits.BONUS_KEY_MAX_CHARS:
        raise DomainError(
            "key_required",
            _("Send an idempotency key of at most %(n)s characters with the bonus.")
            % {"n": limits.BONUS_KEY_MAX_CHARS},
            field="key",
        )
    reason = bonus_check(amount_cents=amount_cents, reason=reason)
    paid = _paid_before(by, key, assignment=assignment, amount_cents=amount_cents)
    if paid is not None:
        return paid, False
    if assignment.submitted_at is None:
        raise DomainError(
            "not_submitted", _("A bonus is for work the worker has sent."), status=409
        )
    try:
        with transaction.atomic():
            try:
                bonus_transfer(
                    employer=by,
                    worker=assignment.worker,
                    amount_cents=amount_cents,
                    event=f"{by.pk}:{key}",
                    reference=f"assignment:{assignment.pk}",
                    memo=reason,
                    by=by,
                )
            except InsufficientFunds as error:
                cost = amount_cents + fee_for(amount_cents)
                raise DomainError(
                    "insufficient_funds",
                    _("This bonus costs %(cost)s with Kaaj's fee; your wallet has %(available)s.")
                    % {"cost": format_cents(cost), "available": format_cents(error.available)},
                    status=409,
                    field="amount_cents",
                ) from error
            bonus = Bonus.objects.create(
                assignment=assignment,
                employer=by,
                worker=assignment.worker,
                amount_cents=amount_cents,
                fee_cents=fee_for(amount_cents),
                reason=reason,
                key=key,
            )
            bonus.assignment = assignment
            bonus_paid.send(sender=Bonus, bonus=bonus)
    except (IntegrityError, IdempotencyConflict):  # the same key, used meanwhile by a racer
        paid = _paid_before(by, key, assignment=assignment, amount_cents=amount_cents)
        if paid is None:
            raise
        return paid, False
    return bonus, True


def _paid_before(by: User, key: str, *, assignment: Assignment, amount_cents: int) -> Bonus | None:
    """The bonus already paid under this key, if it is this one; refuses a key reused for
    another."""
    paid = Bonus.objects.filter(employer=by, key=key).first()
    if paid is not None and (paid.assignment_id, paid.amount_cents) != (
        assignment.pk,
        amount_cents,
    ):
        raise DomainError(
            "key_reused",
            _("This idempotency key was used for another bonus."),
            status=409,
            field="key",
        )
    return paid
