"""What Kaaj tells users, one function per event, called by the receivers
(``notifications.receivers``) inside the sender's transaction: every notification's params
and link in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from accounts.models import User
from notifications.models import NotificationKind as Kind
from notifications.services import Notice, notify, notify_many
from tasks.models import Campaign, CampaignStatus
from workers.searches import saved_search_matches

if TYPE_CHECKING:
    from payments.models import Payout
    from tasks.models import Assignment, Dispute


def _campaign_url(campaign_id: int) -> str:
    return reverse("tasks:campaign_manage", args=[campaign_id])


def _assignment_url(assignment_id: int) -> str:
    return reverse("workers:assignment", args=[assignment_id])


def campaign_moderated(*, campaign: Campaign, approved: bool, reason: str = "") -> None:
    """The employer hears the moderator's decision (and the reason of a rejection)."""
    params = {"campaign_id": campaign.pk, "campaign_title": campaign.title}
    if not approved:
        params["reason"] = reason
    notify(
        user=campaign.employer,
        kind=Kind.CAMPAIGN_APPROVED if approved else Kind.CAMPAIGN_REJECTED,
        params=params,
        url=_campaign_url(campaign.pk),
    )


def submission_arrived(*, assignment: Assignment) -> None:
    """One more submission on the employer's batched "to review" notification."""
    campaign = assignment.campaign
    notify(
        user=campaign.employer,
        kind=Kind.SUBMISSIONS_TO_REVIEW,
        params={"campaign_id": campaign.pk, "campaign_title": campaign.title},
        url=_campaign_url(campaign.pk),
    )


def _review_notice(assignment: Assignment, kind: str, reason: str = "") -> Notice:
    params: dict = {"assignment_id": assignment.pk, "campaign_title": assignment.campaign.title}
    if kind == Kind.SUBMISSION_APPROVED:
        params["reward_cents"] = assignment.campaign.reward_cents
    if reason:
        params["reason"] = reason
    return Notice(
        user=assignment.worker,
        kind=kind,
        params=params,
        url=_assignment_url(assignment.pk),
    )


def submissions_reviewed(*, assignments: list[Assignment], kind: str, reason: str = "") -> None:
    """Each worker hears the review of their assignment (campaign and worker loaded):
    ``kind`` is submission_approved, submission_rejected or revision_requested. One INSERT
    for all of them."""
    notify_many(notices=[_review_notice(a, kind, reason) for a in assignments])


def payout_decided(*, payout: Payout, paid: bool, reason: str = "") -> None:
    """The worker hears that a payout was paid, or failed / was rejected (money is back)."""
    params: dict = {"payout_id": payout.pk, "amount_cents": payout.amount_cents}
    if not paid and reason:
        params["reason"] = reason
    notify(
        user=payout.user,
        kind=Kind.PAYOUT_PAID if paid else Kind.PAYOUT_FAILED,
        params=params,
        url=reverse("payments:payouts"),
    )


def dispute_told(
    user: User, kind: str, dispute: Dispute, assignment: Assignment, *, url: str
) -> None:
    """One side of a dispute hears it was opened, answered or decided (with the outcome and
    the moderator's or employer's reason)."""
    notify(
        user=user,
        kind=kind,
        params={
            "dispute_id": dispute.pk,
            "assignment_id": assignment.pk,
            "campaign_id": assignment.campaign_id,
            "campaign_title": assignment.campaign.title,
            "outcome": dispute.outcome,
            "reason": dispute.decision_reason,
        },
        url=url,
    )


def private_campaign_live(*, campaign: Campaign) -> None:
    """The workers of the groups a private campaign is open to hear it went live (one
    INSERT for all of them)."""
    members = (
        User.objects.filter(group_memberships__group_id__in=campaign.groups)
        .exclude(pk=campaign.employer_id)
        .distinct()
        .only("id")
    )
    params = {
        "campaign_id": campaign.pk,
        "campaign_title": campaign.title,
        "employer_name": campaign.employer.public_name,
        "reward_cents": campaign.reward_cents,
    }
    url = reverse("workers:campaign", args=[campaign.pk])
    notify_many(
        notices=[
            Notice(user=user, kind=Kind.PRIVATE_CAMPAIGN, params=params, url=url)
            for user in members
        ]
    )


def saved_searches_matched(*, campaign_id: int) -> int:
    """The workers whose saved search a campaign just live meets, and who may take its
    tasks, hear of it: once per worker and campaign, however often this runs (the
    ``notifications.saved_searches`` job, after the campaign goes live). Returns how many
    workers it matched."""
    campaign = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.ACTIVE).first()
    if campaign is None:  # paused, cancelled or gone meanwhile: nothing to take
        return 0
    url = reverse("workers:campaign", args=[campaign.pk])
    matches = saved_search_matches(campaign)
    for match in matches:
        notify(
            user=match.worker,
            kind=Kind.SEARCH_MATCHED,
            params={
                "campaign_id": campaign.pk,
                "campaign_title": campaign.title,
                "reward_cents": campaign.reward_cents,
                "search_name": match.search.name,
            },
            url=url,
            dedupe_key=f"search:{campaign.pk}",
        )
    return len(matches)
