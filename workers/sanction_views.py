"""The ladder before sanctions, in the open: the rules with their numbers (public), and the
reader's own warnings and pauses with the rejections each lists and a form to appeal each."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import AppealStatus
from core.errors import DomainError, form_error

from .forms import AppealForm
from .sanctions import sanction_appeal, sanction_of, sanctions_of


def _render(request: HttpRequest, bound: AppealForm | None = None, pk: int | None = None):
    now = timezone.now()
    steps = sanctions_of(request.user, now=now) if request.user.is_authenticated else []
    for step in steps:
        step.active = step.stands(now)
        step.may_appeal = step.lifted_at is None and step.appeal_status == AppealStatus.NONE
        step.form = (
            bound
            if bound is not None and step.pk == pk
            else AppealForm(auto_id=f"id_appeal_{step.pk}_%s")
        )
    return render(
        request,
        "workers/warnings.html",
        {
            "steps": steps,
            "window_days": settings.SANCTION_WINDOW_DAYS,
            "min_reviewed": settings.SANCTION_MIN_REVIEWED,
            "percent": settings.SANCTION_REJECTION_PERCENT,
            "pause_days": settings.SANCTION_PAUSE_DAYS,
            "memory_days": settings.SANCTION_MEMORY_DAYS,
            "flag_window_days": settings.FLAG_WINDOW_DAYS,
            "flag_min_reviewed": settings.FLAG_EMPLOYER_MIN_REVIEWED,
            "flag_factor": settings.FLAG_EMPLOYER_REJECTION_FACTOR,
            "flag_points": settings.FLAG_EMPLOYER_REJECTION_POINTS,
        },
        status=400 if bound is not None else 200,
    )


@require_GET
def warnings_page(request: HttpRequest) -> HttpResponse:
    """The rules (public) and, for a signed-in reader, their own steps."""
    return _render(request)


@login_required
@require_POST
def warning_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """Appeal one of one's own steps; 404 for anybody else's."""
    sanction = sanction_of(request.user, pk)
    form = AppealForm(request.POST, auto_id=f"id_appeal_{pk}_%s")
    form.is_valid()
    try:
        sanction_appeal(sanction=sanction, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        if error.field is None:  # about the step (lifted, appealed already): no form to show it
            messages.error(request, error.message)
            return redirect("workers:warnings")
        form_error(form, error)
        return _render(request, form, pk)
    messages.success(request, _("Your appeal is sent. A moderator will decide it."))
    return redirect("workers:warnings")
