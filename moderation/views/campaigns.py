"""Moderators' queue of campaigns waiting for review: flags first in sight, approve or
reject with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import moderator_required
from core.errors import DomainError
from moderation.forms import CampaignDecisionForm
from tasks.models import Campaign, CampaignStatus
from tasks.services import campaign_moderate

QUEUE_PAGE_SIZE = 20


def _waiting():
    return (
        Campaign.objects.filter(status=CampaignStatus.IN_REVIEW)
        .select_related("category", "employer")
        .order_by("launched_at", "id")
    )


def _render_queue(
    request: HttpRequest, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    """The queue; ``bound`` is one campaign's form that came back with errors."""
    bound = bound or {}
    page = Paginator(_waiting(), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "campaign": campaign,
            "form": bound.get(campaign.pk) or CampaignDecisionForm(auto_id=f"id_%s_{campaign.pk}"),
        }
        for campaign in page.object_list
    ]
    return render(request, "moderation/campaigns.html", {"page": page, "rows": rows}, status=status)


@moderator_required
@require_GET
def campaign_queue(request: HttpRequest) -> HttpResponse:
    """Campaigns in review, oldest first."""
    return _render_queue(request)


@moderator_required
@require_POST
def campaign_moderate_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignDecisionForm(request.POST, auto_id=f"id_%s_{campaign.pk}")
    if not form.is_valid():
        return _render_queue(request, {campaign.pk: form}, status=400)
    approve = form.cleaned_data["action"] == "approve"
    try:
        campaign_moderate(
            campaign=campaign, by=request.user, approve=approve, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        text = (
            _("“%(title)s” approved: workers can see it now.")
            if approve
            else _("“%(title)s” rejected; the employer's money is back in their wallet.")
        )
        messages.success(request, text % {"title": campaign.title})
    return redirect("moderation:campaigns")


urlpatterns = [
    path("campaigns/", campaign_queue, name="campaigns"),
    path("campaigns/<int:pk>/decide/", campaign_moderate_view, name="campaign_moderate"),
]
