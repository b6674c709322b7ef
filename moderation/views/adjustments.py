"""Staff corrections of a wallet: a required reason, who did it, and a list that keeps them
all in view (the audit)."""

import uuid

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.permissions import OwnCase, moderator_required
from core.fields import MoneyFormField
from core.money import format_cents
from payments.models import Movement, MovementKind
from payments.services import InsufficientFunds, adjustment_post

RECENT = 30


class AdjustmentForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Account email"))
    amount = MoneyFormField(
        label=gettext_lazy("Amount"),
        signed=True,
        help_text=gettext_lazy("Added to the wallet; start with a minus sign to take money back."),
        error_messages={"invalid": gettext_lazy("Enter an amount such as 2.50 or -2.50.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Kept with the adjustment for good."),
    )
    request_id = forms.UUIDField(widget=forms.HiddenInput)

    def clean_email(self) -> User:
        user = User.objects.filter(email__iexact=self.cleaned_data["email"]).first()
        if user is None:
            raise forms.ValidationError(_("No account has this email address."))
        return user

    def clean_amount(self) -> int:
        if not self.cleaned_data["amount"]:
            raise forms.ValidationError(_("An adjustment moves some money."))
        return self.cleaned_data["amount"]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why."))
        return reason


@moderator_required
def adjustments(request: HttpRequest) -> HttpResponse:
    """Adjust a wallet (POST), and every recent adjustment with who made it and why."""
    if request.method == "POST":
        form = AdjustmentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                adjustment_post(
                    user=data["email"],
                    amount_cents=data["amount"],
                    reason=data["reason"],
                    by=request.user,
                    request_id=data["request_id"],
                )
            except InsufficientFunds as error:  # a wallet never goes below zero
                form.add_error(
                    "amount",
                    _("The wallet holds only %(available)s.")
                    % {"available": format_cents(error.available)},
                )
            except OwnCase as error:  # four eyes: the moderator's own wallet
                form.add_error("email", error.message)
            else:
                messages.success(
                    request,
                    _("The wallet of %(email)s was adjusted by %(amount)s.")
                    % {"email": data["email"].email, "amount": format_cents(data["amount"])},
                )
                return redirect("moderation:adjustments")
    else:
        form = AdjustmentForm(initial={"request_id": uuid.uuid4()})
    recent = (
        Movement.objects.filter(kind=MovementKind.ADJUSTMENT)
        .select_related("actor")
        .prefetch_related("transfers__credit__owner", "transfers__debit__owner")
        .order_by("-created_at")[:RECENT]
    )
    return render(
        request,
        "moderation/adjustments.html",
        {"form": form, "recent": recent},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("adjustments/", adjustments, name="adjustments"),
]
