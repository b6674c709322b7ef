"""The console's hub, the flags and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from accounts.permissions import moderator_required
from moderation import selectors
from moderation.forms import AuditFilterForm, UserLookupForm

AUDIT_PAGE_SIZE = 50


@moderator_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The hub: what waits for a moderator, with links to each queue."""
    return render(
        request,
        "moderation/home.html",
        {"counts": selectors.console_counts(), "lookup": UserLookupForm()},
    )


@moderator_required
@require_GET
def flags(request: HttpRequest) -> HttpResponse:
    """Duplicate screenshots, employers who reject far more than the platform, workers
    rejected by many employers — over the recent window — and reported ratings."""
    return render(
        request,
        "moderation/flags.html",
        {
            "duplicates": selectors.flag_duplicate_screenshots(),
            "employers": selectors.flag_rejecting_employers(),
            "workers": selectors.flag_rejected_workers(),
            "ratings": selectors.flag_reported_ratings(),
            "window_days": settings.FLAG_WINDOW_DAYS,
            "min_reviewed": settings.FLAG_EMPLOYER_MIN_REVIEWED,
            "min_employers": settings.FLAG_WORKER_REJECTING_EMPLOYERS,
        },
    )


@moderator_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    """Every moderator decision, newest first; filter by action and moderator, search by
    target."""
    form = AuditFilterForm(
        request.GET or None,
        actions=selectors.audit_actions(),
        moderators=selectors.audit_moderators(),
    )
    data = form.cleaned_data if form.is_valid() else {}
    moderator = data.get("moderator")
    rows = selectors.audit_log(
        action=data.get("action") or "",
        actor_id=moderator.pk if moderator else None,
        target=(data.get("target") or "").strip(),
    )
    page = Paginator(rows, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        {k: v for k, v in request.GET.items() if k in ("action", "moderator", "target") and v}
    )
    return render(request, "moderation/audit.html", {"form": form, "page": page, "query": query})


urlpatterns = [
    path("", home, name="home"),
    path("flags/", flags, name="flags"),
    path("audit/", audit, name="audit"),
]
