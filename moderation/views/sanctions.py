"""Appeals against warnings and pauses for rejections (``workers.sanctions``): the open ones,
oldest first, each with the evidence and a form to lift or uphold it."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Sanction
from accounts.permissions import moderator_required
from core.errors import DomainError, form_error
from moderation.forms import ReasonForm
from workers.sanctions import open_appeals, sanction_appeal_decide

APPEALS_PAGE_SIZE = 20


def _render(request: HttpRequest, bound: ReasonForm | None = None, pk: int | None = None):
    page = Paginator(open_appeals(), APPEALS_PAGE_SIZE).get_page(request.GET.get("page"))
    for step in page.object_list:
        step.form = bound if step.pk == pk else ReasonForm(auto_id=f"id_{step.pk}_%s")
    return render(request, "moderation/appeals.html", {"page": page}, status=400 if bound else 200)


@moderator_required
@require_GET
def appeals(request: HttpRequest) -> HttpResponse:
    """Open appeals against warnings and pauses, oldest first."""
    return _render(request)


@moderator_required
@require_POST
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift (``lift=1``) or uphold an appealed step, with a reason the user reads."""
    sanction = get_object_or_404(Sanction, pk=pk)
    form = ReasonForm(request.POST, auto_id=f"id_{pk}_%s")
    lift = request.POST.get("lift") == "1"
    if form.is_valid():
        try:
            sanction_appeal_decide(
                sanction=sanction, by=request.user, lift=lift, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            if error.field is None:
                messages.error(request, error.message)
                return redirect("moderation:appeals")
            form_error(form, error)
        else:
            messages.success(request, _("Lifted.") if lift else _("Upheld."))
            return redirect("moderation:appeals")
    return _render(request, form, pk)


urlpatterns = [
    path("appeals/", appeals, name="appeals"),
    path("appeals/<int:pk>/decide/", appeal_decide, name="appeal_decide"),
]
