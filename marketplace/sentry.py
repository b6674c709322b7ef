"""Error reports to Sentry, when ``SENTRY_DSN`` is set (the settings call :func:`sentry_init`).

Web processes (Django) and Celery workers report uncaught exceptions, and log records at
ERROR (Sentry's logging integration; INFO and up become breadcrumbs), with the environment
and release from SENTRY_ENVIRONMENT and SENTRY_RELEASE.

An event carries the exception, its stack (files, lines, functions, source lines), the
request's method, path and ordinary headers. It carries no personal data: with
``send_default_pii`` off, no user, cookies, client IP or Authorization header; and, beyond
Sentry's defaults, no request bodies (forms carry emails, passwords, payout phone numbers,
proofs), no query strings (the moderators' user lookup searches by email) and no local
variables (a frame's user, form or cleaned data; Sentry's scrubber only knows key names
like "password").

Tracing is off unless SENTRY_TRACES_SAMPLE_RATE is above 0; the probes
(``marketplace/probes.py``) are never traced.
"""

from __future__ import annotations

from typing import Any


def sentry_init(
    *, dsn: str, environment: str | None, release: str | None, traces_sample_rate: float
) -> None:
    """Start reporting to ``dsn`` as the module docstring says."""
    # Imported here, not at the top: the settings import this module in every process, and
    # the SDK with its integrations is about 6 MB of each web worker's memory that a
    # deployment without SENTRY_DSN never uses.
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    options: dict[str, Any] = {}
    if traces_sample_rate > 0:
        options["traces_sampler"] = _traces_sampler(traces_sample_rate)
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=without_query_string,
        **options,
    )


def without_query_string(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """``before_send``: the request's query string and any body left out of the event."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("query_string", None)
        request.pop("data", None)
    return event


def _traces_sampler(rate: float):
    def sample(context: dict[str, Any]) -> float:
        from .probes import PROBE_PATHS  # not at the top: the settings import this module

        path = context.get("wsgi_environ", {}).get("PATH_INFO", "")
        return 0.0 if path in PROBE_PATHS else rate

    return sample
