"""Employers' webhook pages: endpoints (add, edit, rotate the secret, enable, delete, send a
test event), each endpoint's delivery log, a delivery's payload and headers, and resend.
Every object is fetched through a selector that 404s for other users."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import form_error

from . import selectors, services
from .forms import EndpointForm
from .models import DeliveryStatus
from .sending import retry_delay
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, VERIFY_SNIPPET

DELIVERIES_PAGE_SIZE = 25


def _wait(seconds: int) -> str:
    if seconds % 3600 == 0:
        return ngettext("%(n)s hour", "%(n)s hours", seconds // 3600) % {"n": seconds // 3600}
    if seconds % 60 == 0:
        return ngettext("%(n)s minute", "%(n)s minutes", seconds // 60) % {"n": seconds // 60}
    return ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}


def retry_waits() -> str:
    """The waits between attempts, in words, as the sweeper applies them (the schedule's
    last wait repeats until WEBHOOKS_MAX_ATTEMPTS)."""
    waits = [retry_delay(n) for n in range(1, settings.WEBHOOKS_MAX_ATTEMPTS)]
    return str(get_text_list([_wait(int(w.total_seconds())) for w in waits], _("and")))


def _guide() -> dict:
    return {
        "retry_waits": retry_waits(),
        "verify_snippet": VERIFY_SNIPPET,
        "signature_header": SIGNATURE_HEADER,
        "event_header": EVENT_HEADER,
        "delivery_header": DELIVERY_HEADER,
    }


@login_required
@require_http_methods(["GET", "POST"])
def endpoints(request: HttpRequest) -> HttpResponse:
    """The employer's endpoints, and the form to add one."""
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(employer=request.user, **form.cleaned_data)
        except services.DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Endpoint added. Copy its signing secret below."))
            return redirect("webhooks:endpoint", pk=endpoint.pk)
    return render(
        request,
        "webhooks/endpoints.html",
        {"endpoints": selectors.endpoints_of(request.user), "form": form, **_guide()},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_GET
def endpoint(request: HttpRequest, pk: int) -> HttpResponse:
    """One endpoint: its secret, settings, and delivery log (paginated, by status)."""
    found = selectors.endpoint_of(request.user, pk)
    status = request.GET.get("status", "")
    page = Paginator(selectors.deliveries_of(found, status=status), DELIVERIES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    form = EndpointForm(
        initial={"url": found.url, "description": found.description, "events": found.events}
    )
    return _endpoint_page(request, found, form, page, status)


def _endpoint_page(request, found, form, page=None, status="", code=200) -> HttpResponse:
    if page is None:
        page = Paginator(selectors.deliveries_of(found), DELIVERIES_PAGE_SIZE).get_page(1)
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "endpoint": found,
            "form": form,
            "page": page,
            "status": status,
            "statuses": DeliveryStatus.choices,
            **_guide(),
        },
        status=code,
    )


@login_required
@require_POST
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.endpoint_of(request.user, pk)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            services.endpoint_update(endpoint=found, by=request.user, **form.cleaned_data)
        except services.DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("webhooks:endpoint", pk=found.pk)
    found.refresh_from_db()
    return _endpoint_page(request, found, form, code=400)


@login_required
@require_POST
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.endpoint_of(request.user, pk)
    services.endpoint_rotate_secret(endpoint=found, by=request.user)
    messages.success(request, _("New signing secret made; the old one no longer works."))
    return redirect("webhooks:endpoint", pk=found.pk)


@login_required
@require_POST
def endpoint_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.endpoint_of(request.user, pk)
    active = request.POST.get("active") == "1"
    services.endpoint_set_active(endpoint=found, by=request.user, active=active)
    messages.success(request, _("Endpoint enabled.") if active else _("Endpoint disabled."))
    return redirect("webhooks:endpoint", pk=found.pk)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.endpoint_of(request.user, pk)
    services.endpoint_delete(endpoint=found, by=request.user)
    messages.success(request, _("Endpoint deleted."))
    return redirect("webhooks:endpoints")


@login_required
@require_POST
def endpoint_ping(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.endpoint_of(request.user, pk)
    delivery = services.endpoint_ping(endpoint=found, by=request.user)
    messages.success(request, _("Test event queued; it appears in the log in a moment."))
    return redirect("webhooks:delivery", pk=delivery.pk)


@login_required
@require_GET
def delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """One delivery: status, attempts, the payload, the headers of the last attempt."""
    found = selectors.delivery_of(request.user, pk)
    return render(request, "webhooks/delivery.html", {"delivery": found})


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.delivery_of(request.user, pk)
    try:
        services.delivery_resend(delivery=found, by=request.user)
    except services.DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Sending again now."))
    if request.POST.get("back") == "log":
        return redirect("webhooks:endpoint", pk=found.endpoint_id)
    return redirect("webhooks:delivery", pk=found.pk)
