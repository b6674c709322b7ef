"""What users hear when the apps below change something: each receiver turns one announced
change (``tasks.signals``, ``payments.signals``, ``moderation.signals``, a worker's new level)
into notifications, written in the sender's transaction (a new level's after its commit).
Connected in ``NotificationsConfig.ready``."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse

from accounts.models import User
from moderation.signals import account_sanctioned
from payments.signals import payout_decided
from tasks.models import AssignmentStatus, CampaignStatus
from tasks.signals import (
    assignments_moved,
    bonus_paid,
    campaign_moved,
    dispute_answered,
    dispute_decided,
    dispute_opened,
    employer_rated,
    gold_stop_changed,
    rating_answered,
)
from workers.levels import worker_level_changed
from workers.sanctions import sanction_changed

from . import events
from .models import NotificationKind as Kind
from .services import notify

# The worker hears the employer's (or the clock's) review.
_REVIEW_KINDS = {
    AssignmentStatus.APPROVED: Kind.SUBMISSION_APPROVED,
    AssignmentStatus.REJECTED: Kind.SUBMISSION_REJECTED,
    AssignmentStatus.REVISION_REQUESTED: Kind.REVISION_REQUESTED,
}


@receiver(campaign_moved, dispatch_uid="notifications.campaign_moved")
def campaign_moderated(sender, *, campaign, source, target, note, **kwargs) -> None:
    """The employer hears a moderator's decision on a campaign in review."""
    if source == CampaignStatus.IN_REVIEW and target in (
        CampaignStatus.ACTIVE,
        CampaignStatus.REJECTED,
    ):
        events.campaign_moderated(
            campaign=campaign, approved=target == CampaignStatus.ACTIVE, reason=note
        )


@receiver(campaign_moved, dispatch_uid="notifications.campaign_live")
def campaign_went_live(sender, *, campaign, source, target, **kwargs) -> None:
    """A campaign approved into the feed: the workers it was made for hear of it."""
    if source != CampaignStatus.IN_REVIEW or target != CampaignStatus.ACTIVE:
        return
    if campaign.groups:  # chosen workers: all of them hear, searches or not
        events.private_campaign_live(campaign=campaign)
    else:  # everybody's: the workers whose saved searches it meets, from a job
        from .jobs import saved_searches

        # robust: a broker that is down loses these alerts, never the approval itself.
        transaction.on_commit(lambda: saved_searches.delay(campaign.pk), robust=True)


@receiver(assignments_moved, dispatch_uid="notifications.assignments_moved")
def assignments_reviewed(sender, *, assignments, target, reason, **kwargs) -> None:
    """A submission waits for the employer; a review reaches the worker (with the reason)."""
    if target == AssignmentStatus.SUBMITTED:
        for assignment in assignments:
            events.submission_arrived(assignment=assignment)
    elif target in _REVIEW_KINDS:
        events.submissions_reviewed(
            assignments=assignments,
            kind=_REVIEW_KINDS[target],
            reason="" if target == AssignmentStatus.APPROVED else reason,
        )


@receiver(dispute_opened, dispatch_uid="notifications.dispute_opened")
def dispute_was_opened(sender, *, dispute, assignment, **kwargs) -> None:
    events.dispute_told(
        assignment.campaign.employer,
        Kind.DISPUTE_OPENED,
        dispute,
        assignment,
        url=reverse("tasks:employer_dispute", args=[dispute.pk]),
    )


@receiver(dispute_answered, dispatch_uid="notifications.dispute_answered")
def dispute_was_answered(sender, *, dispute, assignment, **kwargs) -> None:
    events.dispute_told(
        assignment.worker,
        Kind.DISPUTE_ANSWERED,
        dispute,
        assignment,
        url=reverse("workers:assignment", args=[assignment.pk]),
    )


@receiver(dispute_decided, dispatch_uid="notifications.dispute_decided")
def dispute_was_decided(sender, *, dispute, assignment, **kwargs) -> None:
    """Both sides hear the decision and its reason."""
    events.dispute_told(
        assignment.worker,
        Kind.DISPUTE_DECIDED,
        dispute,
        assignment,
        url=reverse("workers:assignment", args=[assignment.pk]),
    )
    events.dispute_told(
        assignment.campaign.employer,
        Kind.DISPUTE_DECIDED,
        dispute,
        assignment,
        url=reverse("tasks:employer_dispute", args=[dispute.pk]),
    )


@receiver(payout_decided, dispatch_uid="notifications.payout_decided")
def payout_was_decided(sender, *, payout, paid, reason, **kwargs) -> None:
    events.payout_decided(payout=payout, paid=paid, reason=reason)


@receiver(account_sanctioned, dispatch_uid="notifications.account_sanctioned")
def account_was_sanctioned(sender, *, user, suspended, reason, **kwargs) -> None:
    notify(
        user=user,
        kind=Kind.ACCOUNT_SUSPENDED if suspended else Kind.ACCOUNT_REINSTATED,
        params={"reason": reason},
    )


@receiver(worker_level_changed, dispatch_uid="notifications.worker_level_changed")
def worker_level_rose(sender, *, worker, level, before, **kwargs) -> None:
    """A worker hears of a new level (once per level reached: a fall and a rise again do not
    repeat it)."""
    notify(
        user=User.objects.get(pk=worker),
        kind=Kind.LEVEL_UP,
        params={"level": level},
        url=reverse("workers:levels"),
        dedupe_key=f"level-up:{worker}:{level}",
    )


@receiver(gold_stop_changed, dispatch_uid="notifications.gold_stop_changed")
def gold_stop_was_changed(sender, *, stop, stopped, **kwargs) -> None:
    """A worker hears why a campaign stopped taking their work, with their numbers, and
    when it takes it again."""
    notify(
        user=stop.worker,
        kind=Kind.GOLD_STOPPED if stopped else Kind.GOLD_STOP_LIFTED,
        params={
            "campaign_title": stop.campaign.title,
            "right": stop.right,
            "answered": stop.answered,
            "min_accuracy": stop.campaign.gold_min_accuracy,
        },
        url=reverse("workers:campaign", args=[stop.campaign_id]),
        dedupe_key=f"gold-stop:{stop.pk}:{'on' if stopped else 'off'}",
    )


# --- warnings before sanctions ---------------------------------------------------------------

_SANCTION_KINDS = {"warning": Kind.SANCTION_WARNING, "pause": Kind.SANCTION_PAUSE}


@receiver(sanction_changed, dispatch_uid="notifications.sanction_changed")
def sanction_was_changed(sender, *, sanction, event, **kwargs) -> None:
    """The user hears of each step of the ladder before sanctions, its lifting and a
    turned-down appeal (with the moderator's reason), with a link to the rejections."""
    kind = Kind.SANCTION_LIFTED if event == "lifted" else _SANCTION_KINDS[sanction.step]
    notify(
        user=sanction.user,
        kind=kind,
        params={
            "side": sanction.side,
            "rate": sanction.rejection_rate,
            "rejected": sanction.rejected,
            "reviewed": sanction.reviewed,
            "days": sanction.details.get("days", 0),
            "appeal": "upheld" if event == "upheld" else "",
            "reason": sanction.lift_reason if event == "lifted" else sanction.decision_reason,
        },
        url=reverse("workers:warnings"),
        dedupe_key=f"sanction:{sanction.pk}:{event}",
    )


@receiver(bonus_paid, dispatch_uid="notifications.bonus_paid")
def bonus_was_paid(sender, *, bonus, **kwargs) -> None:
    """The worker hears of a bonus, what it is for and from which campaign."""
    notify(
        user=bonus.worker,
        kind=Kind.BONUS_RECEIVED,
        params={
            "amount_cents": bonus.amount_cents,
            "campaign_title": bonus.assignment.campaign.title,
            "reason": bonus.reason,
        },
        url=reverse("workers:assignment", args=[bonus.assignment_id]),
        dedupe_key=f"bonus:{bonus.pk}",
    )


@receiver(employer_rated, dispatch_uid="notifications.employer_rated")
def employer_was_rated(sender, *, rating, created, **kwargs) -> None:
    """The employer hears of a new rating (not of its edits), with a link to answer it."""
    if created:
        notify(
            user=rating.campaign.employer,
            kind=Kind.EMPLOYER_RATED,
            params={
                "average": f"{rating.average:.1f}",
                "campaign_title": rating.campaign.title,
            },
            url=reverse("tasks:campaign_ratings", args=[rating.campaign_id])
            + f"#rating-{rating.pk}",
            dedupe_key=f"rating:{rating.pk}",
        )


@receiver(rating_answered, dispatch_uid="notifications.rating_answered")
def rating_was_answered(sender, *, rating, **kwargs) -> None:
    """The worker hears that the employer answered their rating (the first answer only)."""
    notify(
        user=rating.worker,
        kind=Kind.RATING_ANSWERED,
        params={
            "employer_name": rating.employer.public_name,
            "campaign_title": rating.campaign.title,
        },
        url=reverse("workers:campaign_rating", args=[rating.campaign_id]),
        dedupe_key=f"rating-answer:{rating.pk}",
    )
