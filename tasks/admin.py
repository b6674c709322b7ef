"""Staff views of the work loop.

Statuses and money are read-only here: a campaign, task or assignment changes status only
through ``tasks/services`` (which checks the transition, moves escrow, writes the event row and
notifies). Tasks, assignments, submissions and every event row are view-only; on a campaign
staff may correct its text and targeting, nothing that money or a status depends on.

Tasks, assignments, submissions, screenshots and assignment events run to millions of rows:
their lists never count the whole table (``BigTableAdmin``), sort by primary key, and filter
only on fixed choices, never on a list of campaigns or users.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import (
    ViewOnlyAdmin,
    ViewOnlyBigTableAdmin,
    ViewOnlyInline,
    ViewOnlyMixin,
    choices_filter,
    money,
    money_column,
    user_column,
)

from .models import (
    SCREENSHOT_EXTENSIONS,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    Bonus,
    Campaign,
    CampaignEvent,
    CampaignStatus,
    CampaignText,
    Category,
    Dispute,
    EmployerRating,
    GoldStop,
    GroupMember,
    HeldQualification,
    KeptScreenshot,
    Qualification,
    QualificationAttempt,
    Screenshot,
    Submission,
    Task,
    WorkerGroup,
)


def _changelist_link(model: str, text: str, **filters: object) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html(
        '<a href="{}?{}">{}</a>', reverse(f"admin:tasks_{model}_changelist"), query, text
    )


def _screenshot_link(shot: Screenshot) -> str:
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        reverse("tasks:screenshot", args=[shot.pk]),
        _("open"),
    )


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "min_reward", "position"]
    search_fields = ["slug", "name"]
    ordering = ["position", "slug"]
    min_reward = money_column("min_reward_cents", _("minimum reward"))


class CampaignEventInline(ViewOnlyInline):
    model = CampaignEvent
    fields = ["created_at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "employer_email",
        "category",
        "status",
        "reward",
        "positions",
        "cost",
        "created_at",
        "launched_at",
    ]
    list_display_links = ["id", "title"]
    list_filter = ["status", "category", "uses_verification_code"]
    search_fields = ["=id", "title", "employer__email"]
    date_hierarchy = "created_at"
    list_select_related = ["employer", "category"]
    show_facets = admin.ShowFacets.NEVER
    inlines = [CampaignEventInline]  # never its tasks: a campaign may have thousands

    employer_email = user_column("employer", _("employer"))
    reward = money_column("reward_cents", _("reward per task"))
    fee = money_column("fee_cents", _("fee per task"))

    @admin.display(description=_("cost"))
    def cost(self, campaign: Campaign) -> str:
        return money(campaign.cost_cents)

    @admin.display(description=_("tasks"))
    def tasks_link(self, campaign: Campaign) -> str:
        return _changelist_link("task", _("Its tasks"), campaign__id__exact=campaign.pk)

    @admin.display(description=_("assignments"))
    def assignments_link(self, campaign: Campaign) -> str:
        return _changelist_link("assignment", _("Its assignments"), campaign__id__exact=campaign.pk)

    # Status, money, the proof schema and the task inputs are fixed by the services (launch,
    # moderation, review); staff may correct only the text and the targeting here.
    readonly_fields = [
        "employer",
        "category",
        "status",
        "reward",
        "fee",
        "positions",
        "cost",
        "proof_fields",
        "task_inputs",
        "uses_verification_code",
        "time_to_complete_minutes",
        "time_to_rate_hours",
        "flags",
        "decision_reason",
        "created_at",
        "launched_at",
        "updated_at",
        "tasks_link",
        "assignments_link",
    ]
    fieldsets = [
        (None, {"fields": ["employer", "category", "status", "title", "instructions"]}),
        (_("Money"), {"fields": ["reward", "fee", "positions", "cost"]}),
        (
            _("Targeting"),
            {
                "fields": [
                    "countries_include",
                    "countries_exclude",
                    "min_success_rate",
                    "max_tasks_per_worker",
                    "ends_at",
                ]
            },
        ),
        (
            _("Work"),
            {
                "fields": [
                    "proof_fields",
                    "task_inputs",
                    "uses_verification_code",
                    "time_to_complete_minutes",
                    "time_to_rate_hours",
                    "tasks_link",
                    "assignments_link",
                ]
            },
        ),
        (
            _("Moderation"),
            {"fields": ["flags", "decision_reason", "created_at", "launched_at", "updated_at"]},
        ),
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # a campaign is created and funded by its employer (campaign_launch)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # its escrow and history refer to it

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(CampaignEvent)
class CampaignEventAdmin(ViewOnlyAdmin):
    list_display = ["id", "campaign", "from_status", "to_status", "actor_email", "created_at"]
    list_filter = [choices_filter("to_status", CampaignStatus.choices, _("to status"))]
    search_fields = ["=campaign__id", "campaign__title", "actor__email", "note"]
    date_hierarchy = "created_at"
    list_select_related = ["campaign", "actor"]
    ordering = ["-id"]
    actor_email = user_column("actor", _("actor"))


@admin.register(Task)
class TaskAdmin(ViewOnlyBigTableAdmin):
    list_display = ["id", "campaign", "number", "status"]
    list_filter = ["status"]
    search_fields = ["=id", "=campaign__id"]
    list_select_related = ["campaign"]
    ordering = ["campaign", "number"]  # the (campaign, number) unique index
    fields = ["campaign", "number", "status", "input", "assignments_link"]
    readonly_fields = fields

    @admin.display(description=_("assignments"))
    def assignments_link(self, task: Task) -> str:
        return _changelist_link("assignment", _("Its assignments"), task__id__exact=task.pk)


class SubmissionInline(ViewOnlyInline):
    model = Submission
    fields = ["created_at", "answers"]
    readonly_fields = fields


class AssignmentEventInline(ViewOnlyInline):
    model = AssignmentEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    show_change_link = False


class DisputeInline(ViewOnlyMixin, admin.StackedInline):
    model = Dispute
    fields = [
        "status",
        "outcome",
        "worker_statement",
        "employer_statement",
        "decided_by",
        "decision_reason",
        "created_at",
        "decided_at",
    ]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Assignment)
class AssignmentAdmin(ViewOnlyBigTableAdmin):
    """No ``date_hierarchy``: ``claimed_at`` has no index of its own, and the drill-down asks
    for the table's first and last dates on every page view. The date filter is static."""

    list_display = [
        "id",
        "campaign",
        "worker_email",
        "status",
        "claimed_at",
        "submitted_at",
        "reviewed_at",
    ]
    list_filter = ["status", ("claimed_at", admin.DateFieldListFilter)]
    search_fields = ["=id", "=worker__email", "=campaign__id"]
    list_select_related = ["campaign", "worker"]
    readonly_fields = [
        "task",
        "campaign",
        "worker",
        "status",
        "claimed_at",
        "expires_at",
        "submitted_at",
        "review_due_at",
        "reviewed_at",
        "review_reason",
        "dispute_until",
        "client_ip",
        "updated_at",
    ]
    fields = readonly_fields
    inlines = [SubmissionInline, AssignmentEventInline, DisputeInline]
    worker_email = user_column("worker", _("worker"))


@admin.register(AssignmentEvent)
class AssignmentEventAdmin(ViewOnlyBigTableAdmin):
    list_display = ["id", "assignment", "from_status", "to_status", "actor_email", "created_at"]
    list_filter = [
        choices_filter("to_status", AssignmentStatus.choices, _("to status")),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["=assignment__id", "=actor__email"]
    list_select_related = ["assignment", "actor"]
    actor_email = user_column("actor", _("actor"))


class ScreenshotInline(ViewOnlyInline):
    model = Screenshot
    fields = ["field_key", "content_type", "width", "height", "duplicate_of", "picture"]
    readonly_fields = fields

    @admin.display(description=_("picture"))
    def picture(self, shot: Screenshot) -> str:
        return _screenshot_link(shot)


@admin.register(Submission)
class SubmissionAdmin(ViewOnlyBigTableAdmin):
    list_display = ["id", "assignment", "created_at"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    search_fields = ["=id", "=assignment__id", "=assignment__worker__email"]
    list_select_related = ["assignment"]
    fields = ["assignment", "answers", "created_at"]
    readonly_fields = fields
    inlines = [ScreenshotInline]


@admin.register(Screenshot)
class ScreenshotAdmin(ViewOnlyBigTableAdmin):
    list_display = [
        "id",
        "submission",
        "field_key",
        "content_type",
        "width",
        "height",
        "duplicate_of",
        "created_at",
    ]
    list_filter = [
        choices_filter(
            "content_type", [(kind, kind) for kind in SCREENSHOT_EXTENSIONS], _("content type")
        ),
        ("duplicate_of", admin.EmptyFieldListFilter),
    ]
    search_fields = ["=id", "=submission__id", "=submission__assignment__id"]
    list_select_related = ["submission", "duplicate_of"]
    # The stored file is private (never at a public URL): the link goes through the view that
    # checks who may see it, not to the storage path.
    fields = [
        "submission",
        "field_key",
        "picture",
        "content_type",
        "width",
        "height",
        "phash",
        "duplicate_of",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("picture"))
    def picture(self, shot: Screenshot) -> str:
        return _screenshot_link(shot)


@admin.register(KeptScreenshot)
class KeptScreenshotAdmin(ViewOnlyAdmin):
    """Screenshots kept from a proof sent back with an error, waiting for the next proof of
    the same claim (tasks.services.screenshots_keep): view-only, like every proof."""

    list_display = [
        "id",
        "assignment",
        "field_key",
        "content_type",
        "width",
        "height",
        "created_at",
    ]
    search_fields = ["=id", "=assignment__id"]
    list_select_related = ["assignment"]
    fields = ["assignment", "field_key", "content_type", "width", "height", "phash", "created_at"]
    readonly_fields = fields


@admin.register(Dispute)
class DisputeAdmin(ViewOnlyAdmin):
    """Disputes are opened, answered and decided only through ``tasks/services/disputes.py``
    (a decision pays or releases escrow): view-only. Moderators decide in the console."""

    list_display = [
        "id",
        "assignment",
        "status",
        "outcome",
        "created_at",
        "responded_at",
        "decided_at",
        "decided_by_email",
    ]
    list_filter = ["status", "outcome"]
    search_fields = [
        "=id",
        "=assignment__id",
        "=assignment__worker__email",
        "=assignment__campaign__id",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["assignment", "decided_by"]
    ordering = ["-id"]
    fields = [
        "assignment",
        "status",
        "outcome",
        "worker_statement",
        "evidence_link",
        "employer_statement",
        "responded_at",
        "decided_by",
        "decision_reason",
        "decided_at",
        "created_at",
        "console_link",
    ]
    readonly_fields = fields
    decided_by_email = user_column("decided_by", _("decided by"))

    @admin.display(description=_("evidence"))
    def evidence_link(self, dispute: Dispute) -> str:
        if not dispute.evidence:
            return "-"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("tasks:dispute_evidence", args=[dispute.pk]),
            _("open"),
        )

    @admin.display(description=_("moderator console"))
    def console_link(self, dispute: Dispute) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("moderation:dispute", args=[dispute.pk]), _("open")
        )


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    """Qualification tests: staff may retire one or correct its wording; its questions, pass
    mark and owner are the author's (tasks.services.qualifications), shown, not edited."""

    list_display = ["id", "name", "owner", "pass_mark", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["=id", "name", "owner__email"]
    list_select_related = ["owner"]
    fields = [
        "name",
        "description",
        "is_active",
        "owner",
        "created_by",
        "pass_mark",
        "retake_after_hours",
        "questions",
        "created_at",
    ]
    readonly_fields = [
        "owner",
        "created_by",
        "pass_mark",
        "retake_after_hours",
        "questions",
        "created_at",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # campaigns name tests by id: retire one instead


@admin.register(QualificationAttempt)
class QualificationAttemptAdmin(ViewOnlyAdmin):
    """Attempts at tests, graded by the service: view-only."""

    list_display = ["id", "qualification", "worker", "score", "passed", "created_at"]
    list_filter = ["passed"]
    search_fields = ["=id", "=worker__id", "=qualification__id"]
    list_select_related = ["qualification", "worker"]
    fields = ["qualification", "worker", "answers", "score", "passed", "created_at"]
    readonly_fields = fields


@admin.register(Bonus)
class BonusAdmin(ViewOnlyAdmin):
    """Employers' bonuses to workers (paid through tasks.services.bonuses, with their
    ledger movement): view-only."""

    list_display = ["id", "assignment", "employer", "worker", "amount_cents", "created_at"]
    search_fields = ["=id", "=assignment__id", "=employer__id", "=worker__id"]
    list_select_related = ["assignment", "employer", "worker"]
    fields = [
        "assignment", "employer", "worker", "amount_cents", "fee_cents", "reason", "key",
        "created_at",
    ]  # fmt: skip
    readonly_fields = fields


@admin.register(GoldStop)
class GoldStopAdmin(ViewOnlyAdmin):
    """Workers stopped from a campaign by its check tasks (written and lifted by the work
    loop, ``tasks.lifecycle.gold``; a dispute decided for the worker lifts one): view-only."""

    list_display = ["id", "campaign", "worker", "right", "answered", "created_at", "lifted_at"]
    list_filter = [("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["=id", "=worker__id", "=campaign__id"]
    list_select_related = ["campaign", "worker"]
    fields = ["campaign", "worker", "answered", "right", "created_at", "lifted_at", "lift_reason"]
    readonly_fields = fields


@admin.register(HeldQualification)
class HeldQualificationAdmin(ViewOnlyAdmin):
    """Who holds which qualification (from their first passed attempt): view-only."""

    list_display = ["id", "qualification", "worker", "granted_at"]
    search_fields = ["=id", "=worker__id", "=qualification__id"]
    list_select_related = ["qualification", "worker"]
    fields = ["qualification", "worker", "attempt", "granted_at"]
    readonly_fields = fields


@admin.register(WorkerGroup)
class WorkerGroupAdmin(ViewOnlyAdmin):
    """Employers' groups of chosen workers (written through tasks.services.groups; private
    campaigns name them): view-only."""

    list_display = ["id", "name", "owner", "created_at"]
    search_fields = ["=id", "=owner__id", "name"]
    list_select_related = ["owner"]
    fields = ["owner", "name", "created_at"]
    readonly_fields = fields


@admin.register(GroupMember)
class GroupMemberAdmin(ViewOnlyAdmin):
    """Who is in which group: view-only."""

    list_display = ["id", "group", "worker", "added_at"]
    search_fields = ["=id", "=group__id", "=worker__id"]
    list_select_related = ["group", "worker"]
    fields = ["group", "worker", "added_at"]
    readonly_fields = fields


@admin.register(EmployerRating)
class EmployerRatingAdmin(ViewOnlyAdmin):
    """Workers' ratings of employers: given, answered, reported and hidden only through
    tasks.services.ratings (hiding forgets the employer's average and is audited; moderators
    decide in the console's flags): view-only."""

    list_display = ["id", "campaign", "employer", "worker", "pay", "clarity", "speed"]
    list_filter = [("hidden_at", admin.EmptyFieldListFilter)]
    search_fields = ["=id", "=campaign__id", "=employer__id", "=worker__id"]
    list_select_related = ["campaign", "employer", "worker"]
    date_hierarchy = "created_at"
    fields = [
        "campaign", "employer", "worker", "pay", "clarity", "speed", "comment", "created_at",
        "updated_at", "answer", "answered_at", "reported_at", "reported_by", "report_reason",
        "hidden_at", "hidden_by", "hidden_reason",
    ]  # fmt: skip
    readonly_fields = fields


@admin.register(CampaignText)
class CampaignTextAdmin(ViewOnlyAdmin):
    """Each campaign's words as the feed searches them (written by PostgreSQL's trigger):
    view-only."""

    list_display = ["campaign"]
    search_fields = ["=campaign__id"]
    list_select_related = ["campaign"]
    fields = ["campaign", "vector"]
    readonly_fields = fields
