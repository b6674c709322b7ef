"""Which of the work loop's announced changes (``tasks.signals``) reach employers' webhook
endpoints, and with what ``data``. Deliveries are written in the sender's transaction and
sent after commit (the outbox). Connected in ``WebhooksConfig.ready``."""

from __future__ import annotations

from django.dispatch import receiver

from tasks.models import AssignmentStatus, CampaignStatus
from tasks.signals import assignments_moved, campaign_moved, dispute_decided, dispute_opened

from .payloads import assignment_events, campaign_data
from .services import webhook_emit, webhook_emit_many

_ASSIGNMENT_EVENTS = {
    AssignmentStatus.SUBMITTED: "assignment.submitted",
    AssignmentStatus.APPROVED: "assignment.approved",
    AssignmentStatus.REJECTED: "assignment.rejected",
    AssignmentStatus.REVISION_REQUESTED: "assignment.revision_requested",
}


def _campaign_event(source: str, target: str) -> str | None:
    if source == CampaignStatus.IN_REVIEW and target == CampaignStatus.ACTIVE:
        return "campaign.approved"
    return {
        CampaignStatus.REJECTED: "campaign.rejected",
        CampaignStatus.EXPIRED: "campaign.expired",
        CampaignStatus.COMPLETED: "campaign.completed",
    }.get(target)


@receiver(campaign_moved, dispatch_uid="webhooks.campaign_moved")
def campaign_was_moved(sender, *, campaign, source, target, **kwargs) -> None:
    event = _campaign_event(source, target)
    if event:
        webhook_emit(employer=campaign.employer_id, event=event, data=campaign_data(campaign))


@receiver(assignments_moved, dispatch_uid="webhooks.assignments_moved")
def assignments_were_moved(sender, *, assignments, target, **kwargs) -> None:
    event = _ASSIGNMENT_EVENTS.get(target)
    if event:
        webhook_emit_many(events=assignment_events(assignments, event))


@receiver(dispute_opened, dispatch_uid="webhooks.dispute_opened")
def dispute_was_opened(sender, *, dispute, assignment, **kwargs) -> None:
    webhook_emit(
        employer=assignment.campaign.employer_id,
        event="assignment.disputed",
        data={
            "assignment_id": assignment.pk,
            "campaign_id": assignment.campaign_id,
            "dispute_id": dispute.pk,
            "status": AssignmentStatus.DISPUTED.value,
            "reason": dispute.worker_statement,
            "disputed_at": dispute.created_at.isoformat(),
        },
    )


@receiver(dispute_decided, dispatch_uid="webhooks.dispute_decided")
def dispute_was_decided(sender, *, dispute, assignment, **kwargs) -> None:
    webhook_emit(
        employer=assignment.campaign.employer_id,
        event="dispute.resolved",
        data={
            "dispute_id": dispute.pk,
            "assignment_id": assignment.pk,
            "campaign_id": assignment.campaign_id,
            "outcome": dispute.outcome,
            "reason": dispute.decision_reason,
            "status": assignment.status,
            "reward_cents": assignment.campaign.reward_cents,
            "decided_at": dispute.decided_at.isoformat(),
        },
    )
