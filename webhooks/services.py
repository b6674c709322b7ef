"""Webhooks: endpoints employers register, and the events Kaaj emits to them.

:func:`webhook_emit` is called by other apps' services inside their transactions; sending
happens after commit, in :mod:`webhooks.sending`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError

from .addresses import AddressRefused, host_addresses, host_normalise
from .models import PING_EVENT, Delivery, DeliveryStatus, Endpoint, WebhookEvent, new_secret

EventData = dict | Callable[[], dict]


def http_allowed() -> bool:
    """Plain http:// and local addresses: development and tests only."""
    return bool(settings.DEBUG or getattr(settings, "WEBHOOKS_ALLOW_HTTP", False))


# --- Emitting -------------------------------------------------------------------------------


def webhook_emit(*, employer: User | int, event: str, data: EventData) -> None:
    """Record ``event`` for every active endpoint of ``employer`` that subscribes to it.

    Call inside the transaction that makes the change: the deliveries commit (or roll back)
    with it, and their send jobs are enqueued only after commit. ``data`` is a JSON-able dict,
    or a callable returning one, evaluated only when some endpoint wants the event. Costs
    one query when nobody listens. Payload: ``{"id", "type", "created", "data"}``; ``id`` is
    the event's UUID, the same for every endpoint and every resend.
    """
    webhook_emit_many(events=[(employer, event, data)])


def webhook_emit_many(*, events: Iterable[tuple[User | int, str, EventData]]) -> None:
    """:func:`webhook_emit` for a batch (e.g. the auto-approve sweep): one query for all the
    batch's endpoints, one insert for all its deliveries."""
    events = list(events)
    if not events:
        return
    unknown = {event for _emp, event, _d in events} - set(WebhookEvent.values)
    if unknown:  # a typo in a caller: fail loudly in its tests rather than send it
        raise ValueError(f"Unknown webhook events: {sorted(unknown)}")
    employer_ids = {getattr(employer, "pk", employer) for employer, _e, _d in events}
    wanted = {event for _emp, event, _d in events}
    endpoints: dict[int, list[tuple[int, list[str]]]] = {}
    rows = Endpoint.objects.filter(employer_id__in=employer_ids, is_active=True).filter(
        Q(events=[]) | Q(events__overlap=sorted(wanted))
    )
    for pk, employer_id, subscribed in rows.values_list("pk", "employer_id", "events"):
        endpoints.setdefault(employer_id, []).append((pk, subscribed))
    if not endpoints:
        return
    now = timezone.now()
    deliveries = []
    for employer, event, data in events:
        targets = [
            pk
            for pk, subscribed in endpoints.get(getattr(employer, "pk", employer), [])
            if not subscribed or event in subscribed
        ]
        if targets:
            payload = _payload(event, data() if callable(data) else data, now)
            deliveries += [
                Delivery(
                    endpoint_id=pk,
                    event=event,
                    event_id=payload["id"],
                    payload=payload,
                    next_attempt_at=now,
                    created_at=now,
                )
                for pk in targets
            ]
    _schedule(Delivery.objects.bulk_create(deliveries))


def _payload(event: str, data: dict, now) -> dict:
    # Through DjangoJSONEncoder once, so datetimes and UUIDs become the strings sent.
    return {
        "id": str(uuid.uuid4()),
        "type": event,
        "created": now.isoformat(),
        "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    }


def _schedule(deliveries: list[Delivery]) -> None:
    ids = [delivery.pk for delivery in deliveries]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids), robust=True)


def _enqueue(ids: list[int]) -> None:
    # If the broker is down, the sweeper (webhooks.send_due) sends them within a minute.
    from .jobs import delivery_send_job

    for pk in ids:
        delivery_send_job.delay(pk)


# --- Endpoints ------------------------------------------------------------------------------


def endpoint_url_check(url: str) -> str:
    """The URL, stripped, if Kaaj may send to it: https:// (http:// only when allowed),
    no credentials, a valid host, and (unless allowed) not a local or private address in any
    form :func:`webhooks.addresses.host_addresses` knows. Names are not looked up here: they
    are resolved and every address checked at each send (:mod:`webhooks.sending`)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as error:
        raise DomainError("invalid_url", _("Enter a valid URL."), field="url") from error
    allowed = ("https", "http") if http_allowed() else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise DomainError("https_required", _("The URL must start with https://."), field="url")
    if parts.username or parts.password:
        raise DomainError(
            "invalid_url", _("Leave user names and passwords out of the URL."), field="url"
        )
    try:
        if http_allowed():
            host_normalise(parts.hostname)
        else:
            host_addresses(parts.hostname, resolve=False)
    except AddressRefused as refused:
        if refused.code == "invalid_url":
            raise DomainError("invalid_url", _("Enter a valid URL."), field="url") from refused
        raise DomainError(
            "private_address", _("The URL must point to a public internet address."), field="url"
        ) from refused
    return url


def _events_clean(events: Iterable[str] | None) -> list[str]:
    events = sorted(set(events or []))
    unknown = [event for event in events if event not in WebhookEvent.values]
    if unknown:
        raise DomainError(
            "invalid_event",
            _("Unknown event: %(event)s.") % {"event": ", ".join(unknown)},
            field="events",
        )
    # Every event chosen is the same as none chosen: "all", including future ones.
    return [] if len(events) == len(WebhookEvent.values) else events


def endpoint_create(
    *, employer: User, url: str, events: Iterable[str] | None = None, description: str = ""
) -> Endpoint:
    """A new active endpoint with a fresh secret. ``events`` empty means every event.
    Raises DomainError (``https_required``, ``private_address``, ``invalid_url``,
    ``invalid_event``, ``too_many_endpoints``). The employer's row is locked so two
    requests at once cannot pass the limit together."""
    url = endpoint_url_check(url)
    events = _events_clean(events)
    limit = settings.WEBHOOKS_MAX_ENDPOINTS
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=employer.pk).first()
        if Endpoint.objects.filter(employer=employer).count() >= limit:
            raise DomainError(
                "too_many_endpoints",
                _("You can have at most %(limit)s endpoints.") % {"limit": limit},
                status=409,
            )
        return Endpoint.objects.create(
            employer=employer, url=url, events=events, description=description.strip()
        )


def endpoint_update(
    *,
    endpoint: Endpoint,
    by: User,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
) -> Endpoint:
    """Change the URL, events or description (what is None stays). Owner only."""
    _own(endpoint, by)
    fields = []
    if url is not None:
        endpoint.url = endpoint_url_check(url)
        fields.append("url")
    if events is not None:
        endpoint.events = _events_clean(events)
        fields.append("events")
    if description is not None:
        endpoint.description = description.strip()
        fields.append("description")
    if fields:
        endpoint.save(update_fields=fields)
    return endpoint


def endpoint_set_active(*, endpoint: Endpoint, by: User, active: bool) -> Endpoint:
    """Enable or disable. A disabled endpoint gets no new events and its pending deliveries
    wait (the sweeper skips them) until it is enabled again."""
    _own(endpoint, by)
    Endpoint.objects.filter(pk=endpoint.pk).update(is_active=active)
    endpoint.is_active = active
    if active:
        due = list(
            endpoint.deliveries.filter(
                status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
            ).values_list("pk", flat=True)
        )
        if due:
            transaction.on_commit(lambda: _enqueue(due), robust=True)
    return endpoint


def endpoint_rotate_secret(*, endpoint: Endpoint, by: User) -> Endpoint:
    """A new secret from now on; the old one stops working at once."""
    _own(endpoint, by)
    endpoint.secret, endpoint.secret_rotated_at = new_secret(), timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at"])
    return endpoint


def endpoint_delete(*, endpoint: Endpoint, by: User) -> None:
    """Remove the endpoint and its delivery log."""
    _own(endpoint, by)
    endpoint.delete()


def endpoint_ping(*, endpoint: Endpoint, by: User) -> Delivery:
    """A ``ping`` event to this endpoint only (whatever it subscribes to, even disabled:
    the owner asked for it), sent after commit."""
    _own(endpoint, by)
    now = timezone.now()
    payload = _payload(PING_EVENT, {"endpoint": {"id": endpoint.pk, "url": endpoint.url}}, now)
    with transaction.atomic():
        delivery = Delivery.objects.create(
            endpoint=endpoint,
            event=PING_EVENT,
            event_id=payload["id"],
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
        _schedule([delivery])
    return delivery


# --- Deliveries -----------------------------------------------------------------------------


def delivery_resend(*, delivery: Delivery, by: User) -> Delivery:
    """Send this delivery again now: same event id and payload, fresh signature. One more
    attempt whatever its status; a delivery being sent at this moment is refused
    (``in_flight``, 409) rather than sent twice at once."""
    _own(delivery.endpoint, by)
    now = timezone.now()
    with transaction.atomic():
        moved = (
            Delivery.objects.filter(pk=delivery.pk)
            .exclude(sending_until__gt=now)
            .update(status=DeliveryStatus.PENDING, next_attempt_at=now, sending_until=None)
        )
        if not moved:
            raise DomainError(
                "in_flight", _("This delivery is being sent right now; try again."), status=409
            )
        transaction.on_commit(lambda: _enqueue([delivery.pk]), robust=True)
    delivery.refresh_from_db()
    return delivery


def _own(endpoint: Endpoint, by: User) -> None:
    if endpoint.employer_id != by.pk:
        raise DomainError("not_found", _("Not found."), status=404)
