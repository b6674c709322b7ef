"""A worker's saved searches of the feed: save the search on screen under a name, list them
(each runs the feed again in one tap), delete one. Every change is a POST through
``workers.searches``; anybody else's search is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError

from .forms import FeedQueryForm, SavedSearchForm
from .searches import (
    SAVED_SEARCHES_MAX,
    saved_search_delete,
    saved_search_links,
    saved_search_of,
    saved_search_query,
    saved_search_save,
)


@login_required
@require_GET
def searches_page(request: HttpRequest) -> HttpResponse:
    """The worker's saved searches, and what saving one does."""
    return render(
        request,
        "workers/searches.html",
        {"saved": saved_search_links(request.user), "most": SAVED_SEARCHES_MAX},
    )


@login_required
@require_POST
def search_save(request: HttpRequest) -> HttpResponse:
    """Save the feed's search (its fields come along, hidden) under the name typed; back to
    the feed, which now lists it."""
    query, named = FeedQueryForm(request.POST), SavedSearchForm(request.POST)
    back = reverse("workers:feed")
    if not (query.is_valid() and named.is_valid()):
        problems = [*named.errors.get("name", []), *query.errors.get("q", [])]
        messages.error(request, problems[0] if problems else _("That search cannot be saved."))
        return redirect(back)
    try:
        search = saved_search_save(
            worker=request.user, name=named.cleaned_data["name"], filters=query.filters()
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(
        request,
        _("Search “%(name)s” saved: you will hear when a new campaign matches it.")
        % {"name": search.name},
    )
    return redirect(f"{back}?{saved_search_query(search)}")


@login_required
@require_POST
def search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    search = saved_search_of(request.user, pk)
    saved_search_delete(search=search, by=request.user)
    messages.success(request, _("Search “%(name)s” deleted.") % {"name": search.name})
    return redirect("workers:searches")
