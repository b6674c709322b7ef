"""Dispute blocks that other pages include: the worker's form or status on an assignment's
page, and the open disputes on an employer's campaign page."""

from __future__ import annotations

from django import template

from tasks.dispute_selectors import employer_open_disputes
from tasks.models import Assignment, AssignmentStatus, Campaign, Dispute

register = template.Library()

# Statuses after which a dispute may be possible or may exist (nothing to show otherwise).
_AFTER_REVIEW = (AssignmentStatus.REJECTED, AssignmentStatus.DISPUTED, AssignmentStatus.APPROVED)


@register.inclusion_tag("tasks/disputes/worker_box.html", takes_context=True)
def dispute_box(context: template.Context, assignment: Assignment) -> dict:
    """For the assignment's worker: the dispute form while allowed, else why not, and the
    dispute's state and decision once there is one."""
    from tasks.services.disputes import dispute_refusal
    from tasks.views.disputes import DisputeForm

    shown = {"assignment": assignment, "csrf_token": context.get("csrf_token")}
    if assignment.status not in _AFTER_REVIEW:
        return shown
    dispute = Dispute.objects.filter(assignment_id=assignment.pk).first()
    shown["dispute"] = dispute
    if dispute is None and assignment.status == AssignmentStatus.REJECTED:
        refusal = dispute_refusal(assignment)
        shown["refusal"] = refusal
        shown["form"] = None if refusal else DisputeForm(auto_id="id_dispute_%s")
    return shown


@register.inclusion_tag("tasks/disputes/campaign_disputes.html", takes_context=True)
def campaign_disputes(context: template.Context, campaign: Campaign) -> dict:
    """For the campaign's employer: its open disputes, each with an answer form and a
    reverse button."""
    from tasks.views.disputes import RespondForm, ReverseForm

    request = context.get("request")
    disputes = list(employer_open_disputes(employer=campaign.employer, campaign_id=campaign.pk))
    return {
        "rows": [
            {
                "dispute": dispute,
                "respond_form": RespondForm(
                    initial={"statement": dispute.employer_statement},
                    auto_id=f"id_respond_%s_{dispute.pk}",
                ),
                "reverse_form": ReverseForm(auto_id=f"id_reverse_%s_{dispute.pk}"),
            }
            for dispute in disputes
        ],
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }
