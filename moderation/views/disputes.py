"""Disputes to decide: the open ones, oldest first, and one page per dispute that holds
everything (instructions, inputs, proof, both statements, both sides' records) with the
decision's form."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import OwnCase, moderator_required
from core.errors import DomainError, form_error
from tasks.dispute_selectors import (
    disputes_with_parties,
    employer_record,
    open_disputes,
    worker_record,
)
from tasks.models import Dispute, DisputeOutcome
from tasks.services.disputes import MAX_STATEMENT, dispute_resolve
from workers.selectors import success_rate

PAGE_SIZE = 20


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            (DisputeOutcome.WORKER.value, gettext_lazy("For the worker: approve and pay")),
            (
                DisputeOutcome.EMPLOYER.value,
                gettext_lazy("For the employer: the rejection is final"),
            ),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=MAX_STATEMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Both the worker and the employer see it."),
    )


@moderator_required
@require_GET
def dispute_queue(request: HttpRequest) -> HttpResponse:
    """Open disputes, oldest first."""
    page = Paginator(open_disputes(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "moderation/disputes/queue.html", {"page": page})


def _dispute_page(
    request: HttpRequest, dispute: Dispute, form: ResolveForm | None = None, status: int = 200
) -> HttpResponse:
    assignment = dispute.assignment
    campaign = assignment.campaign
    return render(
        request,
        "moderation/disputes/dispute.html",
        {
            "dispute": dispute,
            "assignment": assignment,
            "campaign": campaign,
            "instructions": campaign.instructions_for(assignment.task.input),
            "submissions": assignment.submissions.prefetch_related("screenshots__duplicate_of"),
            "events": assignment.events.select_related("actor"),
            "worker_record": worker_record(assignment.worker),
            "worker_rate": success_rate(assignment.worker),
            "employer_record": employer_record(campaign.employer),
            "form": form or ResolveForm(),
        },
        status=status,
    )


@moderator_required
@require_GET
def dispute_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _dispute_page(request, get_object_or_404(disputes_with_parties(Dispute.objects), pk=pk))


@moderator_required
@require_POST
def dispute_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(disputes_with_parties(Dispute.objects), pk=pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            dispute_resolve(
                dispute=dispute,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
            )
        except OwnCase as error:  # four eyes: the moderator is a party to it
            messages.error(request, error.message)
            return redirect("moderation:dispute", pk=dispute.pk)
        except DomainError as error:
            if not error.errors:  # decided meanwhile
                messages.error(request, error.message)
                return redirect("moderation:dispute", pk=dispute.pk)
            form_error(form, error)
            return _dispute_page(request, dispute, form, status=error.status)
        messages.success(request, _("Dispute decided. Both sides see your reason."))
        return redirect("moderation:disputes")
    return _dispute_page(request, dispute, form, status=400)


urlpatterns = [
    path("disputes/", dispute_queue, name="disputes"),
    path("disputes/<int:pk>/", dispute_page, name="dispute"),
    path("disputes/<int:pk>/resolve/", dispute_resolve_view, name="dispute_resolve"),
]
