"""Employers' webhook endpoints and the deliveries of signed events to them.

A delivery is one event for one endpoint. It is sent by a Celery job after the emitting
transaction commits, and retried by a beat sweeper that scans ``next_attempt_at`` (never a
long broker ETA). A send first *claims* the delivery with one conditional update that moves
``next_attempt_at`` forward by a lease, so two workers never send the same attempt at once;
a worker that dies mid-send leaves a delivery the sweeper picks up when the lease runs out.
"""

from __future__ import annotations

import json
import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    ASSIGNMENT_SUBMITTED = "assignment.submitted", _("A worker submitted proof")
    ASSIGNMENT_APPROVED = "assignment.approved", _("A submission was approved")
    ASSIGNMENT_REJECTED = "assignment.rejected", _("A submission was rejected")
    ASSIGNMENT_REVISION_REQUESTED = (
        "assignment.revision_requested",
        _("A revision was requested"),
    )
    ASSIGNMENT_DISPUTED = "assignment.disputed", _("A worker disputed a rejection")
    DISPUTE_RESOLVED = "dispute.resolved", _("A dispute was decided")
    CAMPAIGN_APPROVED = "campaign.approved", _("A campaign was approved")
    CAMPAIGN_REJECTED = "campaign.rejected", _("A campaign was rejected")
    CAMPAIGN_COMPLETED = "campaign.completed", _("A campaign was completed")
    CAMPAIGN_EXPIRED = "campaign.expired", _("A campaign expired")


# Sent only by "Send test event", to one endpoint, whatever it subscribes to.
PING_EVENT = "ping"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    employer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=120, blank=True)
    secret = models.CharField(max_length=80, default=new_secret)
    # Empty means every event, including ones added later.
    events = ArrayField(
        models.CharField(max_length=40, choices=WebhookEvent.choices), default=list, blank=True
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["employer"], condition=Q(is_active=True), name="webhooks_endpoint_live_idx"
            )
        ]

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, event: str) -> bool:
        return not self.events or event in self.events

    def event_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [str(labels.get(event, event)) for event in self.events]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    # The same for every endpoint's copy of one event and across resends: receivers dedupe on it.
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # While set and in the future, a worker is sending this delivery (see module docstring).
    sending_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_response = models.TextField(blank=True)
    last_request_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhooks_delivery_due_idx",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_log_idx"),
            models.Index(
                fields=["endpoint", "status", "-created_at"], name="webhooks_delivery_status_idx"
            ),
            models.Index(
                fields=["created_at"],
                condition=~Q(status="pending"),
                name="webhooks_delivery_done_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="webhooks_delivery_pending_has_next",
            )
        ]

    def __str__(self) -> str:
        return f"delivery:{self.pk}"

    def payload_pretty(self) -> str:
        return json.dumps(self.payload, indent=2, ensure_ascii=False)
