"""Sending deliveries: claim, sign, POST, record. No transaction is open around the call.

Claim: one conditional UPDATE takes a due pending delivery and moves ``next_attempt_at`` (and
``sending_until``) forward by a lease. A second worker's UPDATE, serialised behind the first
by PostgreSQL, no longer matches — so one attempt is sent once. If a worker dies mid-send,
the delivery is due again when the lease ends and the sweeper sends it.

Record: one conditional UPDATE that matches only while our attempt is still the latest one
(``attempts`` unchanged), so a late answer cannot overwrite a newer attempt's outcome.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from requests.adapters import HTTPAdapter

from .addresses import AddressRefused, IPAddress, host_addresses, host_normalise
from .models import PING_EVENT, Delivery, DeliveryStatus
from .services import http_allowed
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

USER_AGENT = "Kaaj-Webhooks/1"
RESPONSE_SNIPPET_BYTES = 1024
ERROR_MAX_CHARS = 500
JOB_BUDGET_SECONDS = 40


# The same words whatever the reason: the log shows which address and rule (employers read
# this; it must not map out which internal names exist).
NOT_PUBLIC = "Not sent: the host is not a public internet address (or did not resolve)."


def connect_address(address: IPAddress) -> str:
    """Where to connect for a checked address: an IPv4-mapped one as its IPv4 address."""
    mapped = getattr(address, "ipv4_mapped", None)
    return str(address if mapped is None else mapped)


class SendResult:
    def __init__(self, status_code: int | None = None, error: str = "", response: str = ""):
        self.status_code, self.error, self.response = status_code, error, response

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def lease_seconds() -> int:
    return int(settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS + settings.WEBHOOKS_TIMEOUT_SECONDS) + 60


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1-based): the schedule's entry,
    its last entry once past the end."""
    schedule = settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS
    return timedelta(seconds=schedule[min(attempts, len(schedule)) - 1])


def delivery_send(*, delivery_id: int) -> Delivery | None:
    """Make one attempt at a due pending delivery, if nobody else is making it.

    Requires: no transaction open (it calls the network). Returns None (sending nothing)
    when the delivery is not pending, not due, its endpoint is disabled, or another worker
    holds it; else the delivery as recorded: succeeded (2xx), pending with the next attempt
    after the backoff, or failed after ``WEBHOOKS_MAX_ATTEMPTS`` attempts.
    """
    found = Delivery.objects.filter(pk=delivery_id).values_list("event", "endpoint__is_active")
    event, active = found.first() or ("", False)
    # A ping goes out even to a disabled endpoint: the owner asked for it.
    if not (active or event == PING_EVENT):
        return None
    now = timezone.now()
    lease_end = now + timedelta(seconds=lease_seconds())
    # Only this row's own columns in the WHERE (no join, no subquery): PostgreSQL re-checks
    # them on the row another worker just committed, so the loser of a race matches nothing.
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(
        attempts=F("attempts") + 1,
        next_attempt_at=lease_end,
        sending_until=lease_end,
        last_attempt_at=now,
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: signature_header(delivery.endpoint.secret, body, int(time.time())),
    }
    result = post(delivery.endpoint.url, body, headers)
    return _record(delivery, result, headers)


class PinnedAdapter(HTTPAdapter):
    """Connects to ``address`` (checked public) for requests to ``host``, instead of
    resolving the name again: TLS still sends and verifies the name (SNI and the
    certificate), and the Host header names it. A request to any other host is refused
    rather than resolved (fail closed)."""

    def __init__(self, host: str, address: str):
        self.host, self.address = host_normalise(host), address
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        name = host_params["host"]  # as urllib3 would have resolved it (IDNA-encoded)
        try:
            same = host_normalise(name) == self.host
        except AddressRefused:
            same = False
        if not same:
            raise requests.exceptions.InvalidURL(f"Not the checked host: {name}")
        host_params["host"] = self.address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = name
            pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs

    def send(self, request, *args, **kwargs):
        if "Host" not in request.headers:
            request.headers["Host"] = urlsplit(request.url).netloc.rsplit("@", 1)[-1]
        return super().send(request, *args, **kwargs)


def post(url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    """POST once: short timeouts, no redirects, no proxies from the environment, and (in
    production) only to a public address, checked by :func:`webhooks.addresses.host_addresses`
    for every address the host resolves to and connected to without a second lookup. Never
    raises for the receiver's failures."""
    host = urlsplit(url).hostname or ""
    address = None
    if not http_allowed():
        try:
            address = connect_address(host_addresses(host)[0])
        except AddressRefused as refused:
            logger.info("webhook to %s not sent: %s", url, refused)
            return SendResult(error=NOT_PUBLIC)
    try:
        with requests.Session() as session:
            session.trust_env = False
            if address:
                session.mount("http://", PinnedAdapter(host, address))
                session.mount("https://", PinnedAdapter(host, address))
            response = session.post(
                url,
                data=body,
                headers=headers,
                timeout=(
                    settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS,
                    settings.WEBHOOKS_TIMEOUT_SECONDS,
                ),
                allow_redirects=False,
                stream=True,
            )
            with response:
                snippet = next(response.iter_content(RESPONSE_SNIPPET_BYTES), b"")
    except requests.Timeout:
        return SendResult(error="Timed out.")
    except requests.ConnectionError as error:
        return SendResult(error=f"Could not connect: {error}"[:ERROR_MAX_CHARS])
    except requests.RequestException as error:
        return SendResult(error=f"Request failed: {error}"[:ERROR_MAX_CHARS])
    # PostgreSQL text cannot hold NUL: a binary answer must not break the bookkeeping.
    text = snippet[:RESPONSE_SNIPPET_BYTES].decode("utf-8", errors="replace").replace("\x00", "")
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    if 300 <= response.status_code < 400:
        error += " (redirects are not followed)"
    return SendResult(response.status_code, error, text)


def _record(delivery: Delivery, result: SendResult, headers: dict[str, str]) -> Delivery | None:
    now = timezone.now()
    fields: dict = {
        "sending_until": None,
        "last_status_code": result.status_code,
        "last_error": result.error[:ERROR_MAX_CHARS],
        "last_response": result.response,
        "last_request_headers": headers,
    }
    if result.ok:
        fields |= {"status": DeliveryStatus.SUCCEEDED, "delivered_at": now, "next_attempt_at": None}
    elif delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        fields |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
    else:
        fields["next_attempt_at"] = now + retry_delay(delivery.attempts)
    fields["last_error"] = fields["last_error"].replace("\x00", "")
    Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(**fields)
    if not result.ok:
        logger.info(
            "webhook delivery %s attempt %s failed: %s",
            delivery.pk,
            delivery.attempts,
            result.error,
        )
    # None when the endpoint was deleted while we were sending.
    return Delivery.objects.filter(pk=delivery.pk).first()


def deliveries_due_ids(*, now: datetime | None = None, batch: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due (and endpoint enabled), oldest first."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:batch]
    )


def deliveries_prune(*, now: datetime | None = None, batch: int = 5000) -> int:
    """Forget finished deliveries older than ``WEBHOOKS_KEEP_DAYS`` (pending ones stay),
    one batch per call. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_KEEP_DAYS)
    old = list(
        Delivery.objects.filter(created_at__lt=cutoff)
        .exclude(status=DeliveryStatus.PENDING)
        .values_list("pk", flat=True)[:batch]
    )
    deleted, _rows = Delivery.objects.filter(pk__in=old).delete()
    return deleted
