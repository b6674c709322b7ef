"""Reported ratings of employers: a moderator hides one (out of every list and average) or
keeps it (the report cleared), with a reason that goes to the audit log. The reports wait on
the flags page, each with this decision's form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import moderator_required
from core.errors import DomainError, form_error
from tasks.models import EmployerRating
from tasks.rating_forms import RatingDecisionForm
from tasks.services.ratings import RATING_DECISIONS


@moderator_required
@require_http_methods(["GET", "POST"])
def rating_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Hide or keep a rating (the button pressed is the decision); back to the flags."""
    rating = get_object_or_404(
        EmployerRating.objects.select_related("campaign", "worker", "employer", "reported_by"),
        pk=pk,
    )
    form = RatingDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decide = RATING_DECISIONS[form.cleaned_data["action"]]
        try:
            decide(rating=rating, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("The rating is hidden.")
                if form.cleaned_data["action"] == "hide"
                else _("The rating stays; the report is cleared."),
            )
            return redirect("moderation:flags")
    return render(
        request,
        "moderation/rating_decide.html",
        {"rating": rating, "form": form},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("ratings/<int:pk>/decide/", rating_decide, name="rating_decide"),
]
