"""PostgreSQL unreachable: 503 with ``Retry-After``, never a 500 with a traceback.

A request that cannot reach the database cannot be served, but it is not a bug either: the
API answers ``503 {"code": "unavailable", "detail": ...}`` and pages a short translated
``503.html``, both with ``Retry-After: UNAVAILABLE_RETRY_AFTER_SECONDS``.

Django hands every uncaught exception to ``handler500`` while it is being handled, whether it
came from a view (an API view's token lookup, any query) or from a middleware (the session
and ``request.user`` load lazily, in the first middleware that asks), so one check there
covers both: ``marketplace.views.server_error`` asks :func:`response_for` first. (With
``DEBUG`` on, Django shows its debug page instead, as for any error.)

The 503 page never touches the database: it does not extend ``base.html`` and is rendered
without the request's context processors (no user, no session, no unread count). Each such
request is logged once, on one line, at error level (:class:`OneLineWhenUnreachable` strips
the traceback Django would add).
"""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

# SQLSTATEs that mean "no database to talk to" rather than a failed statement: the whole
# class 08 (connection exception), too many connections, and the operator-intervention
# shutdowns. Deadlocks, serialisation failures and statement timeouts are OperationalErrors
# too, but they are not this (and keep their 500: a retry loop belongs in the service).
_UNREACHABLE_STATES = ("08", "53300", "57P01", "57P02", "57P03")


def database_unreachable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says PostgreSQL cannot be reached (refused, lost, shutting down)."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    state = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    return not state or state.startswith(_UNREACHABLE_STATES)


def response_for(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """The 503 for a request that failed on an unreachable database; None otherwise."""
    if not database_unreachable(exc):
        return None
    retry_after = settings.UNAVAILABLE_RETRY_AFTER_SECONDS
    language = translation.get_language_from_request(request)
    with translation.override(language):
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {
                    "code": "unavailable",
                    "detail": _("Kaaj is briefly unavailable. Please try again in a minute."),
                },
                status=503,
            )
        else:
            context = {"retry_after_minutes": max(1, math.ceil(retry_after / 60))}
            response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(retry_after)
    return response


class OneLineWhenUnreachable(logging.Filter):
    """On ``django.request``: the 503 that ``handler500`` gave an unreachable database is
    logged on one line with the error's message, without a traceback per request."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if database_unreachable(exc) and isinstance(record.args, tuple):
            record.msg = f"{record.msg} (PostgreSQL unreachable: %s)"
            record.args = (*record.args, _one_line(exc))
            record.exc_info = None
            record.exc_text = None
        return True


def _one_line(exc: BaseException | None) -> str:
    return " ".join(str(exc).split())
