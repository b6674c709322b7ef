"""Moderator writes: the audit log and account sanctions.

Locking: a sanction locks the user's row first (``select_for_update``), then each campaign
through the campaign services (campaign → tasks → ledger), so two moderators acting on the
same account at once are serialised and the partial unique constraint never has to speak.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Suspension, User
from accounts.permissions import ensure_not_own_case
from accounts.services import audit_record
from core.errors import DomainError
from moderation.signals import account_sanctioned


def _check_sanction(*, user: User, by: User, reason: str) -> str:
    if not getattr(by, "is_moderator", False):
        raise DomainError(
            "permission_denied", _("Only moderators suspend or reinstate accounts."), status=403
        )
    ensure_not_own_case(actor=by, parties=[user], message=_("You cannot act on your own account."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("Say why."), field="reason")
    if user.is_moderator:
        raise DomainError(
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
    not taken; requested payouts wait. Raises DomainError (``permission_denied``,
    ``reason_required``, ``cannot_suspend_moderator``, ``already_suspended``) or OwnCase
    (``by`` is ``user``: four eyes); nothing changes then.
    """
    reason = _check_sanction(user=user, by=by, reason=reason)
    already = DomainError("already_suspended", _("This account is already suspended."), status=409)
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
            account_sanctioned.send(sender=User, user=user, suspended=True, reason=reason)
    except IntegrityError as error:  # the partial unique constraint: suspended meanwhile
        raise already from error
    return suspension


def user_reinstate(*, user: User, by: User, reason: str) -> Suspension:
    """Lift ``user``'s active suspension: claims, launches, resumes and withdrawals work
    again; paused campaigns stay paused until their employer resumes them, and requested
    payouts are sent by the usual jobs.

    Same rules as :func:`user_suspend` for who and why. One transaction: the suspension
    lifted (conditional update), an audit row, an ``account_reinstated`` notification.
    Raises DomainError (as :func:`user_suspend`, or ``not_suspended``).
    """
    reason = _check_sanction(user=user, by=by, reason=reason)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        suspension = (
            Suspension.objects.select_for_update().filter(user=user, lifted_at__isnull=True).first()
        )
        if suspension is None:
            raise DomainError("not_suspended", _("This account is not suspended."), status=409)
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
        account_sanctioned.send(sender=User, user=user, suspended=False, reason=reason)
    return suspension


def _campaigns_pause(*, user: User, by: User) -> list[int]:
    """Pause every active campaign of ``user`` as moderator ``by``; the ids paused. A
    campaign that changed status meanwhile (completed, expired) is left as it is."""
    from tasks.models import Campaign, CampaignStatus
    from tasks.services import campaign_pause

    paused = []
    active = Campaign.objects.filter(employer=user, status=CampaignStatus.ACTIVE).order_by("pk")
    for campaign in active:
        try:
            campaign_pause(campaign=campaign, by=by, as_moderator=True)
        except DomainError:
            continue
        paused.append(campaign.pk)
    return paused
