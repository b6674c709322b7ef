"""Notification pages: the list, mark read (one, or all), follow one, email preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.db import replica_reads
from notifications import selectors, services
from notifications.forms import PreferencesForm
from notifications.models import NotificationKind

PAGE_SIZE = 20


@login_required
@replica_reads
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    selectors.with_text(page.object_list)
    return render(request, "notifications/list.html", {"page": page})


def _safe(request: HttpRequest, url: str) -> str | None:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_for(request.user, pk)
    services.notification_mark_read(notification=notification, by=request.user)
    if request.htmx:
        notification.refresh_from_db()
        selectors.with_text([notification])
        # The bell's count comes from the context processor, after the update: one COUNT.
        return render(request, "notifications/includes/item.html", {"n": notification})
    return redirect(_safe(request, request.POST.get("next", "")) or "notifications:list")


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Following a notification marks it read, then goes where it points."""
    notification = selectors.notification_for(request.user, pk)
    services.notification_mark_read(notification=notification, by=request.user)
    return redirect(_safe(request, notification.url) or "notifications:list")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(by=request.user)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    prefs = services.preferences_for(request.user.pk)
    chosen = [kind for kind in NotificationKind.values if prefs.wants_email(kind)]
    data = request.POST if request.method == "POST" else None  # all unticked is a choice too
    form = PreferencesForm(data, initial={"email_kinds": chosen})
    if request.method == "POST" and form.is_valid():
        services.preferences_save(user=request.user, email_kinds=form.cleaned_data["email_kinds"])
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
