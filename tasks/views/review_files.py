"""Reviewing by file: the employer uploads a CSV (``assignment, decision, reason``), sees what
each row would do, and applies it; each row goes through the page's own review service, and
the page says how each one went. Works without script; nothing is stored between the steps
(the preview's form carries the checked rows, checked again when applied)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, form_error
from tasks.forms import ReviewFileForm
from tasks.models import Campaign
from tasks.services.reviews import review_rows_apply, review_rows_check, row_values


@login_required
@require_http_methods(["GET", "POST"])
def review_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload (GET, and POST with the file: the preview), then apply (POST ``apply``)."""
    campaign = get_object_or_404(Campaign, pk=pk, employer=request.user)
    context = {"campaign": campaign, "form": ReviewFileForm()}
    status = 200
    if request.method == "POST" and "apply" in request.POST:
        rows = _carried(request.POST.get("rows", ""))
        context["results"] = review_rows_apply(campaign=campaign, by=request.user, rows=rows)
        context["done"] = sum(result == "done" for _row, result in context["results"])
    elif request.method == "POST":
        form = ReviewFileForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            try:
                checked = review_rows_check(
                    campaign=campaign, by=request.user, rows=list(form.cleaned_data["file"])
                )
            except DomainError as error:
                form_error(form, error)
            else:
                context["preview"] = checked
                context["ready"] = [row for row in checked if row.action]
                context["carried"] = json.dumps([row_values(r) for r in context["ready"]])
        if form.errors:
            status = 400
    return render(request, "tasks/review_file.html", context, status=status)


def _carried(text: str) -> list[dict]:
    """The preview's rows back from its form; anything odd in them is refused again by the
    check that applying runs."""
    try:
        values = json.loads(text)
    except ValueError:
        return []
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


urlpatterns = [
    path("campaigns/<int:pk>/review-file/", review_file, name="review_file"),
]
