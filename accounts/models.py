"""Kaaj's user: one login (an email address) that can act as employer, worker or both; the
state every app asks about a user (suspended or not), and the audit log of moderators'
decisions.

``ModerationAction`` is append-only by convention: one row per moderator decision, written by
``accounts.services.audit_record`` inside the transaction that makes the decision, so a rolled
back decision leaves no audit row and a committed one always has its row.

``Suspension``: at most one active (not lifted) row per user, enforced by a partial unique
constraint; lifting sets ``lifted_at`` and keeps the row as history. Moderators impose and
lift them (``moderation.services``); everything else only asks (``accounts.selectors``).

``Sanction``: the steps of the ladder before sanctions (a warning, then pauses of claims or
launches), issued by ``workers.sanctions`` and read by the claim's standing and the launch.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from .timezones import time_zone_for_country

MODERATORS_GROUP = "moderators"


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    BENGALI = "bn", _("Bengali")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=60,
        blank=True,
        help_text=_("The name employers and workers see. Leave empty to stay anonymous."),
    )
    country = CountryField(_("country"), blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("Times are shown in this zone. Empty: your country's."),
    )
    # The worker's level, 0 ("New") to 3: computed by workers.levels from their record, kept
    # here so that the claim's one statement and every page read it with the user.
    level = models.PositiveSmallIntegerField(_("level"), default=0)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """What others see: the display name, or an anonymous handle derived from the id."""
        return self.display_name or _("Member #%(id)s") % {"id": self.pk}

    @property
    def zone(self) -> str:
        """The IANA name of the zone this user's times are shown in: theirs, else their
        country's, else TIME_ZONE."""
        return self.time_zone or time_zone_for_country(self.country.code or "")

    @cached_property
    def is_moderator(self) -> bool:
        """Moderators are staff accounts in the ``moderators`` group."""
        if not (self.is_active and self.is_staff):
            return False
        return self.groups.filter(name=MODERATORS_GROUP).exists()


class ApiToken(AbstractAuthToken):
    """One API token of one device: knox's token (only its SHA-512 digest is stored, never the
    token), with an id the owner can name in the API, the device's name and when it was last
    used. It expires at ``expiry``; revoking it deletes the row."""

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True, editable=False)
    name = models.CharField(_("device"), max_length=60, blank=True)
    expiry = models.DateTimeField(_("expires"))
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return self.name or _("API token #%(id)s") % {"id": self.pk}


# The audit log's action codes as people read them. The code stays the stable key (filters, the
# API); a code missing here is shown as it is.
AUDIT_ACTIONS = {
    "campaign.approve": _("Campaign approved"),
    "campaign.reject": _("Campaign rejected"),
    "dispute.resolve": _("Dispute decided"),
    "user.suspend": _("Account suspended"),
    "user.reinstate": _("Account reinstated"),
    "wallet.adjust": _("Balance adjustment"),
    "payout.mark_paid": _("Withdrawal paid"),
    "payout.reject": _("Withdrawal rejected"),
    "sanction.warn": _("Warning for rejections"),
    "sanction.pause": _("Pause for rejections"),
    "sanction.lift": _("Warning or pause lifted"),
    "sanction.uphold": _("Warning or pause upheld"),
}
# What an audit row is about, by "app_label.model" (other kinds show the model's name).
AUDIT_TARGETS = {
    "accounts.user": _("Account"),
    "tasks.campaign": _("Campaign"),
    "tasks.dispute": _("Dispute"),
    "payments.payout": _("Withdrawal"),
}


class ModerationAction(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moderation_actions",
        verbose_name=_("moderator"),
    )
    action = models.CharField(_("action"), max_length=64)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("target type")
    )
    target_id = models.CharField(_("target id"), max_length=64)
    target_repr = models.CharField(_("target"), max_length=200)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation actions")
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="moderation_action_target"),
            models.Index(fields=["action", "-created_at"], name="moderation_action_action"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_repr}"

    @property
    def action_label(self) -> str:
        """The action in the reader's language ("Campaign approved" for campaign.approve)."""
        return str(AUDIT_ACTIONS.get(self.action, self.action))

    @property
    def target_label(self) -> str:
        """What the row is about in the reader's language ("Campaign" for tasks.campaign)."""
        kind = f"{self.target_type.app_label}.{self.target_type.model}"
        return str(AUDIT_TARGETS.get(kind) or self.target_type.name).capitalize()


class Suspension(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="suspensions",
        verbose_name=_("user"),
    )
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("suspended by"),
    )
    created_at = models.DateTimeField(_("suspended at"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(lifted_at__isnull=True),
                name="moderation_one_active_suspension_per_user",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | Q(lifted_at__isnull=False, lifted_by__isnull=False),
                name="moderation_suspension_lift_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


# --- Warnings before sanctions (workers.sanctions) -----------------------------------------


class SanctionSide(models.TextChoices):
    WORKER = "worker", _("worker")  # a pause stops claims
    EMPLOYER = "employer", _("employer")  # a pause stops launches


class SanctionStep(models.TextChoices):
    WARNING = "warning", _("warning")
    PAUSE = "pause", _("pause")


class AppealStatus(models.TextChoices):
    NONE = "none", _("not appealed")
    OPEN = "open", _("appealed, waiting for a moderator")
    UPHELD = "upheld", _("appeal turned down")
    LIFTED = "lifted", _("appeal granted")


class Sanction(models.Model):
    """One step of the ladder before sanctions: a warning, or a pause of claims (worker) or of
    launches (employer) until ``ends_at``. Written only by ``workers.sanctions``, which
    decides them from a rejection rate (Kaaj, never a person, issues them); a moderator or a
    dispute decided for the worker lifts them early (``lifted_at``). ``number`` counts the
    user's steps on one side (1, 2, ...): two evaluations racing for the same next step write
    the same number, and the unique constraint lets one of them through. ``details`` is the
    evidence as shown to the user: the rate, the window, the threshold and the rejections
    (assignment id, campaign title, reason, when)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sanctions",
        verbose_name=_("user"),
    )
    side = models.CharField(_("as"), max_length=10, choices=SanctionSide.choices)
    step = models.CharField(_("step"), max_length=10, choices=SanctionStep.choices)
    number = models.PositiveIntegerField(_("number"))
    rejection_rate = models.PositiveSmallIntegerField(_("rejection rate (percent)"))
    reviewed = models.PositiveIntegerField(_("work reviewed in the window"))
    rejected = models.PositiveIntegerField(_("work rejected in the window"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    starts_at = models.DateTimeField(_("starts at"), default=timezone.now)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lift_reason = models.TextField(_("reason for lifting"), blank=True)
    appeal = models.TextField(_("appeal"), blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appeal_status = models.CharField(
        _("appeal"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.NONE
    )
    decided_at = models.DateTimeField(_("appeal decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appeal decided by"),
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("warning or pause")
        verbose_name_plural = _("warnings and pauses")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "side", "number"], name="accounts_sanction_one_step_per_number"
            ),
            models.CheckConstraint(
                condition=Q(step="warning", ends_at__isnull=True)
                | Q(step="pause", ends_at__isnull=False, ends_at__gt=models.F("starts_at")),
                name="accounts_sanction_pause_has_end",
            ),
            models.CheckConstraint(
                condition=Q(appeal_status="none", appealed_at__isnull=True)
                | (~Q(appeal_status="none") & Q(appealed_at__isnull=False)),
                name="accounts_sanction_appeal_dated",
            ),
            models.CheckConstraint(
                condition=Q(rejected__lte=models.F("reviewed")),
                name="accounts_sanction_rejected_of_reviewed",
            ),
        ]
        indexes = [
            # The claim's standing reads the worker's pauses on its hot path.
            models.Index(
                fields=["user", "side", "ends_at"],
                condition=Q(step="pause", lifted_at__isnull=True),
                name="accounts_sanction_pauses",
            ),
            models.Index(
                fields=["appealed_at"],
                condition=Q(appeal_status="open"),
                name="accounts_sanction_appeals",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} #{self.number} ({self.user})"

    def remembered(self, now) -> bool:
        """Whether the step still counts towards the next: SANCTION_MEMORY_DAYS after it
        started (a pause: after it ended)."""
        memory = timedelta(days=settings.SANCTION_MEMORY_DAYS)
        return (self.ends_at or self.starts_at) + memory > now

    def stands(self, now) -> bool:
        """Not lifted and still remembered (or in force): what the user is shown as current."""
        return self.lifted_at is None and (self.remembered(now) or self.in_force(now))

    def in_force(self, now) -> bool:
        """A pause that stops claims or launches now."""
        return (
            self.step == SanctionStep.PAUSE
            and self.lifted_at is None
            and self.ends_at is not None
            and self.ends_at > now
        )
