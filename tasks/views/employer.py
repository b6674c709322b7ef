"""Employers' pages: their campaigns with progress, create and edit a draft with a cost
preview, the lifecycle buttons, and a campaign's review queue with bulk actions."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, form_error
from core.money import fee_basis_points, fee_for
from core.pagination import is_id
from payments.selectors import balances_of
from tasks.forms import (
    SERVICE_FIELDS,
    AddPositionsForm,
    BulkReviewForm,
    CampaignForm,
    CostPreviewForm,
    ProofFieldsForm,
    ReviewForm,
)
from tasks.models import (
    CAMPAIGN_TRANSITIONS,
    LIVE_STATUSES,
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Category,
    TaskStatus,
)
from tasks.selectors import review_queue
from tasks.services import (
    campaign_add_positions,
    campaign_cancel,
    campaign_create,
    campaign_launch,
    campaign_pause,
    campaign_resume,
    campaign_update,
    submission_approve,
    submission_reject,
    submission_request_revision,
    submissions_bulk_review,
)

CAMPAIGNS_PAGE_SIZE = 20
QUEUE_PAGE_SIZE = 20
QUEUE_FILTERS = [
    AssignmentStatus.SUBMITTED,
    AssignmentStatus.REVISION_REQUESTED,
    AssignmentStatus.CLAIMED,
    AssignmentStatus.APPROVED,
    AssignmentStatus.REJECTED,
    AssignmentStatus.DISPUTED,
]


def _task_counts(*, through_campaign: bool) -> dict:
    """Open, assigned and paid tasks: per campaign (annotate) or of one campaign (aggregate)."""
    counted, prefix = ("tasks", "tasks__") if through_campaign else ("id", "")
    return {
        f"{status}_count": Count(counted, filter=Q(**{f"{prefix}status": status}))
        for status in (TaskStatus.OPEN, TaskStatus.ASSIGNED, TaskStatus.PAID)
    }


def _own_campaign(request: HttpRequest, pk: int) -> Campaign:
    """The signed-in employer's campaign; 404 for anybody else's."""
    return get_object_or_404(
        Campaign.objects.select_related("category"), pk=pk, employer=request.user
    )


def _own_assignment(request: HttpRequest, pk: int) -> Assignment:
    """An assignment of one of the employer's campaigns; 404 otherwise."""
    return get_object_or_404(
        Assignment.objects.select_related("campaign", "worker"),
        pk=pk,
        campaign__employer=request.user,
    )


def cost_of(reward_cents: int | None, positions: int | None) -> dict | None:
    """positions * (reward + fee), the same arithmetic as launching."""
    if not reward_cents or not positions:
        return None
    fee = fee_for(reward_cents)
    return {
        "reward_cents": reward_cents,
        "fee_cents": fee,
        "per_task_cents": reward_cents + fee,
        "positions": positions,
        "total_cents": positions * (reward_cents + fee),
        "fee_percent": format(fee_basis_points() / 100, "g"),  # 10 or 7.5
    }


# --- list, create, edit ------------------------------------------------------------------


@login_required
@require_GET
def my_campaigns(request: HttpRequest) -> HttpResponse:
    """The employer's campaigns, newest first, each with its open, assigned and paid tasks."""
    campaigns = (
        Campaign.objects.filter(employer=request.user)
        .select_related("category")
        .annotate(**_task_counts(through_campaign=True))
        .order_by("-created_at", "-id")
    )
    page = Paginator(campaigns, CAMPAIGNS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tasks/my_campaigns.html", {"page": page})


def _attach(error: DomainError, form: CampaignForm, proofs: ProofFieldsForm) -> None:
    """Show a service's refusal next to the field it is about."""
    if error.field == "proof_fields":
        form_error(proofs, error)  # the proof rows' own form, at its top
    else:
        form_error(form, error, fields=SERVICE_FIELDS)


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    stored = campaign.task_inputs if campaign else ()
    if request.method == "POST":
        form = CampaignForm(request.POST, request.FILES, stored_inputs=stored)
        proofs = ProofFieldsForm(request.POST)
        if form.is_valid() & proofs.is_valid():  # both, so every error shows at once
            spec = form.spec(proofs.cleaned_data["proof_fields"])
            try:
                if campaign is None:
                    campaign = campaign_create(employer=request.user, spec=spec)
                else:
                    campaign = campaign_update(campaign=campaign, spec=spec, by=request.user)
            except DomainError as error:
                _attach(error, form, proofs)
            else:
                messages.success(request, _("Draft saved. Launch it when it is ready."))
                return redirect("tasks:campaign_manage", pk=campaign.pk)
        data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
        preview = cost_of(data.get("reward"), data.get("positions"))
    elif campaign is not None:
        form = CampaignForm(initial=CampaignForm.initial_for(campaign), stored_inputs=stored)
        proofs = ProofFieldsForm(initial=ProofFieldsForm.initial_for(campaign.proof_fields))
        preview = cost_of(campaign.reward_cents, campaign.positions)
    else:
        chosen = request.GET.get("category", "")
        category = (
            Category.objects.filter(pk=chosen).first() if is_id(chosen) else None
        ) or Category.objects.first()
        form = CampaignForm(initial={"category": category.pk if category else None})
        proofs = ProofFieldsForm(
            initial=ProofFieldsForm.initial_for(category.proof_template if category else [])
        )
        preview = None
        # With htmx, choosing another category swaps in its suggested proofs.
        form.fields["category"].widget.attrs.update(
            {
                "hx-get": reverse("tasks:campaign_new"),
                "hx-target": "#proof-rows",
                "hx-select": "#proof-rows",
                "hx-swap": "outerHTML",
            }
        )
    return render(
        request,
        "tasks/campaign_form.html",
        {
            "form": form,
            "proofs": proofs,
            "campaign": campaign,
            "preview": preview,
            "balances": balances_of(request.user),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _own_campaign(request, pk)
    if campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("tasks:campaign_manage", pk=campaign.pk)
    return _campaign_form(request, campaign)


@login_required
@require_POST
def campaign_cost_preview(request: HttpRequest) -> HttpResponse:
    """The cost block for the reward and positions typed so far (htmx swaps it in)."""
    form = CostPreviewForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    return render(
        request,
        "tasks/includes/cost_preview.html",
        {
            "preview": cost_of(data.get("reward"), data.get("positions")),
            "balances": balances_of(request.user),
        },
    )


# --- the campaign's page and its review queue ---------------------------------------------


def _manage(
    request: HttpRequest, campaign: Campaign, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    """The owner's page; ``bound`` holds a form that came back with errors."""
    bound = bound or {}
    shown = request.GET.get("status", AssignmentStatus.SUBMITTED)
    shown = shown if shown in QUEUE_FILTERS or shown == "all" else AssignmentStatus.SUBMITTED
    queue = review_queue(campaign=campaign, status=None if shown == "all" else shown)
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for assignment in page.object_list:
        submissions = list(assignment.submissions.all())
        rows.append(
            {
                "assignment": assignment,
                "submission": submissions[-1] if submissions else None,
                "form": bound.get(assignment.pk) or ReviewForm(auto_id=f"id_%s_{assignment.pk}"),
            }
        )
    counts = campaign.tasks.aggregate(**_task_counts(through_campaign=False))
    return render(
        request,
        "tasks/campaign_manage.html",
        {
            "campaign": campaign,
            "counts": counts,
            "page": page,
            "rows": rows,
            "shown": shown,
            "filters": [(s.value, s.label) for s in QUEUE_FILTERS],
            "bulk_form": bound.get("bulk") or BulkReviewForm(auto_id="id_bulk_%s"),
            "positions_form": bound.get("positions") or AddPositionsForm(),
            "query": f"status={shown}",
            "live": campaign.status in LIVE_STATUSES,
            "cancellable": CampaignStatus.CANCELLED in CAMPAIGN_TRANSITIONS[campaign.status],
        },
        status=status,
    )


@login_required
@require_GET
def campaign_manage(request: HttpRequest, pk: int) -> HttpResponse:
    return _manage(request, _own_campaign(request, pk))


def _back(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    url = reverse("tasks:campaign_manage", args=[campaign.pk])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


def _lifecycle(service: Callable, done: str) -> Callable:
    """A POST-only view that calls one campaign service and reports the outcome."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        campaign = _own_campaign(request, pk)
        try:
            service(campaign=campaign, by=request.user)
        except DomainError as error:
            _refused(request, error)
        else:
            messages.success(request, _(done))
        return redirect("tasks:campaign_manage", pk=campaign.pk)

    view.__name__ = service.__name__ + "_view"
    return view


def _refused(request: HttpRequest, error: DomainError) -> None:
    if error.code == "insufficient_funds":
        messages.error(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                error.message,
                reverse("payments:deposit_new"),
                _("Add money"),
            ),
        )
    else:
        messages.error(request, error.message)


campaign_launch_view = _lifecycle(
    campaign_launch, gettext_noop("Launched: the money is in escrow and a moderator will check it.")
)
campaign_pause_view = _lifecycle(
    campaign_pause, gettext_noop("Paused: workers cannot claim tasks.")
)
campaign_resume_view = _lifecycle(
    campaign_resume, gettext_noop("Resumed: workers can claim tasks.")
)
campaign_cancel_view = _lifecycle(
    campaign_cancel, gettext_noop("Cancelled: the money for open tasks is back in your wallet.")
)


@login_required
@require_POST
def campaign_add_positions_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _own_campaign(request, pk)
    form = AddPositionsForm(request.POST)
    if not form.is_valid():
        return _manage(request, campaign, {"positions": form}, status=400)
    try:
        campaign_add_positions(campaign=campaign, by=request.user, count=form.cleaned_data["count"])
    except DomainError as error:
        if error.code != "insufficient_funds":
            form.add_error("count", error.message)
            return _manage(request, campaign, {"positions": form}, status=400)
        _refused(request, error)
    else:
        messages.success(request, _("Positions added."))
    return redirect("tasks:campaign_manage", pk=campaign.pk)


REVIEW_SERVICES = {
    "approve": submission_approve,
    "reject": submission_reject,
    "request_revision": submission_request_revision,
}
REVIEW_DONE = {
    "approve": gettext_noop("Approved: the worker is paid."),
    "reject": gettext_noop("Rejected. The worker sees your reason."),
    "request_revision": gettext_noop("Sent back to the worker to fix."),
}


@login_required
@require_POST
def assignment_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, reject or send back one submission; the button pressed is the action."""
    assignment = _own_assignment(request, pk)
    form = ReviewForm(request.POST, auto_id=f"id_%s_{assignment.pk}")
    if form.is_valid():
        action = form.cleaned_data["action"]
        extra = {} if action == "approve" else {"reason": form.cleaned_data["reason"]}
        try:
            REVIEW_SERVICES[action](assignment=assignment, by=request.user, **extra)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _(REVIEW_DONE[action]))
        return _back(request, assignment.campaign)
    return _manage(request, assignment.campaign, {assignment.pk: form}, status=400)


@login_required
@require_POST
def submissions_bulk_review_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _own_campaign(request, pk)
    form = BulkReviewForm(request.POST, auto_id="id_bulk_%s")
    if not form.is_valid():
        return _manage(request, campaign, {"bulk": form}, status=400)
    ids = list(
        campaign.assignments.filter(pk__in=form.cleaned_data["ids"]).values_list("pk", flat=True)
    )
    try:
        results = submissions_bulk_review(
            ids=ids,
            action=form.cleaned_data["action"],
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        form_error(form, error)
        return _manage(request, campaign, {"bulk": form}, status=400)
    done = sum(1 for outcome in results.values() if outcome == "done")
    messages.success(
        request,
        _("%(done)s of %(total)s submissions reviewed.")
        % {"done": done, "total": len(form.cleaned_data["ids"])},
    )
    return _back(request, campaign)


urlpatterns = [
    path("campaigns/", my_campaigns, name="my_campaigns"),
    path("campaigns/new/", campaign_new, name="campaign_new"),
    path("campaigns/cost-preview/", campaign_cost_preview, name="campaign_cost_preview"),
    path("campaigns/<int:pk>/", campaign_manage, name="campaign_manage"),
    path("campaigns/<int:pk>/edit/", campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/launch/", campaign_launch_view, name="campaign_launch"),
    path("campaigns/<int:pk>/pause/", campaign_pause_view, name="campaign_pause"),
    path("campaigns/<int:pk>/resume/", campaign_resume_view, name="campaign_resume"),
    path("campaigns/<int:pk>/cancel/", campaign_cancel_view, name="campaign_cancel"),
    path(
        "campaigns/<int:pk>/add-positions/",
        campaign_add_positions_view,
        name="campaign_add_positions",
    ),
    path(
        "campaigns/<int:pk>/bulk-review/",
        submissions_bulk_review_view,
        name="submissions_bulk_review",
    ),
    path("reviews/<int:pk>/", assignment_review, name="assignment_review"),
]
