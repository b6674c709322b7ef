"""A campaign's status, moved along ``CAMPAIGN_TRANSITIONS`` with its history row.

A move needs the campaign's row locked ``FOR UPDATE`` (:func:`campaign_lock`): claims, expiries
and releases read its status under ``FOR KEY SHARE``, so none of them acts on a status that is
changing under it. The move saves the status (and any other fields given), writes the
``CampaignEvent``, and announces it (``tasks.signals.campaign_moved``).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from tasks.models import CAMPAIGN_TRANSITIONS, Campaign, CampaignEvent, CampaignStatus
from tasks.signals import campaign_moved


def campaign_lock(campaign: Campaign | int, *, skip_locked: bool = False) -> Campaign | None:
    """The campaign's row, fresh and locked ``FOR UPDATE`` (None: skipped because another
    transaction holds it, with ``skip_locked``). Needs an open transaction."""
    pk = getattr(campaign, "pk", campaign)
    return (
        Campaign.objects.select_for_update(skip_locked=skip_locked)
        .select_related("employer")
        .filter(pk=pk)
        .first()
    )


def campaign_move(
    locked: Campaign,
    target: CampaignStatus,
    *,
    by: User | None,
    note: str = "",
    expected: CampaignStatus | None = None,
    **fields,
) -> Campaign:
    """Move a locked campaign to ``target`` (and set ``fields``), if the map allows it from
    where it is (and it is ``expected``, when given). Raises DomainError ``invalid_status``
    (409) otherwise; nothing changes then."""
    current = CampaignStatus(locked.status)
    if (expected is not None and current != expected) or target not in CAMPAIGN_TRANSITIONS[
        current
    ]:
        raise DomainError(
            "invalid_status",
            _("A campaign that is %(status)s cannot be %(target)s.")
            % {"status": current.label, "target": target.label},
            status=409,
        )
    locked.status, locked.updated_at = target, timezone.now()
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    campaign_history(locked, current, target, by=by, note=note)
    campaign_moved.send(
        sender=Campaign, campaign=locked, source=current, target=target, by=by, note=note
    )
    return locked


def campaign_history(
    campaign: Campaign, before: str, after: str, *, by: User | None, note: str = ""
) -> CampaignEvent:
    """One row of the campaign's history (a move, its creation, or positions added)."""
    return CampaignEvent.objects.create(
        campaign=campaign, from_status=before, to_status=after, actor=by, note=note
    )
