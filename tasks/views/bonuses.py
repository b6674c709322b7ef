"""The employer's bonus page: pay the worker of one of their assignments a bonus, from the
review queue's link. It works without JavaScript; the form carries its own idempotency key,
so a double submit pays once."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, form_error
from core.money import format_cents
from payments.selectors import balances_of
from tasks.forms import BonusForm
from tasks.models import Assignment
from tasks.services import bonus_pay


@login_required
@require_http_methods(["GET", "POST"])
def assignment_bonus(request: HttpRequest, pk: int) -> HttpResponse:
    """A bonus for the worker of this assignment (one of the employer's campaigns', else 404)."""
    assignment = get_object_or_404(
        Assignment.objects.select_related("campaign", "worker"),
        pk=pk,
        campaign__employer=request.user,
    )
    back = reverse("tasks:campaign_manage", args=[assignment.campaign_id])
    back += f"?status=all#assignment-{assignment.pk}"
    form = BonusForm(request.POST or None, initial={"key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bonus, _created = bonus_pay(
                assignment=assignment,
                by=request.user,
                amount_cents=data["amount"],
                reason=data["reason"],
                key=data["key"],
            )
        except DomainError as error:
            form_error(form, error, fields={"amount_cents": "amount"})
        else:
            messages.success(
                request,
                _("%(name)s received a bonus of %(amount)s.")
                % {
                    "name": assignment.worker.public_name,
                    "amount": format_cents(bonus.amount_cents),
                },
            )
            return redirect(back)
    return render(
        request,
        "tasks/bonus.html",
        {
            "assignment": assignment,
            "form": form,
            "back": back,
            "available_cents": balances_of(request.user).available_cents,
        },
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("reviews/<int:pk>/bonus/", assignment_bonus, name="assignment_bonus"),
]
