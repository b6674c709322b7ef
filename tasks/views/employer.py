"""Employers' pages: their campaigns with progress, create and edit a draft with a cost
preview, the lifecycle buttons (launch and cancel ask first, saying what money moves), and a
campaign's review queue: each submission reviewed in place (htmx) or by a plain form that
comes back to the next one waiting, and bulk actions."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
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
from tasks.selectors import gold_accuracies, review_queue
from tasks.services import (
    campaign_add_positions,
    campaign_cancel,
    campaign_create,
    campaign_launch,
    campaign_pause,
    campaign_resume,
    campaign_update,
    submissions_bulk_review,
)
from tasks.services.reviews import REVIEW_SERVICES

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
        for status in (TaskStatus.OPEN, TaskStatus.ASSIGNED, TaskStatus.PAID, TaskStatus.GOLD)
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
    """Show each of a service's refusals next to the field it is about (all at once)."""
    for field, texts in (error.errors or {error.field: [error.message]}).items():
        one = DomainError(error.code, texts[0], field=field, errors={field: texts})
        if field == "proof_fields":
            form_error(proofs, one)  # the proof rows' own form, at its top
        else:
            form_error(form, one, fields=SERVICE_FIELDS)


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    stored = campaign.task_inputs if campaign else ()
    if request.method == "POST":
        form = CampaignForm(
            request.POST, request.FILES, employer=request.user, stored_inputs=stored
        )
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
        form = CampaignForm(
            initial=CampaignForm.initial_for(campaign), employer=request.user, stored_inputs=stored
        )
        proofs = ProofFieldsForm(initial=ProofFieldsForm.initial_for(campaign.proof_fields))
        preview = cost_of(campaign.reward_cents, campaign.positions)
    else:
        chosen = request.GET.get("category", "")
        category = (
            Category.objects.filter(pk=chosen).first() if is_id(chosen) else None
        ) or Category.objects.first()
        if request.htmx and category is not None:  # the category changed: its proof rows
            proofs = ProofFieldsForm(
                initial=ProofFieldsForm.initial_after_change(request.GET, category)
            )
            return render(request, "tasks/includes/proof_rows.html", {"proofs": proofs})
        form = CampaignForm(
            initial={"category": category.pk if category else None}, employer=request.user
        )
        proofs = ProofFieldsForm(
            initial=ProofFieldsForm.initial_for(category.proof_template if category else [])
        )
        preview = None
    # With htmx, choosing another category swaps in its suggested proofs, unless the
    # employer typed their own: the rows go along and come back kept.
    form.fields["category"].widget.attrs.update(
        {
            "hx-get": reverse("tasks:campaign_new"),
            "hx-target": "#proof-rows",
            "hx-include": "#proof-rows",
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
    """The cost block for the category, reward and positions typed so far (htmx swaps it
    in), and the reward's errors next to the reward (an out-of-band swap): a reward under
    the category's minimum has no cost."""
    form = CostPreviewForm(request.POST)
    form.is_valid()  # a field with an error is left out of cleaned_data
    data = form.cleaned_data
    return render(
        request,
        "tasks/includes/cost_preview.html",
        {
            "preview": cost_of(data.get("reward"), data.get("positions")),
            "balances": balances_of(request.user),
            "reward_errors": form.errors.get("reward", []),
            "out_of_band": True,
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
    rows = [
        _queue_row(assignment, campaign, bound.get(assignment.pk))
        for assignment in page.object_list
    ]
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
            "select_all": request.GET.get("select") == "all",
            "waiting": sum(1 for row in rows if row["assignment"].status == "submitted"),
            "live": campaign.status in LIVE_STATUSES,
            "gold": gold_accuracies(campaign) if counts["gold_count"] else None,
            "cancellable": CampaignStatus.CANCELLED in CAMPAIGN_TRANSITIONS[campaign.status],
        },
        status=status,
    )


def _queue_row(assignment: Assignment, campaign: Campaign, form: ReviewForm | None = None) -> dict:
    """One card of the queue: the assignment (from ``review_queue``), its latest proof and
    its review form (``form``: one that came back with errors)."""
    assignment.campaign = campaign  # the card reads its proof labels: no query a card
    submissions = list(assignment.submissions.all())
    return {
        "assignment": assignment,
        "submission": submissions[-1] if submissions else None,
        "form": form or ReviewForm(auto_id=f"id_%s_{assignment.pk}"),
    }


@login_required
@require_GET
def campaign_manage(request: HttpRequest, pk: int) -> HttpResponse:
    return _manage(request, _own_campaign(request, pk))


def _back(request: HttpRequest, campaign: Campaign, anchor: str = "") -> HttpResponse:
    """The campaign's page as the employer left it (filter, page), at ``anchor``."""
    url = reverse("tasks:campaign_manage", args=[campaign.pk])
    query = request.GET.urlencode()
    return redirect((f"{url}?{query}" if query else url) + anchor)


def _lifecycle(service: Callable, done: str, confirm: Callable | None = None) -> Callable:
    """A view that calls one campaign service on POST and reports the outcome. With
    ``confirm`` (a view of the campaign), a GET asks first: what the action will do, and the
    button that does it — the step that works without JavaScript."""

    @login_required
    @require_http_methods(["GET", "POST"] if confirm else ["POST"])
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        campaign = _own_campaign(request, pk)
        if request.method == "GET":
            return confirm(request, campaign)
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


def _confirm_launch(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """What launching moves: positions * (reward + fee) from the wallet into escrow, the
    arithmetic ``campaign_launch`` does (``cost_of``), against the wallet's balance."""
    if campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("Only a draft can be launched."))
        return redirect("tasks:campaign_manage", pk=campaign.pk)
    cost = cost_of(campaign.reward_cents, campaign.positions)
    available = balances_of(request.user).available_cents
    return render(
        request,
        "tasks/confirm_launch.html",
        {
            "campaign": campaign,
            "cost": cost,
            "available": available,
            "left": available - cost["total_cents"],
        },
    )


def _confirm_cancel(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """What cancelling refunds: the open tasks' reward and fee now (``tasks_withdraw_open``);
    tasks in progress run their course."""
    if CampaignStatus.CANCELLED not in CAMPAIGN_TRANSITIONS[campaign.status]:
        messages.error(request, _("This campaign cannot be cancelled."))
        return redirect("tasks:campaign_manage", pk=campaign.pk)
    counts = campaign.tasks.aggregate(**_task_counts(through_campaign=False))
    funded = campaign.launched_at is not None
    return render(
        request,
        "tasks/confirm_cancel.html",
        {
            "campaign": campaign,
            "funded": funded,
            "open": counts["open_count"],
            "in_progress": counts["assigned_count"],
            "refund_cents": counts["open_count"] * campaign.cost_per_task_cents if funded else 0,
        },
    )


campaign_launch_view = _lifecycle(
    campaign_launch,
    gettext_noop("Launched: the money is in escrow and a moderator will check it."),
    confirm=_confirm_launch,
)
campaign_pause_view = _lifecycle(
    campaign_pause, gettext_noop("Paused: workers cannot claim tasks.")
)
campaign_resume_view = _lifecycle(
    campaign_resume, gettext_noop("Resumed: workers can claim tasks.")
)
campaign_cancel_view = _lifecycle(
    campaign_cancel,
    gettext_noop("Cancelled: the money for open tasks is back in your wallet."),
    confirm=_confirm_cancel,
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


REVIEW_DONE = {
    "approve": gettext_noop("Approved: the worker is paid."),
    "reject": gettext_noop("Rejected. The worker sees your reason."),
    "request_revision": gettext_noop("Sent back to the worker to fix."),
}


@login_required
@require_POST
def assignment_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, reject or send back one submission; the button pressed is the action.

    With htmx the answer is the submission's card, in place: its outcome, or its form with
    the errors (400). Without, the queue again as the employer left it, at the next
    submission waiting (``#assignment-<id>``), not at the top of the page."""
    assignment = _own_assignment(request, pk)
    form = ReviewForm(request.POST, auto_id=f"id_%s_{assignment.pk}")
    if not form.is_valid():
        if request.htmx:
            return _review_card(request, assignment, form=form, status=400)
        return _manage(request, assignment.campaign, {assignment.pk: form}, status=400)
    action = form.cleaned_data["action"]
    extra = {} if action == "approve" else {"reason": form.cleaned_data["reason"]}
    try:
        REVIEW_SERVICES[action](assignment=assignment, by=request.user, **extra)
    except DomainError as error:
        outcome, done = error.message, False
    else:
        outcome, done = _(REVIEW_DONE[action]), True
    if request.htmx:
        return _review_card(request, assignment, outcome=outcome, done=done)
    (messages.success if done else messages.error)(request, outcome)
    following = _next_waiting(assignment)
    anchor = f"#assignment-{following}" if following else "#queue"
    return _back(request, assignment.campaign, anchor)


def _review_card(
    request: HttpRequest,
    assignment: Assignment,
    *,
    form: ReviewForm | None = None,
    outcome: str = "",
    done: bool = False,
    status: int = 200,
) -> HttpResponse:
    """One card of the queue as it is now (htmx swaps it for the one that was reviewed)."""
    campaign = assignment.campaign
    fresh = review_queue(campaign=campaign).get(pk=assignment.pk)
    return render(
        request,
        "tasks/includes/review_card.html",
        {
            "row": _queue_row(fresh, campaign, form),
            "query": request.GET.urlencode(),
            "outcome": outcome,
            "done": done,
        },
        status=status,
    )


def _next_waiting(assignment: Assignment) -> int | None:
    """The id of the submission waiting for review that comes after ``assignment`` in the
    queue's order (submitted first, first), else the first still waiting; None: none left."""
    waiting = (
        Assignment.objects.filter(
            campaign_id=assignment.campaign_id, status=AssignmentStatus.SUBMITTED
        )
        .exclude(pk=assignment.pk)
        .order_by(F("submitted_at").asc(nulls_last=True), "id")
        .values_list("pk", flat=True)
    )
    if assignment.submitted_at is not None:
        after = waiting.filter(
            Q(submitted_at__gt=assignment.submitted_at)
            | Q(submitted_at=assignment.submitted_at, pk__gt=assignment.pk)
        ).first()
        if after is not None:
            return after
    return waiting.first()


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
    return _back(request, campaign, "#queue")


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
