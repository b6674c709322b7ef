"""Reads of webhooks: an employer's endpoints and their delivery logs."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts.models import User

from .models import Delivery, DeliveryStatus, Endpoint


def _count(status: str) -> Subquery:
    # A subquery per status reads only those rows (index endpoint, status), not the whole log.
    rows = (
        Delivery.objects.filter(endpoint=OuterRef("pk"), status=status)
        .order_by()
        .values("endpoint")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def endpoints_of(employer: User) -> QuerySet[Endpoint]:
    """The employer's endpoints, oldest first, each with its pending and failed counts."""
    return Endpoint.objects.filter(employer=employer).annotate(
        pending_count=_count(DeliveryStatus.PENDING),
        failed_count=_count(DeliveryStatus.FAILED),
    )


def endpoint_of(employer: User, pk: int) -> Endpoint:
    """The employer's endpoint; Http404 for anybody else's."""
    return get_object_or_404(Endpoint, pk=pk, employer=employer)


def deliveries_of(endpoint: Endpoint, *, status: str = "") -> QuerySet[Delivery]:
    """The endpoint's delivery log, newest first, without the payloads (the list shows none)."""
    rows = endpoint.deliveries.defer("payload", "last_response", "last_request_headers")
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def delivery_of(employer: User, pk: int) -> Delivery:
    """A delivery to one of the employer's endpoints; Http404 otherwise."""
    return get_object_or_404(
        Delivery.objects.select_related("endpoint"), pk=pk, endpoint__employer=employer
    )
