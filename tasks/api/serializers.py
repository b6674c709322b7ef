"""The work loop's API shapes (field names are the public contract in DESIGN.md).

Serializers here parse and render; they never write. Every change goes through a service in
``tasks.services``: the write serializers only turn a request body into a ``CampaignSpec``
or the arguments of one service call.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import NamedChoiceField
from core.fields import MoneyField
from core.money import fee_for
from tasks import limits
from tasks.models import (
    WORKING_STATUSES,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Category,
    ProofKind,
    Screenshot,
    Submission,
    TaskStatus,
)
from tasks.services import CampaignSpec, verification_code
from tasks.services.reviews import BULK_ACTIONS

COUNTRY_CODES = [code for code, _name in countries]


def campaign_status_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(
        component="CampaignStatusEnum", choices=CampaignStatus.choices, **kwargs
    )


def assignment_status_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(
        component="AssignmentStatusEnum", choices=AssignmentStatus.choices, **kwargs
    )


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", help_text=_("In the reader's language."))
    proof_template = serializers.ListField(
        child=serializers.DictField(),
        help_text=_("The proof fields this kind of task usually asks for."),
    )

    class Meta:
        model = Category
        fields = ["slug", "name", "min_reward_cents", "proof_template"]
        read_only_fields = fields


class ProofFieldSerializer(serializers.Serializer):
    key = serializers.CharField(
        max_length=limits.PROOF_KEY_MAX_CHARS, help_text=_("Letters, digits and underscores.")
    )
    label = serializers.CharField(max_length=limits.PROOF_LABEL_MAX_CHARS)
    kind = NamedChoiceField(component="ProofKindEnum", choices=ProofKind.choices)
    required = serializers.BooleanField(default=True)


def _countries_field(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=NamedChoiceField(component="CountryEnum", choices=COUNTRY_CODES),
        default=list,
        max_length=len(COUNTRY_CODES),
        help_text=help_text,
    )


def _task_input_field() -> serializers.DictField:
    """One task's input: column name → text (the service checks the columns)."""
    return serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=limits.TASK_INPUT_VALUE_MAX_CHARS)
    )


class CampaignSerializer(serializers.Serializer):
    """A campaign as its owner (or a moderator) sees it; also the body of create and edit.
    Its bounds are ``tasks.limits``, which the service enforces whatever the serializer says.

    ``fee_cents`` and ``cost_cents`` of a draft are a preview at today's PLATFORM_FEE_PERCENT;
    launching fixes them. ``flags`` are the automatic checks' reasons for a moderator to look
    closely: this serializer is only ever shown to the owner or a moderator.
    """

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=limits.TITLE_MAX_CHARS)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    instructions = serializers.CharField(
        max_length=limits.INSTRUCTIONS_MAX_CHARS,
        help_text=_("Plain text. {{column}} is replaced by the task's input."),
    )
    reward_cents = MoneyField(minimum=limits.REWARD_MIN_CENTS, maximum=limits.REWARD_MAX_CENTS)
    positions = serializers.IntegerField(
        min_value=limits.POSITIONS_MIN, max_value=limits.POSITIONS_MAX
    )
    max_tasks_per_worker = serializers.IntegerField(
        min_value=limits.MAX_TASKS_PER_WORKER_MIN,
        max_value=limits.MAX_TASKS_PER_WORKER_MAX,
        default=limits.MAX_TASKS_PER_WORKER_DEFAULT,
    )
    time_to_complete_minutes = serializers.IntegerField(
        min_value=limits.TIME_TO_COMPLETE_MINUTES_MIN,
        max_value=limits.TIME_TO_COMPLETE_MINUTES_MAX,
        default=limits.TIME_TO_COMPLETE_MINUTES_DEFAULT,
    )
    time_to_rate_hours = serializers.IntegerField(
        min_value=limits.TIME_TO_RATE_HOURS_MIN,
        max_value=limits.TIME_TO_RATE_HOURS_MAX,
        default=limits.TIME_TO_RATE_HOURS_DEFAULT,
    )
    countries_include = _countries_field(_("Only workers from these countries (empty: any)."))
    countries_exclude = _countries_field(_("Never workers from these countries."))
    min_success_rate = serializers.IntegerField(
        min_value=limits.MIN_SUCCESS_RATE_MIN,
        max_value=limits.MIN_SUCCESS_RATE_MAX,
        default=limits.MIN_SUCCESS_RATE_DEFAULT,
    )
    min_level = serializers.IntegerField(
        min_value=limits.MIN_LEVEL_MIN,
        max_value=limits.MIN_LEVEL_MAX,
        default=0,
        help_text=_("Only workers at this level or above (0: anyone; see /levels/)."),
    )
    ends_at = serializers.DateTimeField(allow_null=True, default=None)
    proof_fields = ProofFieldSerializer(many=True, max_length=limits.PROOF_FIELDS_MAX)
    uses_verification_code = serializers.BooleanField(default=False)
    auto_approve_code = serializers.BooleanField(
        default=False,
        help_text=_(
            "With a `verification_code` proof (each task's code in its `_code` input): work "
            "whose code matches is approved and paid at once."
        ),
    )
    qualifications = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=limits.QUALIFICATIONS_MAX,
        default=list,
        help_text=_(
            "Ids of qualification tests a worker must have passed to claim: your own or "
            "Kaaj's (GET /api/v1/qualifications/)."
        ),
    )
    groups = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=limits.CAMPAIGN_GROUPS_MAX,
        default=list,
        help_text=_(
            "Ids of your groups of workers (GET /api/v1/groups/): only their members see "
            "the campaign and may claim (a private campaign); empty for everyone."
        ),
    )
    task_inputs = serializers.ListField(
        child=_task_input_field(),
        write_only=True,
        required=False,
        max_length=settings.CAMPAIGN_CSV_MAX_ROWS,
        help_text=_(
            "Optional: one object per task (a row of your CSV); its values fill {{column}} "
            "placeholders. When given, positions must equal the number of rows, check tasks "
            "aside: a row with a value in a `_gold_<proof key>` column is a check task, and "
            "the value the answer expected (/…/ for a regular expression)."
        ),
    )
    gold_rate = serializers.IntegerField(
        min_value=limits.GOLD_RATE_MIN,
        max_value=limits.GOLD_RATE_MAX,
        default=0,
        help_text=_("Percent of a worker's claims served as check tasks (needs `_gold_` rows)."),
    )
    gold_min_accuracy = serializers.IntegerField(
        min_value=limits.GOLD_MIN_ACCURACY_MIN,
        max_value=limits.GOLD_MIN_ACCURACY_MAX,
        default=limits.GOLD_MIN_ACCURACY_DEFAULT,
        help_text=_("A worker right less often than this (percent) is stopped from the campaign."),
    )
    gold_min_answers = serializers.IntegerField(
        min_value=limits.GOLD_MIN_ANSWERS_MIN,
        max_value=limits.GOLD_MIN_ANSWERS_MAX,
        default=limits.GOLD_MIN_ANSWERS_DEFAULT,
        help_text=_("Check-task answers a worker gives before their accuracy can stop them."),
    )
    status = campaign_status_field(read_only=True)
    fee_cents = serializers.SerializerMethodField(help_text=_("Kaaj's fee per task."))
    cost_cents = serializers.SerializerMethodField(help_text=_("positions * (reward + fee)."))
    open_tasks = serializers.SerializerMethodField(
        help_text=_("Tasks nobody holds now (none before launch).")
    )
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)
    decision_reason = serializers.CharField(
        read_only=True, help_text=_("The moderator's reason, when rejected.")
    )
    created_at = serializers.DateTimeField(read_only=True)
    launched_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_fee_cents(self, campaign: Campaign) -> int:
        if campaign.status == CampaignStatus.DRAFT:
            return fee_for(campaign.reward_cents)
        return campaign.fee_cents

    def get_cost_cents(self, campaign: Campaign) -> int:
        return campaign.positions * (campaign.reward_cents + self.get_fee_cents(campaign))

    def get_open_tasks(self, campaign: Campaign) -> int:
        annotated = getattr(campaign, "open_tasks", None)
        if annotated is not None:
            return annotated
        return campaign.tasks.filter(status=TaskStatus.OPEN).count()

    def to_spec(self, campaign: Campaign | None = None) -> CampaignSpec:
        """The employer's choices: the request's values over the campaign's (for a PATCH)."""
        values = {} if campaign is None else _spec_values(campaign)
        values.update(self.validated_data)
        return CampaignSpec(
            title=values["title"],
            category=values["category"],
            instructions=values["instructions"],
            proof_fields=[dict(field) for field in values["proof_fields"]],
            reward_cents=values["reward_cents"],
            positions=values["positions"],
            max_tasks_per_worker=values.get(
                "max_tasks_per_worker", limits.MAX_TASKS_PER_WORKER_DEFAULT
            ),
            countries_include=tuple(values.get("countries_include", ())),
            countries_exclude=tuple(values.get("countries_exclude", ())),
            min_success_rate=values.get("min_success_rate", limits.MIN_SUCCESS_RATE_DEFAULT),
            min_level=values.get("min_level", 0),
            time_to_complete_minutes=values.get(
                "time_to_complete_minutes", limits.TIME_TO_COMPLETE_MINUTES_DEFAULT
            ),
            time_to_rate_hours=values.get("time_to_rate_hours", limits.TIME_TO_RATE_HOURS_DEFAULT),
            ends_at=values.get("ends_at"),
            uses_verification_code=values.get("uses_verification_code", False),
            auto_approve_code=values.get("auto_approve_code", False),
            task_inputs=tuple(values.get("task_inputs", ())),
            qualifications=tuple(values.get("qualifications", ())),
            groups=tuple(values.get("groups", ())),
            gold_rate=values.get("gold_rate", 0),
            gold_min_accuracy=values.get("gold_min_accuracy", limits.GOLD_MIN_ACCURACY_DEFAULT),
            gold_min_answers=values.get("gold_min_answers", limits.GOLD_MIN_ANSWERS_DEFAULT),
        )


def _spec_values(campaign: Campaign) -> dict:
    names = [f for f in CampaignSpec.__dataclass_fields__ if f != "category"]
    return {"category": campaign.category, **{name: getattr(campaign, name) for name in names}}


class AddPositionsSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=limits.POSITIONS_MIN, max_value=limits.POSITIONS_MAX)
    task_inputs = serializers.ListField(
        child=_task_input_field(),
        required=False,
        max_length=settings.CAMPAIGN_CSV_MAX_ROWS,
        help_text=_("Optional: one object per new task; then count must equal its length."),
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=limits.REASON_MAX_CHARS,
        allow_blank=True,
        default="",
        help_text=_("Shown to the other side."),
    )


class BulkReviewSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=limits.BULK_REVIEW_MAX,
    )
    action = serializers.ChoiceField(choices=sorted(BULK_ACTIONS))
    reason = serializers.CharField(
        max_length=limits.REASON_MAX_CHARS,
        allow_blank=True,
        default="",
        help_text=_("Required to reject or to request a revision."),
    )


class BulkReviewResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    result = serializers.CharField(
        help_text=_("`done`, or why not: `not_found`, `invalid_status`, …")
    )


class BulkReviewResponseSerializer(serializers.Serializer):
    results = BulkReviewResultSerializer(many=True)


class StatusQuerySerializer(serializers.Serializer):
    status = assignment_status_field(required=False)


class TaskSerializer(serializers.Serializer):
    """A task as its worker sees it: its input without the hidden columns (``_code``)."""

    id = serializers.IntegerField()
    input = serializers.DictField(
        source="visible_input",
        help_text=_(
            "The task's own values (a row of the CSV); columns starting with _ only for its "
            "employer."
        ),
    )


class FullTaskSerializer(TaskSerializer):
    """A task as its employer (or a moderator) sees it: every column."""

    input = serializers.DictField(
        help_text=_("The task's own values (a row of the CSV), hidden columns too.")
    )


class ScreenshotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField(source="field_key", help_text=_("The proof field's key."))
    url = serializers.SerializerMethodField(
        help_text=_("Only the worker, the campaign's employer and moderators may open it.")
    )
    content_type = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    duplicate_of = serializers.IntegerField(
        source="duplicate_of_id",
        allow_null=True,
        help_text=_("A screenshot already sent to this campaign that looks the same."),
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, shot: Screenshot) -> str:
        path = reverse("api:screenshot", args=[shot.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


def _latest(assignment) -> Submission | None:
    """The newest proof; ``submissions`` is prefetched in creation order."""
    submissions = list(assignment.submissions.all())
    return submissions[-1] if submissions else None


class AssignmentSerializer(serializers.Serializer):
    """An assignment with its latest proof. ``verification_code`` is shown to the worker
    only (null for anybody else, and when the campaign uses none)."""

    id = serializers.IntegerField()
    status = assignment_status_field()
    campaign = serializers.IntegerField(source="campaign_id")
    worker = serializers.IntegerField(source="worker_id")
    worker_name = serializers.CharField(source="worker.public_name")
    claimed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    review_due_at = serializers.DateTimeField(allow_null=True)
    answers = serializers.SerializerMethodField()
    screenshots = serializers.SerializerMethodField()
    review_reason = serializers.CharField()
    dispute_until = serializers.DateTimeField(allow_null=True)
    task = serializers.SerializerMethodField()
    verification_code = serializers.SerializerMethodField()
    check_task = serializers.SerializerMethodField(
        help_text=_(
            "Whether it is a check task (tasks with a `_gold_` answer; paid by Kaaj). Its "
            "worker learns it once the answer is decided: null while working on it."
        )
    )

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_check_task(self, assignment) -> bool | None:
        request = self.context.get("request")
        working = assignment.status in WORKING_STATUSES
        if request is not None and request.user.pk == assignment.worker_id and working:
            return None  # a check task looks like any other until it is answered
        return assignment.is_gold

    @extend_schema_field(FullTaskSerializer)
    def get_task(self, assignment) -> dict:
        """The visible columns for its worker (who must find the code, not read it); every
        column for the others who may read it at all: the campaign's employer, moderators."""
        request = self.context.get("request")
        worker = request is None or request.user.pk == assignment.worker_id
        return (TaskSerializer if worker else FullTaskSerializer)(assignment.task).data

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_answers(self, assignment) -> dict:
        latest = _latest(assignment)
        return latest.answers if latest else {}

    @extend_schema_field(ScreenshotSerializer(many=True))
    def get_screenshots(self, assignment) -> list:
        latest = _latest(assignment)
        shots = list(latest.screenshots.all()) if latest else []
        return ScreenshotSerializer(shots, many=True, context=self.context).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_verification_code(self, assignment) -> str | None:
        return _code_for(assignment, self.context.get("request"))


def _code_for(assignment, request) -> str | None:
    if request is None or request.user.pk != assignment.worker_id:
        return None
    if not assignment.campaign.uses_verification_code:
        return None
    return verification_code(
        campaign=assignment.campaign, task_id=assignment.task_id, worker_id=assignment.worker_id
    )


class ClaimSerializer(serializers.Serializer):
    """A fresh claim: the task to do and until when."""

    id = serializers.IntegerField()
    status = assignment_status_field()
    expires_at = serializers.DateTimeField()
    campaign = serializers.IntegerField(source="campaign_id")
    task = TaskSerializer()
    verification_code = serializers.SerializerMethodField(
        help_text=_("Enter it on the employer's site and in your proof; null when not used.")
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_verification_code(self, assignment) -> str | None:
        return _code_for(assignment, self.context.get("request"))


class SubmitSerializer(serializers.Serializer):
    """JSON body of a submission. Multipart: text answers and screenshot files each under
    their proof field's key instead."""

    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=limits.PROOF_ANSWER_MAX_CHARS),
        default=dict,
    )


class BonusSerializer(serializers.Serializer):
    """A bonus: the body of ``POST /api/v1/assignments/{id}/bonus/`` (``amount_cents``,
    ``reason``), and what it returns. Bounds: ``tasks.limits``, which the service holds."""

    id = serializers.IntegerField(read_only=True)
    assignment = serializers.IntegerField(source="assignment_id", read_only=True)
    worker = serializers.IntegerField(source="worker_id", read_only=True)
    amount_cents = MoneyField(minimum=limits.BONUS_MIN_CENTS, maximum=limits.BONUS_MAX_CENTS)
    fee_cents = serializers.IntegerField(
        read_only=True, help_text=_("Kaaj's fee, paid on top from your wallet.")
    )
    reason = serializers.CharField(
        max_length=limits.REASON_MAX_CHARS, help_text=_("What it is for: the worker reads it.")
    )
    created_at = serializers.DateTimeField(read_only=True)
