"""Moderator writes: the audit log and account sanctions.

Locking: a sanction locks the user's row first (``select_for_update``), then each campaign
through the campaign services (campaign → tasks → ledger), so two moderators acting on the
same account at once are serialised and the partial unique constraint never has to speak.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import ensure_not_own_case

from .models import ModerationAction, Suspension


class ModerationError(Exception):
    """A sanction refused: ``code`` is stable (the API's), ``message`` for people, ``status``
    the HTTP status the API answers with, ``field`` the form field it is about, if any."""

    def __init__(self, code: str, message: str, *, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.field = code, str(message), status, field


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    reason: str = "",
    details: dict | None = None,
) -> ModerationAction:
    """Write one audit row: ``actor`` did ``action`` to ``target`` because of ``reason``.

    Call it inside the transaction that makes the decision so the row commits (or rolls back)
    with it. ``actor`` may be None for decisions taken by the system. ``details`` must be
    JSON-able (ids, statuses, ``_cents`` amounts).
    """
    return ModerationAction.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
        target_repr=str(getattr(target, "email", None) or target)[:200],
        reason=reason or "",
        details=details or {},
    )


def _check_sanction(*, user: User, by: User, reason: str) -> str:
    if not getattr(by, "is_moderator", False):
        raise ModerationError(
            "permission_denied", _("Only moderators suspend or reinstate accounts."), status=403
        )
    ensure_not_own_case(actor=by, parties=[user], message=_("You cannot act on your own account."))
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("reason_required", _("Say why."), field="reason")
    if user.is_moderator:
        raise ModerationError(
            "cannot_suspend_moderator",
            _("Moderators cannot be suspended here; an administrator removes them first."),
            status=403,
        )
    return reason


def user_suspend(*, user: User, by: User, reason: str) -> Suspension:
    """Suspend ``user``: they cannot claim tasks, launch or resume campaigns, or withdraw.

    Requires ``by`` to be a moderator, a reason, and ``user`` to be neither ``by`` nor a
    moderator. In one transaction (the user's row locked first): the suspension, every
    active campaign of theirs paused (by ``by``, through the campaign service), an audit row
    and an ``account_suspended`` notification. Money stays where it is: balances are frozen,
    not taken; requested payouts wait. Raises ModerationError (``permission_denied``,
    ``reason_required``, ``cannot_suspend_moderator``, ``already_suspended``) or OwnCase
    (``by`` is ``user``: four eyes); nothing changes then.
    """
    reason = _check_sanction(user=user, by=by, reason=reason)
    already = ModerationError(
        "already_suspended", _("This account is already suspended."), status=409
    )
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            if Suspension.objects.filter(user=user, lifted_at__isnull=True).exists():
                raise already
            suspension = Suspension.objects.create(user=user, reason=reason, by=by)
            paused = _campaigns_pause(user=user, by=by)
            audit_record(
                actor=by,
                action="user.suspend",
                target=user,
                reason=reason,
                details={"suspension": suspension.pk, "paused_campaigns": paused},
            )
            _notify(user, "account_suspended", {"reason": reason})
    except IntegrityError as error:  # the partial unique constraint: suspended meanwhile
        raise already from error
    return suspension


def user_reinstate(*, user: User, by: User, reason: str) -> Suspension:
    """Lift ``user``'s active suspension: claims, launches, resumes and withdrawals work
    again; paused campaigns stay paused until their employer resumes them, and requested
    payouts are sent by the usual jobs.

    Same rules as :func:`user_suspend` for who and why. One transaction: the suspension
    lifted (conditional update), an audit row, an ``account_reinstated`` notification.
    Raises ModerationError (as :func:`user_suspend`, or ``not_suspended``).
    """
    reason = _check_sanction(user=user, by=by, reason=reason)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        suspension = (
            Suspension.objects.select_for_update().filter(user=user, lifted_at__isnull=True).first()
        )
        if suspension is None:
            raise ModerationError("not_suspended", _("This account is not suspended."), status=409)
        suspension.lifted_at, suspension.lifted_by = timezone.now(), by
        suspension.lift_reason = reason
        suspension.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_record(
            actor=by,
            action="user.reinstate",
            target=user,
            reason=reason,
            details={"suspension": suspension.pk},
        )
        _notify(user, "account_reinstated", {"reason": reason})
    return suspension


def _campaigns_pause(*, user: User, by: User) -> list[int]:
    """Pause every active campaign of ``user`` as moderator ``by``; the ids paused. A
    campaign that changed status meanwhile (completed, expired) is left as it is."""
    from tasks.models import Campaign, CampaignStatus
    from tasks.services import CampaignError, campaign_pause

    paused = []
    active = Campaign.objects.filter(employer=user, status=CampaignStatus.ACTIVE).order_by("pk")
    for campaign in active:
        try:
            campaign_pause(campaign=campaign, by=by, as_moderator=True)
        except CampaignError:
            continue
        paused.append(campaign.pk)
    return paused


def _notify(user: User, kind: str, params: dict) -> None:
    from notifications.services import notify

    notify(user=user, kind=kind, params=params)
