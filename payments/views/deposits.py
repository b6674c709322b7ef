"""Deposit pages: the amount form, the return pages, the sandbox's checkout page, and the
Stripe webhook endpoint."""

from csp.decorators import csp_update
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, form_error
from core.fields import MoneyFormField
from core.money import format_cents
from payments import checkout
from payments.models import Deposit, DepositStatus
from payments.services.deposits import (
    WebhookInvalid,
    deposit_start,
    sandbox_checkout_cancel,
    sandbox_checkout_confirm,
    webhook_receive,
)


class DepositForm(forms.Form):
    amount = MoneyFormField(
        label=gettext_lazy("Amount"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"invalid": gettext_lazy("Enter an amount such as 10.00.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _("At least %(minimum)s, for example 10.00.") % {
            "minimum": format_cents(settings.DEPOSIT_MINIMUM_CENTS)
        }


def _own_deposit(request: HttpRequest, pk: int) -> Deposit:
    """The signed-in user's deposit; 404 for anybody else's."""
    return get_object_or_404(Deposit, pk=pk, user=request.user)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


# The form's POST answers with a redirect to Stripe Checkout's page, and browsers hold that
# redirect to the page's Content-Security-Policy form-action too: this page alone may send its
# form on to Stripe's origin (the sandbox's checkout page is Kaaj's own).
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


@csp_update({"form-action": [STRIPE_CHECKOUT_ORIGIN]})
@login_required
@require_http_methods(["GET", "POST"])
def deposit_new(request: HttpRequest) -> HttpResponse:
    """Choose an amount, then go and pay it at the checkout."""
    form = DepositForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deposit = deposit_start(
                user=request.user,
                amount_cents=form.cleaned_data["amount"],
                base_url=_base_url(request),
            )
        except DomainError as error:
            if error.field:
                form_error(form, error)
            else:  # the provider is down: nothing about the form is wrong
                messages.error(request, error.message)
        else:
            return HttpResponseRedirect(deposit.checkout_url)
    return render(request, "payments/deposits/new.html", {"form": form})


@login_required
@require_GET
def deposit_success(request: HttpRequest, pk: int) -> HttpResponse:
    """Back from the checkout after paying: the deposit's real status, from the webhook."""
    return _deposit_return(request, pk, cancelled=False)


@login_required
@require_GET
def deposit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Back from the checkout without paying."""
    return _deposit_return(request, pk, cancelled=True)


def _deposit_return(request: HttpRequest, pk: int, *, cancelled: bool) -> HttpResponse:
    deposit = _own_deposit(request, pk)
    waiting = deposit.status in (DepositStatus.CREATED, DepositStatus.OPEN)
    return render(
        request,
        "payments/deposits/return.html",
        {"deposit": deposit, "cancelled": cancelled, "waiting": waiting},
    )


@login_required
@require_http_methods(["GET", "POST"])
def deposit_sandbox_checkout(request: HttpRequest, pk: int) -> HttpResponse:
    """The sandbox's stand-in for Stripe's page: confirm or cancel the payment.

    Confirming delivers a signed event to the same webhook handler Stripe's events reach.
    """
    deposit = _own_deposit(request, pk)
    if deposit.provider != checkout.SANDBOX or settings.PAYMENTS_PROVIDER != checkout.SANDBOX:
        raise Http404
    if deposit.status != DepositStatus.OPEN:
        return redirect("payments:deposit_success", pk=deposit.pk)
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            sandbox_checkout_confirm(deposit=deposit)
            return redirect("payments:deposit_success", pk=deposit.pk)
        if request.POST.get("action") == "cancel":
            sandbox_checkout_cancel(deposit=deposit)
            return redirect("payments:deposit_cancel", pk=deposit.pk)
        return HttpResponseBadRequest()
    return render(request, "payments/deposits/sandbox_checkout.html", {"deposit": deposit})


@csrf_exempt  # Stripe cannot send a CSRF token; the signature proves the sender instead.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events: 400 when the signature does not verify, 200 once stored."""
    try:
        webhook_receive(
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
            provider=checkout.STRIPE,
        )
    except WebhookInvalid:
        return HttpResponseBadRequest("invalid signature", content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("deposits/new/", deposit_new, name="deposit_new"),
    path("deposits/<int:pk>/success/", deposit_success, name="deposit_success"),
    path("deposits/<int:pk>/cancel/", deposit_cancel, name="deposit_cancel"),
    path(
        "deposits/<int:pk>/sandbox-checkout/",
        deposit_sandbox_checkout,
        name="deposit_sandbox_checkout",
    ),
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
]
