"""In-app notifications: one row per event (or per batch of like events), its text rendered
from ``kind`` + ``params`` in the reader's language when shown or mailed."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    CAMPAIGN_APPROVED = "campaign_approved", _("Campaign approved")
    CAMPAIGN_REJECTED = "campaign_rejected", _("Campaign rejected")
    SUBMISSIONS_TO_REVIEW = "submissions_to_review", _("New submissions to review")
    SUBMISSION_APPROVED = "submission_approved", _("Submission approved")
    SUBMISSION_REJECTED = "submission_rejected", _("Submission rejected")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")
    CLAIM_EXPIRING = "claim_expiring", _("Claim about to expire")
    DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
    DISPUTE_ANSWERED = "dispute_answered", _("Dispute answered")
    DISPUTE_DECIDED = "dispute_decided", _("Dispute decided")
    PAYOUT_PAID = "payout_paid", _("Payout paid")
    PAYOUT_FAILED = "payout_failed", _("Payout failed")
    ACCOUNT_SUSPENDED = "account_suspended", _("Account suspended")
    ACCOUNT_REINSTATED = "account_reinstated", _("Account reinstated")
    LEVEL_UP = "level_up", _("New level reached")
    BONUS_RECEIVED = "bonus_received", _("Bonus received")
    GOLD_STOPPED = "gold_stopped", _("Stopped from a campaign by its check tasks")
    GOLD_STOP_LIFTED = "gold_stop_lifted", _("A campaign takes your work again")
    # The ladder before sanctions (warnings, claim or launch pauses, and their lifting).
    SANCTION_WARNING = "sanction_warning", _("Warning about rejections")
    SANCTION_PAUSE = "sanction_pause", _("Pause for rejections")
    SANCTION_LIFTED = "sanction_lifted", _("Pause or warning lifted")
    EMPLOYER_RATED = "employer_rated", _("A worker rated you")
    PRIVATE_CAMPAIGN = "private_campaign", _("A campaign for a group you are in")
    SEARCH_MATCHED = "search_matched", _("A new campaign matches a saved search")
    RATING_ANSWERED = "rating_answered", _("An employer answered your rating")


class Notification(models.Model):
    """What happened to ``user``. ``count`` > 1 only for batched kinds (one unread row per
    ``batch_key`` that grows); ``dedupe_key`` makes "once per event" a database rule;
    ``emailed_at`` / ``emailed_count`` record what the mail already told the user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    params = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    url = models.CharField(max_length=300, blank=True)
    count = models.PositiveIntegerField(default=1)
    batch_key = models.CharField(max_length=80, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailed_count = models.PositiveIntegerField(default=0)
    email_due = models.BooleanField(
        default=False, help_text="Wanted by e-mail and not mailed yet (the sweeper's column)."
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notifications_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "batch_key"],
                condition=Q(read_at__isnull=True) & ~Q(batch_key=""),
                name="notifications_one_unread_batch",
            ),
            models.CheckConstraint(
                condition=Q(count__gte=1) & Q(emailed_count__lte=F("count")),
                name="notifications_counts_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-updated_at", "-id"], name="notifications_recent_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(email_due=True),
                name="notifications_email_due_idx",
            ),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notifications_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def pending_count(self) -> int:
        """Events of a batch not yet told by mail."""
        return self.count - self.emailed_count


class NotificationPreferences(models.Model):
    """Which kinds also come by email: ``email`` maps kind → bool; a missing kind uses
    ``notifications.texts.EMAIL_DEFAULTS``. No row at all means all defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preferences",
    )
    email = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"

    def wants_email(self, kind: str) -> bool:
        from notifications.texts import email_default

        value = self.email.get(kind)
        return email_default(kind) if value is None else bool(value)
