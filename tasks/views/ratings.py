"""The employer's side of fair ratings: a campaign's ratings with a form to answer each, and
reporting a rating as abusive (open to anybody who may read it but its author). Each works
without JavaScript; every change is a POST."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError, form_error
from core.pagination import count_free_page, page_number
from tasks import limits
from tasks.models import Campaign, EmployerRating
from tasks.rating_forms import RatingAnswerForm, RatingReportForm
from tasks.rating_selectors import campaign_ratings, rating_of_employer, rating_visible_to
from tasks.services.ratings import editable_until, rating_answer, rating_report

RATINGS_PAGE_SIZE = 20


def answerable(rating: EmployerRating) -> bool:
    """Whether the employer may still write (or change) the answer."""
    return rating.answered_at is None or timezone.now() <= editable_until(rating.answered_at)


@login_required
@require_GET
def campaign_ratings_page(request: HttpRequest, pk: int) -> HttpResponse:
    """How workers rated one of the employer's campaigns (404 for anybody else's), newest
    first, each with its answer or a form to give one."""
    campaign = get_object_or_404(Campaign, pk=pk, employer=request.user)
    page = count_free_page(
        campaign_ratings(campaign), page_number(request.GET.get("page")), RATINGS_PAGE_SIZE
    )
    for rating in page.object_list:
        rating.answerable = answerable(rating)
    return render(
        request,
        "tasks/campaign_ratings.html",
        {"campaign": campaign, "page": page, "edit_days": limits.RATING_EDIT_DAYS},
    )


@login_required
@require_http_methods(["GET", "POST"])
def rating_answer_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a rating of one of the employer's campaigns (404 for anybody else's)."""
    rating = rating_of_employer(request.user, pk)
    return _rating_form_page(
        request,
        rating,
        RatingAnswerForm(request.POST or None, initial={"answer": rating.answer}),
        act=lambda answer: rating_answer(rating=rating, by=request.user, answer=answer),
        done=_("Your answer is shown under the rating."),
        template="tasks/rating_answer.html",
        back=reverse("tasks:campaign_ratings", args=[rating.campaign_id]),
        answerable=answerable(rating),
    )


@login_required
@require_http_methods(["GET", "POST"])
def rating_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a rating as abusive: a moderator hides it or keeps it."""
    rating = rating_visible_to(request.user, pk)
    return _rating_form_page(
        request,
        rating,
        RatingReportForm(request.POST or None),
        act=lambda reason: rating_report(rating=rating, by=request.user, reason=reason),
        done=_("Thank you: a moderator will look at this rating."),
        template="tasks/rating_report.html",
        back=reverse("workers:employer_ratings", args=[rating.employer_id]),
    )


def _rating_form_page(
    request: HttpRequest,
    rating: EmployerRating,
    form,
    *,
    act: Callable[..., object],
    done: str,
    template: str,
    back: str,
    **context,
) -> HttpResponse:
    """A rating with one form under it: on a valid POST, ``act`` (one service call, given
    the form's fields) and back to the rating in its list; a refusal goes on the form."""
    back += f"#rating-{rating.pk}"
    if request.method == "POST" and form.is_valid():
        try:
            act(**form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, done)
            return redirect(back)
    return render(
        request,
        template,
        {"rating": rating, "form": form, "back": back, **context},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("campaigns/<int:pk>/ratings/", campaign_ratings_page, name="campaign_ratings"),
    path("ratings/<int:pk>/answer/", rating_answer_view, name="rating_answer"),
    path("ratings/<int:pk>/report/", rating_report_view, name="rating_report"),
]
