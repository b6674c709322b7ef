"""What machines ask a web process: ``/healthz``, ``/readyz`` and ``/metrics``.

A container's health check, a load balancer and Prometheus call these every few seconds,
over plain HTTP, addressing the process by whatever name or address they know it by
(``Host: 10.0.3.7:8000``). :class:`ProbesMiddleware`, first in ``MIDDLEWARE``, answers them
before anything else runs: no ALLOWED_HOSTS check, no HTTPS redirect, no session, CSRF,
language or rate limit. So a process whose PostgreSQL is down still says it is alive (the
unavailable 503 of ``marketplace/unavailable.py`` never sees these requests), and ``/readyz``
names the failing part instead of showing the generic 503 page.

- ``GET /healthz``: ``200 {"status": "ok"}`` as long as the process answers; nothing else is
  touched. A container runtime restarts a process that stops answering it.
- ``GET /readyz``: PostgreSQL (``SELECT 1`` on a connection of its own), Redis (``PING`` on
  the cache's Redis, asked directly: the cache fails open and would say nothing) and storage
  (the bucket answers, or MEDIA_ROOT is writable). The three run at once, each in a thread
  of its own, and the answer waits ``READYZ_TIMEOUT_SECONDS`` at most: ``200 {"status":
  "ok", "checks": {...: "ok"}}``, or ``503`` with ``"status": "failing"``, the failing parts
  in ``"failing"`` and each one's short reason in ``"checks"``.
- ``GET /metrics`` (only with ``PROMETHEUS_METRICS`` on; a 404 like any unknown page
  otherwise): django-prometheus's exposition, only for ``Authorization: Bearer
  <METRICS_TOKEN>``. Answered here rather than from the URLs for the same reason as the
  probes: Prometheus scrapes each process by its own address, over plain HTTP.

Nothing here holds user data. A failing check's reason is its exception's class name
(``OperationalError``), ``no answer within 2.0 s`` or the storage check's few words, never
an exception's message, which may name hosts and database users (``/readyz`` is reachable
through the public proxy); the message goes to the log, one line per failing check.
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from .storage import storage_check as upload_storage_check

logger = logging.getLogger(__name__)

PROBE_PATHS = ("/healthz", "/readyz", "/metrics")


def postgresql_check() -> None:
    """``SELECT 1`` on a connection of its own, closed after: the request thread's may be
    kept open (CONN_MAX_AGE) or be mid-transaction. libpq's connect_timeout (two seconds at
    least) ends the thread soon after the answer gave up waiting for it."""
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    options = {
        **connection.settings_dict.get("OPTIONS", {}),
        "connect_timeout": max(2, math.ceil(settings.READYZ_TIMEOUT_SECONDS)),
    }
    connection.settings_dict = {**connection.settings_dict, "OPTIONS": options}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def redis_check() -> None:
    """``PING`` the cache's Redis with the cache's own timeouts, on a connection of its own."""
    config = settings.CACHES[DEFAULT_CACHE_ALIAS]
    location = config["LOCATION"]
    url = (location.split(",") if isinstance(location, str) else location)[0]
    options = config.get("OPTIONS", {})
    with redis.Redis.from_url(
        url,
        socket_connect_timeout=options.get("socket_connect_timeout"),
        socket_timeout=options.get("socket_timeout"),
    ) as client:
        client.ping()


def storage_check() -> None:
    """Uploads can be kept: the bucket answers to the credentials, or MEDIA_ROOT is a
    writable directory (``marketplace.storage.storage_check``, which writes nothing)."""
    problem = upload_storage_check()
    if problem:
        raise CheckFailed(problem)


class CheckFailed(Exception):
    """A check's own finding, in a few words that name no path, host or secret: it is the
    reason ``/readyz`` gives."""


CHECKS: dict[str, Callable[[], None]] = {
    "postgresql": postgresql_check,
    "redis": redis_check,
    "storage": storage_check,
}

# The run of each check in flight. A check that hangs is joined by the probes after it
# rather than started again, so a dependency that never answers costs one thread, not one
# per probe.
_running: dict[str, Future] = {}
_running_lock = threading.Lock()


def _start(name: str) -> Future:
    with _running_lock:
        future = _running.get(name)
        if future is None or future.done():
            future = Future()
            thread = threading.Thread(
                target=_run, args=(future, CHECKS[name]), name=f"readyz-{name}", daemon=True
            )
            thread.start()
            _running[name] = future
    return future


def _run(future: Future, check: Callable[[], None]) -> None:
    try:
        check()
    except Exception as error:  # any failure of the dependency is a failing check
        future.set_exception(error)
    else:
        future.set_result(None)


def readiness() -> dict[str, str]:
    """Each check's ``"ok"`` or why it failed; all run at once, waited for at most
    READYZ_TIMEOUT_SECONDS together."""
    timeout = settings.READYZ_TIMEOUT_SECONDS
    futures = {name: _start(name) for name in CHECKS}
    wait(futures.values(), timeout=timeout)
    return {name: _outcome(name, future, timeout) for name, future in futures.items()}


def _outcome(name: str, future: Future, timeout: float) -> str:
    if not future.done():
        logger.warning("Readiness: %s gave no answer within %s s", name, timeout)
        return f"no answer within {timeout} s"
    error = future.exception()
    if error is None:
        return "ok"
    logger.warning("Readiness: %s failing: %s", name, " ".join(str(error).split()))
    return str(error) if isinstance(error, CheckFailed) else type(error).__name__


def healthz() -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz() -> JsonResponse:
    checks = readiness()
    failing = [name for name, outcome in checks.items() if outcome != "ok"]
    if not failing:
        return JsonResponse({"status": "ok", "checks": checks})
    response = JsonResponse({"status": "failing", "failing": failing, "checks": checks}, status=503)
    # Logged above, one line per failing part; not again by django.request as an error
    # (which Sentry would report every few seconds while a dependency is down).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def metrics(request: HttpRequest) -> HttpResponse:
    """django-prometheus's page for the bearer of METRICS_TOKEN (compared in constant time);
    401 without a token, 403 with a wrong one, and for everyone while no token is set."""
    from django_prometheus.exports import ExportToDjangoView

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        response = _refusal(401, "not_authenticated", "Send Authorization: Bearer <token>.")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    expected = settings.METRICS_TOKEN
    if not expected or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return _refusal(403, "permission_denied", "This token may not read the metrics.")
    return ExportToDjangoView(request)


def _refusal(status: int, code: str, detail: str) -> JsonResponse:
    # Logged by django.request as a warning, as any refusal is.
    return JsonResponse({"code": code, "detail": detail}, status=status)


class ProbesMiddleware:
    """Answers ``GET``/``HEAD`` ``/healthz``, ``/readyz`` and, with PROMETHEUS_METRICS on,
    ``/metrics``, before any other middleware runs (see the module docstring); every other
    request goes on unchanged. Place it first in MIDDLEWARE."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path not in PROBE_PATHS or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if path == "/healthz":
            response = healthz()
        elif path == "/readyz":
            response = readyz()
        elif settings.PROMETHEUS_METRICS:
            response = metrics(request)
        else:
            return self.get_response(request)  # no metrics: an unknown page like any other
        response["Cache-Control"] = "no-store"
        return response
