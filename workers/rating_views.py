"""The worker's side of fair ratings: rate a campaign's employer once they decided on your
work (the form also sits on the assignment's page), and an employer's public ratings with
their answers (linked from the feed's cards and the campaign page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError, form_error
from core.pagination import count_free_page, page_number
from tasks import limits
from tasks.models import Assignment, EmployerRating
from tasks.rating_forms import RatingForm
from tasks.rating_selectors import campaign_worked, employer_ratings, rated_employer, rating_by
from tasks.selectors import employer_stats
from tasks.services.ratings import (
    RATABLE_STATUSES,
    editable_until,
    rating_may_rate,
    rating_save,
)

RATINGS_PAGE_SIZE = 20


def rating_box(assignment: Assignment) -> dict:
    """What the assignment's page shows of rating its employer, once the employer decided on
    it (a check task never: Kaaj decided it): the worker's rating if any, and the form while
    it may still change (None past the window, or hidden)."""
    if assignment.is_gold or assignment.status not in RATABLE_STATUSES:
        return {}
    rating = rating_by(campaign=assignment.campaign, worker=assignment.worker)
    return {"rating": rating, "rating_form": _form_for(rating)}


def _form_for(rating: EmployerRating | None, data=None) -> RatingForm | None:
    if rating is None:
        return RatingForm(data)
    if rating.hidden_at is not None or timezone.now() > editable_until(rating.created_at):
        return None
    initial = {f: getattr(rating, f) for f in ("pay", "clarity", "speed", "comment")}
    return RatingForm(data, initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_rating(request: HttpRequest, pk: int) -> HttpResponse:
    """Rate the campaign's employer, or change the rating while the window is open."""
    campaign = campaign_worked(request.user, pk)
    rating = rating_by(campaign=campaign, worker=request.user)
    form = _form_for(rating, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form is None:
        messages.error(request, _("This rating can no longer be changed."))
        return redirect("workers:campaign_rating", pk=campaign.pk)
    if request.method == "POST" and form.is_valid():
        try:
            rating, created = rating_save(
                campaign=campaign, worker=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Thank you: your rating is shown to other workers.")
                if created
                else _("Your rating was changed."),
            )
            return redirect("workers:employer_ratings", pk=campaign.employer_id)
    return render(
        request,
        "workers/rating.html",
        {
            "campaign": campaign,
            "rating": rating,
            "form": form,
            "edit_days": limits.RATING_EDIT_DAYS,
            "may_rate": rating is not None
            or rating_may_rate(campaign=campaign, worker=request.user),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_GET
def employer_ratings_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An employer's public ratings, newest first, each with the employer's answer, and their
    average; 404 for a user who is no employer workers know of."""
    employer = rated_employer(pk)
    page = count_free_page(
        employer_ratings(employer), page_number(request.GET.get("page")), RATINGS_PAGE_SIZE
    )
    return render(
        request,
        "workers/employer_ratings.html",
        {
            "employer": employer,
            "stats": employer_stats([employer.pk])[employer.pk],
            "page": page,
        },
    )
