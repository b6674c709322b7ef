"""The moderators' queue of manual payouts (PayPal, Skrill, bKash): pay by hand, then record."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Suspension
from accounts.permissions import moderator_required
from core.errors import DomainError, form_error
from core.money import format_cents
from payments.models import MANUAL_METHODS, Payout, PayoutStatus
from payments.services.payouts import payout_mark_paid, payout_reject, payouts_refusal

QUEUE_PAGE_SIZE = 25


class MarkPaidForm(forms.Form):
    reference = forms.CharField(
        max_length=255,
        label=gettext_lazy("Reference"),
        help_text=gettext_lazy("The transaction id the provider gave for this payment."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy("The worker sees this."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _queue():
    held = Suspension.objects.filter(user_id=OuterRef("user_id"), lifted_at__isnull=True)
    return (
        Payout.objects.filter(status=PayoutStatus.REQUESTED, kind__in=MANUAL_METHODS)
        .annotate(held=Exists(held))  # the worker is suspended: not to be paid for now
        .select_related("user")
        .order_by("created_at", "id")
    )


def _render_queue(request: HttpRequest, bound: dict | None = None, status: int = 200):
    """The queue page; ``bound`` is one row's form that came back with errors."""
    bound = bound or {}
    page = Paginator(_queue(), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "payout": payout,
            "paid_form": bound.get((payout.pk, "paid"))
            or MarkPaidForm(auto_id=f"id_%s_{payout.pk}"),
            "reject_form": bound.get((payout.pk, "reject"))
            or RejectForm(auto_id=f"id_%s_{payout.pk}"),
        }
        for payout in page.object_list
    ]
    context = {"page": page, "rows": rows, "payouts_off": payouts_refusal()}
    return render(request, "moderation/payouts.html", context, status=status)


def _back(request: HttpRequest) -> HttpResponse:
    url = reverse("moderation:payouts")
    page = request.GET.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@moderator_required
def payout_queue(request: HttpRequest) -> HttpResponse:
    """Requested manual payouts, oldest first, each with its mark-paid and reject forms."""
    return _render_queue(request)


def _decide(request: HttpRequest, pk: int, form_class, which: str, decide) -> HttpResponse:
    payout = get_object_or_404(Payout, pk=pk, kind__in=MANUAL_METHODS)
    form = form_class(request.POST, auto_id=f"id_%s_{payout.pk}")
    if form.is_valid():
        try:
            done = decide(payout, form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            return done
    return _render_queue(request, {(payout.pk, which): form}, status=400)


@moderator_required
@require_POST
def payout_mark_paid_view(request: HttpRequest, pk: int) -> HttpResponse:
    def decide(payout: Payout, data: dict) -> HttpResponse:
        payout_mark_paid(payout=payout, reference=data["reference"], by=request.user)
        messages.success(
            request,
            _("Payout #%(id)s of %(amount)s marked paid.")
            % {"id": payout.pk, "amount": format_cents(payout.amount_cents)},
        )
        return _back(request)

    return _decide(request, pk, MarkPaidForm, "paid", decide)


@moderator_required
@require_POST
def payout_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    def decide(payout: Payout, data: dict) -> HttpResponse:
        payout_reject(payout=payout, reason=data["reason"], by=request.user)
        messages.success(
            request,
            _("Payout #%(id)s rejected; the money is back in the worker's wallet.")
            % {"id": payout.pk},
        )
        return _back(request)

    return _decide(request, pk, RejectForm, "reject", decide)


urlpatterns = [
    path("payouts/", payout_queue, name="payouts"),
    path("payouts/<int:pk>/mark-paid/", payout_mark_paid_view, name="payout_mark_paid"),
    path("payouts/<int:pk>/reject/", payout_reject_view, name="payout_reject"),
]
