"""Disputes' pages: the worker disputes a rejection (with a statement and one more
screenshot); the employer answers or reverses it. Moderators decide them in the console
(moderation/views/disputes.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, form_error
from tasks.dispute_selectors import disputes_with_parties, employer_open_disputes
from tasks.files import dispute_for, evidence_response
from tasks.models import Assignment, Dispute
from tasks.services.disputes import (
    MAX_STATEMENT,
    dispute_open,
    dispute_refusal,
    dispute_respond,
    dispute_reverse,
)

PAGE_SIZE = 20
SCREENSHOT_TYPES = "image/jpeg,image/png,image/webp"


# --- forms -----------------------------------------------------------------------------------


def _statement(label, help_text="", required=True) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_STATEMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


class DisputeForm(forms.Form):
    reason = _statement(
        gettext_lazy("Why is the rejection wrong?"),
        gettext_lazy("The employer and a moderator read it."),
    )
    evidence = forms.FileField(
        label=gettext_lazy("One more screenshot (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": SCREENSHOT_TYPES}),
    )


class RespondForm(forms.Form):
    statement = _statement(
        gettext_lazy("Your answer"), gettext_lazy("The worker and the moderator read it.")
    )


class ReverseForm(forms.Form):
    reason = _statement(gettext_lazy("Note to the worker (optional)"), required=False)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- the worker ------------------------------------------------------------------------------


def _own_assignment(request: HttpRequest, pk: int) -> Assignment:
    return get_object_or_404(
        Assignment.objects.select_related("campaign", "task"), pk=pk, worker=request.user
    )


@login_required
@require_http_methods(["GET", "POST"])
def dispute_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The dispute form on its own page (the assignment page shows the same form); a
    refused dispute comes back here with the reason next to the field."""
    assignment = _own_assignment(request, pk)
    form = DisputeForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                dispute_open(
                    assignment=assignment,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    evidence=form.cleaned_data["evidence"],
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status if error.status != 404 else 400
            else:
                messages.success(
                    request, _("Dispute sent. The employer can answer; a moderator decides.")
                )
                return redirect("workers:assignment", pk=assignment.pk)
        else:
            status = 400
    refusal = None if request.method == "POST" else dispute_refusal(assignment)
    return render(
        request,
        "tasks/disputes/open.html",
        {"assignment": assignment, "form": form, "refusal": refusal},
        status=status,
    )


@login_required
@require_GET
def dispute_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """The dispute's extra screenshot, streamed only to those who may see the proof."""
    return evidence_response(dispute_for(request.user, pk))


# --- the employer ----------------------------------------------------------------------------


def _employers_dispute(request: HttpRequest, pk: int) -> Dispute:
    return get_object_or_404(
        disputes_with_parties(Dispute.objects), pk=pk, assignment__campaign__employer=request.user
    )


@login_required
@require_GET
def employer_disputes(request: HttpRequest) -> HttpResponse:
    """Open disputes on the employer's campaigns, oldest first, each with its forms."""
    page = Paginator(employer_open_disputes(employer=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "tasks/disputes/employer_list.html", {"page": page})


def _employer_page(
    request: HttpRequest, dispute: Dispute, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    return render(
        request,
        "tasks/disputes/employer_dispute.html",
        {
            "dispute": dispute,
            "assignment": dispute.assignment,
            "submissions": dispute.assignment.submissions.prefetch_related("screenshots"),
            "respond_form": bound.get("respond")
            or RespondForm(initial={"statement": dispute.employer_statement}),
            "reverse_form": bound.get("reverse") or ReverseForm(),
        },
        status=status,
    )


@login_required
@require_GET
def employer_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    return _employer_page(request, _employers_dispute(request, pk))


@login_required
@require_POST
def dispute_respond_view(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _employers_dispute(request, pk)
    form = RespondForm(request.POST)
    if form.is_valid():
        try:
            dispute_respond(
                dispute=dispute, by=request.user, statement=form.cleaned_data["statement"]
            )
        except DomainError as error:
            if not error.errors:
                messages.error(request, error.message)
                return redirect("tasks:employer_dispute", pk=dispute.pk)
            form_error(form, error)
        else:
            messages.success(request, _("Answer sent to the worker and the moderators."))
            return redirect(_next(request, reverse("tasks:employer_dispute", args=[dispute.pk])))
    return _employer_page(request, dispute, {"respond": form}, status=400)


@login_required
@require_POST
def dispute_reverse_view(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _employers_dispute(request, pk)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        return _employer_page(request, dispute, {"reverse": form}, status=400)
    try:
        dispute_reverse(dispute=dispute, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("tasks:employer_dispute", pk=dispute.pk)
    messages.success(request, _("Rejection reversed: the worker is paid."))
    return redirect(_next(request, reverse("tasks:employer_dispute", args=[dispute.pk])))


urlpatterns = [
    path("work/assignments/<int:pk>/dispute/", dispute_open_view, name="dispute_open"),
    path("disputes/", employer_disputes, name="employer_disputes"),
    path("disputes/<int:pk>/", employer_dispute, name="employer_dispute"),
    path("disputes/<int:pk>/respond/", dispute_respond_view, name="dispute_respond"),
    path("disputes/<int:pk>/reverse/", dispute_reverse_view, name="dispute_reverse"),
    path("disputes/<int:pk>/evidence/", dispute_evidence, name="dispute_evidence"),
]
