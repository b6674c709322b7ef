"""Worker pages for payouts: withdraw, payout methods, and the list of one's payouts."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, form_error
from core.fields import MoneyFormField
from core.money import format_cents
from payments.models import Payout, PayoutMethod, PayoutMethodKind, payout_kinds_for
from payments.selectors import balances_of
from payments.services.payouts import (
    payout_method_add,
    payout_method_remove,
    payout_request,
    payouts_refusal,
)

PAYOUTS_PAGE_SIZE = 25


def _active_methods(user):
    return PayoutMethod.objects.filter(user=user, removed_at__isnull=True)


class WithdrawForm(forms.Form):
    amount = MoneyFormField(
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    )
    method = forms.ModelChoiceField(
        queryset=PayoutMethod.objects.none(), label=gettext_lazy("Pay to"), empty_label=None
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Amount (%(currency)s)") % {"currency": settings.CURRENCY}
        self.fields["method"].queryset = _active_methods(user)


class PayoutMethodForm(forms.Form):
    kind = forms.ChoiceField(choices=PayoutMethodKind.choices, label=gettext_lazy("Method"))
    destination = forms.CharField(
        max_length=255,
        label=gettext_lazy("Account"),
        help_text=gettext_lazy(
            "Stripe: your connected account id (acct_…). PayPal or Skrill: your email "
            "address. bKash: your mobile number, such as 01712345678."
        ),
    )
    label = forms.CharField(max_length=60, required=False, label=gettext_lazy("Name (optional)"))

    def __init__(self, *args, country: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in payout_kinds_for(country)]


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest) -> HttpResponse:
    """Ask for a withdrawal of available balance to one of the worker's saved methods."""
    form = WithdrawForm(request.POST if request.method == "POST" else None, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            payout = payout_request(
                user=request.user,
                method=form.cleaned_data["method"],
                amount_cents=form.cleaned_data["amount"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Withdrawal of %(amount)s requested.")
                % {"amount": format_cents(payout.amount_cents)},
            )
            return redirect("payments:payouts")
    context = {
        "form": form,
        "balances": balances_of(request.user),
        "minimum_cents": settings.PAYOUT_MINIMUM_CENTS,
        "has_methods": form.fields["method"].queryset.exists(),
        "payouts_off": payouts_refusal(),
    }
    return render(
        request, "payments/payouts/withdraw.html", context, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def payout_methods(request: HttpRequest) -> HttpResponse:
    """The worker's saved payout methods, and a form to add one."""
    form = PayoutMethodForm(
        request.POST if request.method == "POST" else None, country=str(request.user.country)
    )
    if form.is_bound and form.is_valid():
        try:
            payout_method_add(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Payout method saved."))
            return redirect("payments:payout_methods")
    return render(
        request,
        "payments/payouts/methods.html",
        {"form": form, "methods": _active_methods(request.user)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def payout_method_delete(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(_active_methods(request.user), pk=pk)
    payout_method_remove(user=request.user, method=method)
    messages.success(request, _("Payout method removed."))
    return redirect("payments:payout_methods")


@login_required
def payouts(request: HttpRequest) -> HttpResponse:
    """The worker's own payouts, newest first, with references and reasons."""
    page = Paginator(
        Payout.objects.filter(user=request.user).select_related("method"), PAYOUTS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "payments/payouts/list.html", {"page": page})


urlpatterns = [
    path("withdraw/", withdraw, name="withdraw"),
    path("payouts/", payouts, name="payouts"),
    path("payout-methods/", payout_methods, name="payout_methods"),
    path("payout-methods/<int:pk>/remove/", payout_method_delete, name="payout_method_remove"),
]
