"""The work loop's rows: categories, campaigns, tasks, assignments, submissions, screenshots.

Lifecycles (DESIGN.md): every status is a TextChoices with its allowed transitions beside it;
``tasks.lifecycle`` performs each transition with a conditional update under a row lock and
writes a history row (its package docstring states the locking order).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import display

from .limits import PLACEHOLDER, RATING_SCORE_MAX, RATING_SCORE_MIN, hidden_columns_dropped


class ProofKind(models.TextChoices):
    TEXT = "text", _("Text")
    URL = "url", _("Link")
    SCREENSHOT = "screenshot", _("Screenshot")
    # The code the task's page shows at its end, checked by Kaaj against the task's own
    # (the ``_code`` column of its row: tasks.limits.CODE_COLUMN).
    VERIFICATION_CODE = "verification_code", _("Verification code")


def code_proofs(proof_fields: list[dict]) -> list[dict]:
    """The verification-code proofs among ``proof_fields`` (a campaign has one at most)."""
    return [f for f in proof_fields if f.get("kind") == ProofKind.VERIFICATION_CODE]


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    min_reward_cents = models.PositiveIntegerField()
    proof_template = models.JSONField(
        default=list, help_text="Proof fields this kind of task usually needs."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language (the stored name is English)."""
        from .categories import CATEGORY_NAMES

        return str(CATEGORY_NAMES.get(self.slug, self.name))


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", _("Rejected")


CAMPAIGN_TRANSITIONS = {
    CampaignStatus.DRAFT: {CampaignStatus.IN_REVIEW, CampaignStatus.CANCELLED},
    CampaignStatus.IN_REVIEW: {
        CampaignStatus.ACTIVE,
        CampaignStatus.REJECTED,
        CampaignStatus.CANCELLED,
    },
    CampaignStatus.ACTIVE: {
        CampaignStatus.PAUSED,
        CampaignStatus.COMPLETED,
        CampaignStatus.CANCELLED,
        CampaignStatus.EXPIRED,
    },
    CampaignStatus.PAUSED: {
        CampaignStatus.ACTIVE,
        CampaignStatus.COMPLETED,
        CampaignStatus.CANCELLED,
        CampaignStatus.EXPIRED,
    },
    CampaignStatus.COMPLETED: set(),
    CampaignStatus.CANCELLED: set(),
    CampaignStatus.EXPIRED: set(),
    CampaignStatus.REJECTED: set(),
}
# Campaigns whose open tasks may still be claimed later (now or after a resume/approval).
LIVE_STATUSES = (CampaignStatus.IN_REVIEW, CampaignStatus.ACTIVE, CampaignStatus.PAUSED)
# Campaigns anybody signed in may know of; drafts, those in review and rejected ones are
# their owner's (and moderators') business.
PUBLIC_STATUSES = (
    CampaignStatus.ACTIVE,
    CampaignStatus.PAUSED,
    CampaignStatus.COMPLETED,
    CampaignStatus.CANCELLED,
    CampaignStatus.EXPIRED,
)


def _new_secret() -> str:
    return secrets.token_hex(16)


class Campaign(models.Model):
    employer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns"
    )
    title = models.CharField(_("title"), max_length=120)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="campaigns")
    instructions = models.TextField(
        _("instructions"), help_text=_("Plain text. {{column}} is replaced by the task's input.")
    )
    proof_fields = models.JSONField(default=list)
    reward_cents = models.PositiveIntegerField(_("reward per task (cents)"))
    fee_cents = models.PositiveIntegerField(
        default=0, help_text="Kaaj's fee per task, fixed at launch (PLATFORM_FEE_PERCENT)."
    )
    positions = models.PositiveIntegerField(_("positions"))
    max_tasks_per_worker = models.PositiveSmallIntegerField(default=1)
    countries_include = models.JSONField(default=list, blank=True)
    countries_exclude = models.JSONField(default=list, blank=True)
    min_success_rate = models.PositiveSmallIntegerField(default=0)
    min_level = models.PositiveSmallIntegerField(default=0)  # workers.levels: 0 is anyone
    time_to_complete_minutes = models.PositiveIntegerField(default=60)
    time_to_rate_hours = models.PositiveIntegerField(default=72)
    ends_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True
    )
    get_status_display = display("status", CampaignStatus)  # core/choices.py: why
    uses_verification_code = models.BooleanField(default=False)
    # With a verification-code proof: a submission whose code matches is approved at once.
    auto_approve_code = models.BooleanField(default=False)
    verification_secret = models.CharField(max_length=64, default=_new_secret, editable=False)
    task_inputs = models.JSONField(
        default=list,
        blank=True,
        help_text="Rows of the uploaded CSV while a draft; each becomes one task at launch.",
    )
    flags = models.JSONField(
        default=list, blank=True, help_text="Why the automatic checks want a moderator to look."
    )
    # Check tasks (tasks.gold): served at this percentage of a worker's claims while the
    # campaign has some; a worker whose answers to them are right less often than
    # ``gold_min_accuracy`` percent, after ``gold_min_answers`` of them, is stopped from it.
    gold_rate = models.PositiveSmallIntegerField(default=0, db_default=0)
    gold_min_accuracy = models.PositiveSmallIntegerField(default=70, db_default=70)
    gold_min_answers = models.PositiveSmallIntegerField(default=3, db_default=3)
    # Qualification ids a worker must hold to claim (workers.eligibility): a list on the row,
    # so the feed's condition is on the campaign's own columns. Qualifications are never
    # deleted (retired instead), so an id here always names one.
    qualifications = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # Ids of the employer's groups of workers (WorkerGroup) the campaign is open to; none is
    # everyone. A list on the row, like ``qualifications``, for the same reason. A group
    # named by a campaign that is not over cannot be deleted (tasks.services.groups).
    groups = ArrayField(models.BigIntegerField(), default=list, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reward_cents__gt=0), name="tasks_campaign_reward_positive"
            ),
            models.CheckConstraint(
                condition=Q(positions__gt=0), name="tasks_campaign_positions_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_success_rate__lte=100), name="tasks_campaign_success_rate_percent"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-reward_cents", "-id"], name="tasks_feed_reward_idx"),
            models.Index(fields=["status", "-launched_at", "-id"], name="tasks_feed_newest_idx"),
            # The few campaigns that require a qualification test: what the feed reads to
            # say which tests would open more work (workers.selectors.tests_opening_work).
            models.Index(
                fields=["status"],
                condition=~Q(qualifications=[]),
                name="tasks_campaign_tested_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def cost_per_task_cents(self) -> int:
        return self.reward_cents + self.fee_cents

    @property
    def cost_cents(self) -> int:
        return self.positions * self.cost_per_task_cents

    @property
    def asks_for_code(self) -> bool:
        """Whether a verification-code proof is among the campaign's proofs."""
        return bool(code_proofs(self.proof_fields))

    def instructions_for(self, task_input: dict | None) -> str:
        """The instructions with ``{{column}}`` replaced by the task's values — plain text,
        which templates escape (``urlize|linebreaks``): the employer's words are never HTML."""
        if not task_input:
            return self.instructions
        return PLACEHOLDER.sub(
            lambda match: str(task_input.get(match.group(1), match.group(0))), self.instructions
        )


class CampaignText(models.Model):
    """A campaign's words as the feed searches them (``tasks.search``): its title and
    instructions as a tsvector, under a GIN index. Written by PostgreSQL itself (a trigger
    on every insert and every change of the title or instructions: migration
    0015_campaign_text), so no path that writes a campaign can leave it stale; a row of its
    own so that loading a campaign never loads it."""

    campaign = models.OneToOneField(
        Campaign, primary_key=True, on_delete=models.CASCADE, related_name="text"
    )
    vector = SearchVectorField()

    class Meta:
        indexes = [GinIndex(fields=["vector"], name="tasks_campaign_text_idx")]

    def __str__(self) -> str:
        return f"text of {self.campaign_id}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ASSIGNED = "assigned", _("Assigned")
    PAID = "paid", _("Paid")
    WITHDRAWN = "withdrawn", _("Withdrawn")  # its money went back to the employer
    # A check task (a row of the task file with ``_gold_<key>`` answers): never a position,
    # never claimed as one; served to each worker once, at the campaign's gold rate, and paid
    # by Kaaj when answered right (tasks.gold).
    GOLD = "gold", _("Check task")


# tasks.lifecycle.tasks moves a task only along these arrows: claimed (open → assigned);
# its holder gone without pay while the campaign lives (assigned → open) or after it ended
# (assigned → withdrawn, refunded); approved (assigned → paid); the campaign stopped before
# anybody claimed it (open → withdrawn, refunded).
TASK_TRANSITIONS = {
    TaskStatus.OPEN: {TaskStatus.ASSIGNED, TaskStatus.WITHDRAWN},
    TaskStatus.ASSIGNED: {TaskStatus.OPEN, TaskStatus.PAID, TaskStatus.WITHDRAWN},
    TaskStatus.PAID: set(),
    TaskStatus.WITHDRAWN: set(),
    TaskStatus.GOLD: set(),
}


class Task(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="tasks")
    number = models.PositiveIntegerField()
    input = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)

    class Meta:
        ordering = ["campaign", "number"]
        constraints = [
            # Positions and check tasks are numbered apart (check task 1, 2, ...), so that
            # adding positions later never meets a check task's number.
            models.UniqueConstraint(
                fields=["campaign", "number"],
                condition=~Q(status="gold"),
                name="tasks_task_number",
            ),
            models.UniqueConstraint(
                fields=["campaign", "number"],
                condition=Q(status="gold"),
                name="tasks_gold_task_number",
            ),
        ]
        indexes = [
            models.Index(
                fields=["campaign", "number"],
                condition=Q(status="open"),
                name="tasks_task_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}#{self.number}"

    @property
    def visible_input(self) -> dict:
        """The input as its worker may see it: without the hidden columns (``_code``: what
        the worker must find, not be told)."""
        return hidden_columns_dropped(self.input)


class AssignmentStatus(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    SUBMITTED = "submitted", _("Submitted")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DISPUTED = "disputed", _("Disputed")
    EXPIRED = "expired", _("Expired")
    RELEASED = "released", _("Released")
    CLOSED = "closed", _("Rejected, final")


# tasks.lifecycle.assignments moves an assignment only along these arrows. A rejection stays
# open to dispute until its window closes (rejected → closed) or a moderator decides for the
# employer (disputed → closed); either way its task is released then.
ASSIGNMENT_TRANSITIONS = {
    AssignmentStatus.CLAIMED: {
        AssignmentStatus.SUBMITTED,
        AssignmentStatus.EXPIRED,
        AssignmentStatus.RELEASED,
    },
    AssignmentStatus.SUBMITTED: {
        AssignmentStatus.APPROVED,
        AssignmentStatus.REJECTED,
        AssignmentStatus.REVISION_REQUESTED,
    },
    AssignmentStatus.REVISION_REQUESTED: {
        AssignmentStatus.SUBMITTED,
        AssignmentStatus.EXPIRED,
        AssignmentStatus.RELEASED,
    },
    AssignmentStatus.REJECTED: {AssignmentStatus.DISPUTED, AssignmentStatus.CLOSED},
    AssignmentStatus.DISPUTED: {AssignmentStatus.APPROVED, AssignmentStatus.CLOSED},
    AssignmentStatus.APPROVED: set(),
    AssignmentStatus.EXPIRED: set(),
    AssignmentStatus.RELEASED: set(),
    AssignmentStatus.CLOSED: set(),
}
# While an assignment is in one of these, its task belongs to it (and its money stays in
# escrow). A rejected one holds its task until the dispute window closes.
HOLDING_STATUSES = (
    AssignmentStatus.CLAIMED,
    AssignmentStatus.SUBMITTED,
    AssignmentStatus.REVISION_REQUESTED,
    AssignmentStatus.REJECTED,
    AssignmentStatus.DISPUTED,
)
# Claims a worker is working on: they count against MAX_OPEN_CLAIMS.
WORKING_STATUSES = (AssignmentStatus.CLAIMED, AssignmentStatus.REVISION_REQUESTED)
# Work the employer turned down, and the rejection stands (for now, or for good): what a
# worker's success rate and an employer's record count as rejected. A disputed one counts
# as neither until it is decided.
REJECTED_STATUSES = (AssignmentStatus.REJECTED, AssignmentStatus.CLOSED)
# Every decided review: approved, or rejected as above.
REVIEWED_STATUSES = (AssignmentStatus.APPROVED, *REJECTED_STATUSES)
# A check task's answer counts once decided, or in dispute (as a wrong one, until a dispute
# decided for the worker approves it): tasks.gold.
GOLD_ANSWERED_STATUSES = (*REVIEWED_STATUSES, AssignmentStatus.DISPUTED)


class Assignment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="assignments")
    # No single-column indexes of their own: queue_idx and worker_idx below lead with them,
    # and each index more is written on every claim and move, and weighed by every plan.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="assignments", db_index=False
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assignments",
        db_index=False,
    )
    status = models.CharField(
        max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.CLAIMED
    )
    get_status_display = display("status", AssignmentStatus)  # core/choices.py: why
    claimed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="Deadline to submit (claim or revision).")
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(
        null=True, blank=True, help_text="Approved automatically after this."
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    dispute_until = models.DateTimeField(null=True, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # A check task's (TaskStatus.GOLD): decided by Kaaj at submit against the expected answer,
    # paid by Kaaj, and counted in the worker's gold accuracy on the campaign, never in a
    # success rate nor in the employer's record.
    is_gold = models.BooleanField(default=False, db_default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            # The same position is never sold twice: one holding assignment per task.
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(status__in=HOLDING_STATUSES, is_gold=False),
                name="tasks_one_holder_per_task",
            ),
            # A check task is served to many workers, each once.
            models.UniqueConstraint(
                fields=["task", "worker"],
                condition=Q(is_gold=True),
                name="tasks_gold_once_per_worker",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="tasks_assignment_expiry_idx"),
            models.Index(fields=["status", "review_due_at"], name="tasks_assignment_review_idx"),
            models.Index(fields=["status", "dispute_until"], name="tasks_assignment_window_idx"),
            models.Index(fields=["campaign", "status"], name="tasks_assignment_queue_idx"),
            models.Index(fields=["worker", "campaign"], name="tasks_assignment_worker_idx"),
        ]

    def __str__(self) -> str:
        return f"assignment:{self.pk}"


class AssignmentEvent(models.Model):
    """Who moved an assignment from one status to another, when, and why."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.from_status}→{self.to_status}"


class CampaignEvent(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.from_status}→{self.to_status}"


class Submission(models.Model):
    """One proof sent for an assignment; a revision adds another."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="submissions")
    answers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"submission:{self.pk}"


SCREENSHOT_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def screenshot_name(content_type: str) -> str:
    """A random, unguessable name in a folder that is never served directly."""
    folder = secrets.token_hex(2)
    extension = SCREENSHOT_EXTENSIONS[content_type]
    return f"private/screenshots/{folder}/{secrets.token_urlsafe(24)}.{extension}"


def screenshot_path(instance: Screenshot, filename: str) -> str:
    return screenshot_name(instance.content_type)


class Screenshot(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="screenshots")
    field_key = models.CharField(max_length=40)
    file = models.FileField(upload_to=screenshot_path, max_length=200)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    phash = models.BigIntegerField(help_text="64-bit perceptual hash (difference hash).")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["phash"], name="tasks_screenshot_phash_idx")]

    def __str__(self) -> str:
        return f"screenshot:{self.pk}"

    @property
    def extension(self) -> str:
        return SCREENSHOT_EXTENSIONS[self.content_type]


def kept_screenshot_path(instance: KeptScreenshot, filename: str) -> str:
    return screenshot_name(instance.content_type)


class KeptScreenshot(models.Model):
    """A screenshot that passed its checks in a proof sent back for another error: kept
    against the assignment, one per proof field, so a worker on a slow connection does not
    upload it again. The next proof that is sent takes it over (as a :class:`Screenshot` of
    the same file); it is deleted when the claim ends (released, expired, closed). Private,
    like every proof: the worker, the campaign's employer and moderators see it."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="kept_screenshots"
    )
    field_key = models.CharField(max_length=40)
    file = models.FileField(upload_to=kept_screenshot_path, max_length=200)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    phash = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "field_key"], name="tasks_kept_screenshot_one_per_field"
            )
        ]

    def __str__(self) -> str:
        return f"kept-screenshot:{self.pk}"

    @property
    def extension(self) -> str:
        return SCREENSHOT_EXTENSIONS[self.content_type]


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DECIDED = "decided", _("Decided")


class DisputeOutcome(models.TextChoices):
    WORKER = "worker", _("For the worker")
    EMPLOYER = "employer", _("For the employer")
    REVERSED = "reversed", _("Reversed by the employer")


# Outcomes that overturn the rejection: the worker is paid, and the employer's record shows it.
OVERTURNED_OUTCOMES = (DisputeOutcome.WORKER, DisputeOutcome.REVERSED)


def dispute_evidence_path(instance: Dispute, filename: str) -> str:
    return screenshot_name(instance.evidence_content_type)


class Dispute(models.Model):
    """A worker's appeal against a rejection (one per assignment), the employer's answer,
    and the decision: a moderator's, or the employer's own reversal. The assignment's
    status tells where the money is; this row tells who said what and who decided why."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="dispute")
    worker_statement = models.TextField(_("why the rejection is wrong"))
    evidence = models.FileField(
        upload_to=dispute_evidence_path, max_length=200, blank=True, help_text="A screenshot."
    )
    evidence_content_type = models.CharField(max_length=20, blank=True)
    employer_statement = models.TextField(_("employer's answer"), blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    outcome = models.CharField(max_length=10, choices=DisputeOutcome.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="open") & Q(outcome="") & Q(decided_at__isnull=True))
                | (Q(status="decided") & ~Q(outcome="") & Q(decided_at__isnull=False)),
                name="tasks_dispute_decided_has_outcome",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="open"),
                name="tasks_dispute_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"dispute:{self.pk}"

    @property
    def evidence_extension(self) -> str:
        return SCREENSHOT_EXTENSIONS.get(self.evidence_content_type, "bin")


# --- qualification tests -----------------------------------------------------------------------


class Qualification(models.Model):
    """A short test a worker passes once to hold a qualification that campaigns may require:
    an employer's (``owner``), or the platform's (no owner, written by a moderator).

    ``questions`` is a list of ``{"text", "kind": "choice"|"text", "choices", "answer"}``
    (``tasks.qualifications`` checks and grades them; workers never see ``answer``). Never
    deleted: a retired test (``is_active`` off) can no longer be taken, and what workers
    passed stays theirs."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="qualifications_owned",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("what it checks"), blank=True)
    questions = models.JSONField(default=list)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"))
    retake_after_hours = models.PositiveIntegerField(_("hours before a retake"), default=24)
    is_active = models.BooleanField(_("open to workers"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1, pass_mark__lte=100),
                name="tasks_qualification_pass_mark_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_platform(self) -> bool:
        return self.owner_id is None


class QualificationAttempt(models.Model):
    """One try at a test, graded at once; the worker's answers kept as sent."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="attempts"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qualification_attempts"
    )
    answers = models.JSONField(default=list)
    score = models.PositiveSmallIntegerField()  # percent of the questions answered right
    passed = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["worker", "qualification", "-created_at"],
                name="tasks_attempt_worker_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.qualification_id}: {self.score}%"


class HeldQualification(models.Model):
    """A qualification a worker holds: written once, by their first passed attempt."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="holders"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qualifications_held"
    )
    attempt = models.OneToOneField(QualificationAttempt, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "qualification"], name="tasks_held_qualification_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} holds {self.qualification_id}"


# --- check tasks (gold) ------------------------------------------------------------------------


class GoldStop(models.Model):
    """A worker stopped from one campaign because their answers to its check tasks were
    right too seldom (``tasks.gold``): written once when it happens, lifted when a dispute
    decided for them brings their accuracy back up. The claim refuses while it stands."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="gold_stops")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gold_stops"
    )
    answered = models.PositiveIntegerField()  # check tasks answered when stopped
    right = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "worker"],
                condition=Q(lifted_at__isnull=True),
                name="tasks_gold_stop_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["worker", "campaign"],
                condition=Q(lifted_at__isnull=True),
                name="tasks_gold_stop_worker_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} stopped from {self.campaign_id}"


# --- bonuses ---------------------------------------------------------------------------------


class Bonus(models.Model):
    """An employer's bonus to the worker of one of their assignments, paid from the
    employer's wallet with Kaaj's fee on top (``tasks.services.bonuses``): once per
    idempotency key of the employer's."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="bonuses")
    employer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bonuses_given"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bonuses_received"
    )
    amount_cents = models.PositiveIntegerField()
    fee_cents = models.PositiveIntegerField()
    reason = models.TextField()
    key = models.CharField(max_length=100)  # the employer's idempotency key
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["employer", "key"], name="tasks_bonus_once_per_key"),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="tasks_bonus_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"bonus:{self.pk}"


# --- ratings of employers --------------------------------------------------------------------


class EmployerRating(models.Model):
    """A worker's rating of a campaign's employer, once one of their assignments in it was
    decided (``tasks.services.ratings``): three scores from 1 to 5, a comment, and the
    employer's answer shown under it. One per worker per campaign; both sides may change
    their words for RATING_EDIT_DAYS after the rating was first given.

    Moderated through the flags: anybody but its author may report it (``reported_*``),
    which puts it on the moderators' flags page; a moderator hides it (``hidden_*``: out of
    every average and public list) or keeps it (the report cleared). ``employer`` is the
    campaign's, copied so the employer's averages and list read one index."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="ratings")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings_given"
    )
    employer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="ratings_received",
        db_index=False,  # led by ratings_employer_idx
    )
    pay = models.PositiveSmallIntegerField(_("pay fairness"))
    clarity = models.PositiveSmallIntegerField(_("clarity"))
    speed = models.PositiveSmallIntegerField(_("speed of review"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("employer's answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report_reason = models.TextField(blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hidden_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "worker"], name="tasks_rating_once"),
            models.CheckConstraint(
                condition=Q(pay__gte=RATING_SCORE_MIN, pay__lte=RATING_SCORE_MAX)
                & Q(clarity__gte=RATING_SCORE_MIN, clarity__lte=RATING_SCORE_MAX)
                & Q(speed__gte=RATING_SCORE_MIN, speed__lte=RATING_SCORE_MAX),
                name="tasks_rating_scores_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | Q(hidden_by__isnull=False),
                name="tasks_rating_hidden_by_someone",
            ),
        ]
        indexes = [
            # An employer's public list and averages: visible ratings, newest first.
            models.Index(
                fields=["employer", "-created_at", "-id"],
                condition=Q(hidden_at__isnull=True),
                name="tasks_rating_employer_idx",
            ),
            # The flags page: reports waiting for a moderator.
            models.Index(
                fields=["reported_at"],
                condition=Q(reported_at__isnull=False, hidden_at__isnull=True),
                name="tasks_rating_reported_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"rating:{self.pk}"

    @property
    def average(self) -> float:
        return (self.pay + self.clarity + self.speed) / 3


# --- groups of workers (private campaigns) -----------------------------------------------------


class WorkerGroup(models.Model):
    """An employer's named group of chosen workers ("hire group"). A campaign naming groups
    (``Campaign.groups``) is private: only their members see it in the feed or may claim
    (``workers.eligibility``'s rule "private")."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="worker_groups"
    )
    name = models.CharField(_("name"), max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="tasks_worker_group_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """One worker in one group: added by its owner, by id, from the review queue or a
    worker's record."""

    group = models.ForeignKey(WorkerGroup, on_delete=models.CASCADE, related_name="members")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_memberships"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "worker"], name="tasks_group_member_once")
        ]
        indexes = [models.Index(fields=["worker", "group"], name="tasks_group_member_worker_idx")]

    def __str__(self) -> str:
        return f"{self.worker_id} in {self.group_id}"
