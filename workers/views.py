"""Employers' pages about workers: block a worker from the review queue, the list of blocked
workers, and lifting a block. The worker's own pages: the feed, a campaign, claiming, my
work, an assignment (proof), giving one back. Objects come through helpers that 404 for
anybody else's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.http import client_ip
from accounts.selectors import standing_sanctions
from accounts.timezones import format_time
from core.db import replica_reads
from core.durations import duration_words
from core.errors import DomainError, form_error
from core.pagination import count_free_page, page_number
from tasks.forms import SubmitForm
from tasks.models import (
    WORKING_STATUSES,
    Assignment,
    Campaign,
    CampaignStatus,
    Category,
    KeptScreenshot,
)
from tasks.selectors import (
    employer_stats_attach,
    open_to_member,
    qualifications_named,
)
from tasks.services import (
    assignment_release,
    assignment_submit,
    kept_screenshot_forget,
    verification_code,
)

from . import selectors, services
from .claims import task_claim
from .eligibility import claim_refusal, standing_read, worker_refusal
from .forms import FeedQueryForm, SavedSearchForm
from .rating_views import rating_box
from .searches import saved_search_links

BLOCKS_PAGE_SIZE = 50
FEED_PAGE_SIZE = 20
HISTORY_PAGE_SIZE = 20
# What a feed card shows (workers/includes/campaign_facts.html): not the instructions, proof
# fields and task inputs each campaign row would otherwise bring and decode.
FEED_CARD_COLUMNS = (
    "title",
    "reward_cents",
    "time_to_complete_minutes",
    "employer__display_name",
    "category__slug",
    "category__name",
)
MY_WORK_COLUMNS = (
    "status",
    "expires_at",
    "updated_at",
    "review_reason",
    "campaign__title",
    "campaign__reward_cents",
)


@login_required
@require_http_methods(["GET", "POST"])
def block_from_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Block the worker of this assignment (one on the employer's campaigns, else 404) from
    all the employer's campaigns, and go back to the review queue where the employer was.
    A GET asks first (the queue links here, away from the review buttons): what a block
    does, and the button that does it."""
    assignment = get_object_or_404(
        Assignment.objects.select_related("worker"), pk=pk, campaign__employer=request.user
    )
    if request.method == "GET":
        queue = reverse("tasks:campaign_manage", args=[assignment.campaign_id])
        query = request.GET.urlencode()
        return render(
            request,
            "workers/block_confirm.html",
            {
                "assignment": assignment,
                "query": query,
                "back": (f"{queue}?{query}" if query else queue) + f"#assignment-{assignment.pk}",
            },
        )
    try:
        services.worker_block(employer=request.user, worker=assignment.worker)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s no longer sees your campaigns.") % {"name": assignment.worker.public_name},
        )
    url = reverse("tasks:campaign_manage", args=[assignment.campaign_id])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_GET
def blocks(request: HttpRequest) -> HttpResponse:
    """The workers the employer blocked, newest first."""
    page = Paginator(selectors.blocks_of(request.user), BLOCKS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "workers/blocks.html", {"page": page})


@login_required
@require_POST
def block_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift one of the employer's blocks; 404 for anybody else's."""
    block = selectors.block_of(request.user, pk)
    services.block_remove(block=block, by=request.user)
    messages.success(
        request, _("%(name)s can see your campaigns again.") % {"name": block.worker.public_name}
    )
    return redirect("workers:blocks")


# --- the worker's pages ----------------------------------------------------------------------


def with_record(campaign: Campaign) -> Campaign:
    """Put the employer's average time to rate in words (``rating_time``) on a campaign from
    ``employer_stats_attach``."""
    campaign.rating_time = duration_words(campaign.employer_stats.time_to_rate)
    return campaign


def _visible_campaign(request: HttpRequest, pk: int) -> Campaign:
    """A campaign this user may read as a worker: an active one (a private one only for the
    members of its groups), one they worked on, their own, or any for a moderator; 404
    otherwise."""
    campaigns = Campaign.objects.select_related("category", "employer")
    if not request.user.is_moderator:
        campaigns = campaigns.filter(
            (Q(status=CampaignStatus.ACTIVE) & open_to_member(request.user))
            | Q(employer=request.user)
            | Q(pk__in=Assignment.objects.filter(worker=request.user).values("campaign_id"))
        )
    return get_object_or_404(campaigns, pk=pk)


def _own_assignment(request: HttpRequest, pk: int) -> Assignment:
    """The signed-in worker's assignment; 404 for anybody else's."""
    return get_object_or_404(
        # The pages of an assignment show its campaign and task, not the campaign's
        # category or employer: two joins and some twenty columns fewer on every proof.
        Assignment.objects.select_related("campaign", "task"),
        pk=pk,
        worker=request.user,
    )


# What a feed page's query may hold, as the form names it, for links and pagination.
FEED_QUERY_KEYS = ("q", "category", "min_reward", "max_reward", "hide_done", "sort")


@login_required
@require_GET
@replica_reads
def feed_page(request: HttpRequest) -> HttpResponse:
    """Campaigns this worker may claim now: searched by words, filtered by category, reward
    and work done, by reward or newest (from the read replica, if there is one); the
    worker's saved searches to run again, and this one to save."""
    query = FeedQueryForm(request.GET)
    query.is_valid()  # refused as by the API (400), but the valid filters still apply
    if "category" in query.errors:
        messages.error(request, _("That is not a category, so every category is shown."))
    if "sort" in query.errors:
        messages.error(request, _("That is not an order Kaaj knows; the best paid come first."))
    try:
        filters = query.filters()
    except DomainError as error:
        form_error(query, error, fields={"max_reward_cents": "max_reward"})
        filters = query.filters_unranged()
    sort = query.cleaned_data.get("sort") or "reward"
    standing = standing_read(request.user)
    campaigns = selectors.feed(worker=request.user, filters=filters, sort=sort, standing=standing)
    page = count_free_page(
        campaigns.only(*FEED_CARD_COLUMNS), page_number(request.GET.get("page")), FEED_PAGE_SIZE
    )
    page.object_list = [with_record(c) for c in employer_stats_attach(page.object_list)]
    kept = {key: request.GET[key] for key in FEED_QUERY_KEYS if request.GET.get(key)}
    return render(
        request,
        "workers/feed.html",
        {
            "page": page,
            "form": query,
            "categories": Category.objects.all(),
            "category": filters.category,
            "sort": sort,
            "query": urlencode(kept),
            "carry": [(key, value) for key, value in kept.items() if key != "sort"],
            "filtered": not filters.is_empty,
            "saved": saved_search_links(request.user),
            "save_form": SavedSearchForm(),
            # Why nothing at all may be claimed (suspended, too many open claims).
            "refusal": worker_refusal(standing),
            # Tests that would open more of the live campaigns.
            "tests_opening": len(selectors.tests_opening_work(standing)),
        },
        status=400 if query.errors else 200,
    )


@login_required
@require_GET
def campaign_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A campaign as workers see it, with its employer's record; with the worker's open
    claim, the instructions carry the task's inputs and the page links to the proof form;
    otherwise it says why the worker may not claim, if they may not."""
    (campaign,) = employer_stats_attach([_visible_campaign(request, pk)])
    current = (
        Assignment.objects.filter(
            campaign=campaign, worker=request.user, status__in=WORKING_STATUSES
        )
        .select_related("task")
        .first()
    )
    refusal, tests = None, []
    if current is None:
        standing = standing_read(request.user, scope=campaign.pk)
        refusal = claim_refusal(campaign, standing)
        if refusal is not None and refusal.code == "qualification_required":
            tests = qualifications_named(set(campaign.qualifications) - standing.qualifications)
    return render(
        request,
        "workers/campaign.html",
        {
            "campaign": with_record(campaign),
            "current": current,
            "refusal": refusal,
            "tests": tests,  # the tests that would open it
            "instructions": campaign.instructions_for(current.task.input if current else None),
        },
    )


@login_required
@require_POST
def campaign_claim(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _visible_campaign(request, pk)
    try:
        assignment = task_claim(campaign=campaign, worker=request.user, ip=client_ip(request))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("workers:campaign", pk=campaign.pk)
    messages.success(
        request,
        _("The task is yours until %(time)s. Do it, then send your proof.")
        % {"time": format_time(assignment.expires_at, "H:i")},
    )
    return redirect("workers:assignment", pk=assignment.pk)


@login_required
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    """What the worker is doing now (with deadlines), and everything done before."""
    # The columns the page shows, no more: a worker's history is long, and each row would
    # otherwise carry its campaign's instructions and proof fields (JSON decoded per row).
    mine = (
        Assignment.objects.filter(worker=request.user)
        .select_related("campaign")
        .only(*MY_WORK_COLUMNS)
    )
    history = mine.exclude(status__in=WORKING_STATUSES).order_by("-updated_at", "-id")
    page = count_free_page(history, page_number(request.GET.get("page")), HISTORY_PAGE_SIZE)
    if not page.object_list and page.number > 1:  # past the end: the first page
        return redirect("workers:my_work")
    return render(
        request,
        "workers/my_work.html",
        {
            "working": mine.filter(status__in=WORKING_STATUSES).order_by("expires_at"),
            # Pages without a COUNT of the whole history: "Next" shows when there is more.
            "page": page,
            "success_rate": selectors.success_rate(request.user),
            "sanctions": standing_sanctions(request.user),  # warnings, pauses: /warnings/
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def assignment_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One claimed task: the instructions with its inputs, the verification code, and the
    proof form (while the task waits for proof). A proof sent back with an error keeps its
    screenshots that passed (shown on the form as kept); proof.js sends the form with a
    progress bar and gets its redirect as htmx's ``HX-Redirect``."""
    assignment = _own_assignment(request, pk)
    campaign = assignment.campaign
    waiting = assignment.status in WORKING_STATUSES
    if waiting:  # read once, for the form and for assignment_submit
        prefetch_related_objects([assignment], "kept_screenshots")
    form = SubmitForm(
        request.POST or None,
        request.FILES or None,
        proof_fields=campaign.proof_fields,
        kept=_kept_screenshots(assignment) if waiting else {},
    )
    if request.method == "POST" and form.is_valid():
        try:
            assignment_submit(
                assignment=assignment,
                worker=request.user,
                answers=form.answers(),
                files=form.files_by_key(),
                keep=True,
            )
        except DomainError as error:
            if error.errors:
                form.add_service_errors(error.errors)
                form.show_kept(_kept_screenshots(assignment, fresh=True))
            else:
                messages.error(request, error.message)
                return _redirect(request, reverse("workers:assignment", args=[assignment.pk]))
        else:
            messages.success(request, _("Proof sent. The employer will review it."))
            return _redirect(request, reverse("workers:my_work"))
    code = (
        verification_code(campaign=campaign, task_id=assignment.task_id, worker_id=request.user.pk)
        if campaign.uses_verification_code
        else None
    )
    return render(
        request,
        "workers/assignment.html",
        {
            "assignment": assignment,
            "campaign": campaign,
            "waiting": waiting,
            "form": form,
            "code": code,
            "instructions": campaign.instructions_for(assignment.task.input),
            "latest": assignment.submissions.last() if not waiting else None,
            **rating_box(assignment),  # rating the employer, once they decided
        },
        status=400 if form.is_bound else 200,
    )


def _kept_screenshots(assignment: Assignment, *, fresh: bool = False) -> dict:
    """The screenshots kept for the assignment's proof, by field; ``fresh``: read again
    (after a try that may have kept more), not from the prefetched ones."""
    shots = (
        KeptScreenshot.objects.filter(assignment=assignment)
        if fresh
        else assignment.kept_screenshots.all()
    )
    return {shot.field_key: shot for shot in shots}


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; to a script sending the form (proof.js), htmx's ``HX-Redirect`` header
    instead, so the next page is loaded once, with its messages."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_POST
def assignment_kept_forget(request: HttpRequest, pk: int, kept_pk: int) -> HttpResponse:
    """Remove a screenshot kept from an earlier try, to send another (or none)."""
    assignment = _own_assignment(request, pk)
    kept = get_object_or_404(KeptScreenshot, pk=kept_pk, assignment=assignment)
    kept.assignment = assignment
    kept_screenshot_forget(kept=kept, worker=request.user)
    messages.success(request, _("The kept screenshot was removed."))
    return redirect("workers:assignment", pk=assignment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_release_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a task back, after a page that asks to confirm it (GET): a task given back is
    gone, and the button must not be one slip of the thumb from "Send proof"."""
    assignment = _own_assignment(request, pk)
    if request.method == "GET":
        if assignment.status not in WORKING_STATUSES:
            return redirect("workers:assignment", pk=assignment.pk)
        return render(request, "workers/assignment_release.html", {"assignment": assignment})
    try:
        assignment_release(assignment=assignment, worker=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You gave the task back."))
    return redirect("workers:my_work")
