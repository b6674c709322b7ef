"""Campaigns: create and edit drafts, launch (escrow is funded), moderate, pause, resume, add
positions, cancel, and the clock's expiry and completion.

Locking: a campaign transition locks the campaign row first (``select_for_update``), then
tasks, then the ledger's accounts (the ledger does that itself, last, in id order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.models import User
from accounts.permissions import ensure_not_own_case
from accounts.selectors import is_suspended, pause_until
from accounts.services import audit_record
from accounts.timezones import format_time
from core.errors import DomainError, not_found
from core.money import fee_for, format_cents
from payments.services import InsufficientFunds, escrow_fund
from tasks import gold, limits, rules
from tasks.lifecycle.campaigns import campaign_history, campaign_lock, campaign_move
from tasks.lifecycle.tasks import gold_tasks_create, tasks_create, tasks_withdraw_open
from tasks.models import (
    LIVE_STATUSES,
    Campaign,
    CampaignStatus,
    Category,
    ProofKind,
    Task,
    TaskStatus,
    code_proofs,
)
from tasks.selectors import groups_of, qualifications_usable


@dataclass(frozen=True)
class CampaignSpec:
    """Everything an employer chooses about a campaign (its limits: ``tasks.limits``)."""

    title: str
    category: Category
    instructions: str
    proof_fields: list[dict]
    reward_cents: int
    positions: int
    max_tasks_per_worker: int = limits.MAX_TASKS_PER_WORKER_DEFAULT
    countries_include: tuple[str, ...] = ()
    countries_exclude: tuple[str, ...] = ()
    min_success_rate: int = limits.MIN_SUCCESS_RATE_DEFAULT
    min_level: int = 0  # workers.levels: 0 is anyone
    time_to_complete_minutes: int = limits.TIME_TO_COMPLETE_MINUTES_DEFAULT
    time_to_rate_hours: int = limits.TIME_TO_RATE_HOURS_DEFAULT
    ends_at: datetime | None = None
    uses_verification_code: bool = False
    # With a verification-code proof: a submission whose code matches is approved at once.
    auto_approve_code: bool = False
    task_inputs: tuple[dict, ...] = ()
    qualifications: tuple[int, ...] = ()  # ids of tests a worker must have passed
    groups: tuple[int, ...] = ()  # ids of the employer's groups: a private campaign
    # Check tasks (tasks.gold): rows of task_inputs with _gold_<key> answers, served at
    # gold_rate percent of claims; the stop's thresholds.
    gold_rate: int = 0
    gold_min_accuracy: int = limits.GOLD_MIN_ACCURACY_DEFAULT
    gold_min_answers: int = limits.GOLD_MIN_ANSWERS_DEFAULT


def _check(spec: CampaignSpec, employer: User) -> list[str]:
    """Hold a spec to every limit of ``tasks.limits``: raise one DomainError for all the
    problems found (the first one's ``code``, ``message`` and ``field``; every field's
    messages in ``errors``, so a page shows them all at once); return the moderator flags.
    The page's form and the API's serializer repeat some of these checks for a message next
    to the field; this one decides."""
    found: list[DomainError] = []

    def check(rule, *args, **kwargs) -> None:
        try:
            rule(*args, **kwargs)
        except DomainError as error:
            found.append(error)

    check(_check_texts, spec)
    check(reward_check, category=spec.category, reward_cents=spec.reward_cents)
    for name, (low, high) in limits.NUMBERS.items():
        check(_check_bounds, name, getattr(spec, name), low, high)
    check(_check_ends_at, spec.ends_at)
    check(_check_countries, spec)
    check(_check_proof_fields, spec.proof_fields)
    check(_check_task_inputs, spec.task_inputs, instructions=spec.instructions)
    check(_check_codes, spec)
    check(_check_gold, spec.task_inputs, spec.proof_fields, rate=spec.gold_rate)
    check(_check_rows_are_positions, spec)
    check(_check_allowed, spec)
    check(_check_qualifications, spec.qualifications, employer=employer)
    check(_check_groups, spec.groups, employer=employer)
    if found:
        raise _all_of(found)
    return rules.flags(spec.title, spec.instructions)


def _all_of(found: list[DomainError]) -> DomainError:
    """One error for several: the first speaks for them all, ``errors`` lists each field's."""
    if len(found) == 1:
        return found[0]
    errors: dict[str, list[str]] = {}
    for error in found:
        for field, texts in (error.errors or {"": [error.message]}).items():
            errors.setdefault(field, []).extend(texts)
    first = found[0]
    return DomainError(first.code, first.message, field=first.field, errors=errors)


def _check_ends_at(ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= timezone.now():
        raise DomainError("invalid", _("The end date must be in the future."), field="ends_at")


def _check_rows_are_positions(spec: CampaignSpec) -> None:
    if spec.task_inputs and len(gold.positions_and_checks(spec.task_inputs)[0]) != spec.positions:
        raise DomainError(
            "invalid",
            _(
                "Each row of the file is one task: positions must equal the number of rows "
                "(check tasks aside)."
            ),
            field="positions",
        )


def _check_gold(
    rows: Sequence[dict], proof_fields: list[dict], *, rate: int, adding: bool = False
) -> None:
    """Check tasks (``tasks.gold``): each ``_gold_<key>`` column names a text or link proof,
    each expected answer is usable, at least one row stays a position, and a rate is set
    exactly when there are check tasks to serve (``adding``: rows added to a live campaign,
    which may have none)."""
    columns = set(rows[0]) if rows and isinstance(rows[0], dict) else set()
    kinds = {f.get("key"): f.get("kind") for f in proof_fields}
    for column in sorted(columns):
        key = gold.gold_key(column)
        if key is not None and kinds.get(key) not in gold.GOLD_KINDS:
            raise DomainError(
                "invalid",
                _("%(column)s names no text or link proof: check tasks compare those.")
                % {"column": column},
                field="task_inputs",
            )
    positions, checks = gold.positions_and_checks(rows)
    for row in checks:
        for value in gold.expected(row).values():
            problem = gold.value_problem(value)
            if problem:
                raise DomainError("invalid", problem, field="task_inputs")
    if checks and not positions:
        raise DomainError(
            "invalid",
            _("Check tasks are mixed among paid ones: the file needs rows that are not."),
            field="task_inputs",
        )
    if rate and not checks and not adding:
        raise DomainError(
            "invalid",
            _("Check tasks need rows with expected answers (_gold_ columns) in the file."),
            field="gold_rate",
        )
    if checks and not rate:
        raise DomainError(
            "invalid",
            _("The file has check tasks: say how often they are served."),
            field="gold_rate",
        )


def _check_qualifications(ids: Sequence[int], *, employer: User) -> None:
    """A campaign requires the employer's own tests or the platform's, open ones only."""
    wanted = set(ids)
    if len(wanted) > limits.QUALIFICATIONS_MAX:
        raise DomainError(
            "invalid",
            _("A campaign requires at most %(n)s tests.") % {"n": limits.QUALIFICATIONS_MAX},
            field="qualifications",
        )
    if wanted - set(qualifications_usable(employer).values_list("pk", flat=True)):
        raise DomainError(
            "invalid",
            _("Choose among your own open tests and Kaaj's."),
            field="qualifications",
        )


def _check_groups(ids: Sequence[int], *, employer: User) -> None:
    """A private campaign is open to some of the employer's own groups, each with workers
    in it (an empty one would let nobody work)."""
    wanted = set(ids)
    if len(wanted) > limits.CAMPAIGN_GROUPS_MAX:
        raise DomainError(
            "invalid",
            _("A campaign is open to at most %(n)s groups.") % {"n": limits.CAMPAIGN_GROUPS_MAX},
            field="groups",
        )
    if not wanted:
        return
    groups = groups_of(employer).filter(pk__in=wanted)
    if len(groups) != len(wanted):
        raise DomainError("invalid", _("Choose among your own groups."), field="groups")
    empty = [group.name for group in groups if not group.member_count]
    if empty:
        raise DomainError(
            "invalid",
            _("%(name)s has no workers yet: add some first.") % {"name": empty[0]},
            field="groups",
        )


def _check_allowed(spec: CampaignSpec) -> None:
    refused = rules.refusals(spec.title, spec.instructions)
    if refused:
        raise DomainError("not_allowed", refused[0], field="instructions")


def _check_bounds(field: str, value: int, low: int, high: int) -> None:
    """Django's own messages, the ones the form's and serializer's fields show."""
    try:
        MinValueValidator(low)(value)
        MaxValueValidator(high)(value)
    except ValidationError as error:
        raise DomainError("invalid", error.messages[0], field=field) from None


def _check_texts(spec: CampaignSpec) -> None:
    texts = (
        ("title", spec.title, limits.TITLE_MAX_CHARS),
        ("instructions", spec.instructions, limits.INSTRUCTIONS_MAX_CHARS),
    )
    for field, text, most in texts:
        if not text.strip():
            raise DomainError("invalid", _("This field is required."), field=field)
        try:
            MaxLengthValidator(most)(text.strip())
        except ValidationError as error:
            raise DomainError("invalid", error.messages[0], field=field) from None


def reward_check(*, category: Category, reward_cents: int) -> None:
    """The reward rule: at least the category's minimum, at most what the column holds.
    Raises DomainError (``field="reward_cents"``). The campaign page's form and its cost
    preview ask this too, so the minimum shows while the employer types."""
    least = max(category.min_reward_cents, limits.REWARD_MIN_CENTS)
    if reward_cents < least:
        raise DomainError(
            "reward_too_small",
            _("The smallest reward for %(category)s is %(minimum)s.")
            % {"category": category.display_name, "minimum": format_cents(least)},
            field="reward_cents",
        )
    if reward_cents > limits.REWARD_MAX_CENTS:
        raise DomainError(
            "invalid",
            _("At most %(amount)s.") % {"amount": format_cents(limits.REWARD_MAX_CENTS)},
            field="reward_cents",
        )


def _check_countries(spec: CampaignSpec) -> None:
    known = dict(countries)
    for field in ("countries_include", "countries_exclude"):
        unknown = [code for code in getattr(spec, field) if code not in known]
        if unknown:
            raise DomainError(
                "invalid",
                _("Not a country code: %(codes)s. Use two letters, such as BD or IN.")
                % {"codes": ", ".join(map(str, unknown))},
                field=field,
            )
    if set(spec.countries_include) & set(spec.countries_exclude):
        raise DomainError(
            "invalid",
            _("A country cannot be both included and excluded."),
            field="countries_exclude",
        )


def _check_proof_fields(fields: list[dict]) -> None:
    keys = [f.get("key") for f in fields]
    screenshots = [f for f in fields if f.get("kind") == ProofKind.SCREENSHOT]
    if not fields:
        raise DomainError("invalid", _("Ask for at least one proof."), field="proof_fields")
    if len(fields) > limits.PROOF_FIELDS_MAX:
        raise DomainError(
            "invalid",
            _("Ask for at most %(n)s proofs.") % {"n": limits.PROOF_FIELDS_MAX},
            field="proof_fields",
        )
    if len(set(keys)) != len(keys) or not all(
        isinstance(k, str) and k.isidentifier() and len(k) <= limits.PROOF_KEY_MAX_CHARS
        for k in keys
    ):
        raise DomainError(
            "invalid",
            _("Each proof needs its own short key (letters, digits, underscores)."),
            field="proof_fields",
        )
    if any(
        f.get("kind") not in ProofKind.values or not str(f.get("label", "")).strip() for f in fields
    ):
        raise DomainError(
            "invalid",
            _("Each proof needs a label and a kind: text, link, screenshot or verification code."),
            field="proof_fields",
        )
    if any(len(str(f["label"]).strip()) > limits.PROOF_LABEL_MAX_CHARS for f in fields):
        raise DomainError(
            "invalid",
            _("Say what to send in at most %(n)s characters.")
            % {"n": limits.PROOF_LABEL_MAX_CHARS},
            field="proof_fields",
        )
    if len(screenshots) > settings.SCREENSHOTS_PER_SUBMISSION:
        raise DomainError(
            "invalid",
            _("Ask for at most %(n)s screenshots.") % {"n": settings.SCREENSHOTS_PER_SUBMISSION},
            field="proof_fields",
        )


def _check_codes(spec: CampaignSpec) -> None:
    """A verification-code proof (one at most) needs each task's code: the task file's
    ``_code`` column, filled on every row. Approving by code needs such a proof."""
    codes = code_proofs(spec.proof_fields)
    if len(codes) > 1:
        raise DomainError(
            "invalid", _("Ask for one verification code at most."), field="proof_fields"
        )
    if codes:
        _check_code_column(spec.task_inputs)
    elif spec.auto_approve_code:
        raise DomainError(
            "invalid",
            _("Approving by code needs a verification code among the proofs."),
            field="auto_approve_code",
        )


def _check_code_column(rows: Sequence[dict]) -> None:
    if not rows or any(not str(row.get(limits.CODE_COLUMN, "")).strip() for row in rows):
        raise DomainError(
            "invalid",
            _(
                "A verification code proof needs the code of every task: a %(column)s column "
                "in the task file, filled on every row (the code each task's page shows)."
            )
            % {"column": limits.CODE_COLUMN},
            field="task_inputs",
        )


def _check_task_inputs(rows: Sequence[dict], *, instructions: str) -> None:
    """Rows of task inputs, as a CSV file has them: at most CAMPAIGN_CSV_MAX_ROWS, every row
    with the same named columns, short text values; and every ``{{column}}`` placeholder of
    the instructions names one of the columns, never a hidden one (``_code``)."""
    hidden = sorted(
        name
        for name in limits.placeholders(instructions)
        if name.startswith(limits.HIDDEN_COLUMN_PREFIX)
    )
    if hidden:
        raise DomainError(
            "invalid",
            _("Columns starting with _ are never shown to workers: remove {{%(column)s}}.")
            % {"column": hidden[0]},
            field="instructions",
        )
    if len(rows) > settings.CAMPAIGN_CSV_MAX_ROWS:
        raise DomainError(
            "invalid",
            _("The file has more than %(n)s rows.") % {"n": settings.CAMPAIGN_CSV_MAX_ROWS},
            field="task_inputs",
        )
    if not rows:
        return
    columns = set(rows[0]) if isinstance(rows[0], dict) else set()
    if (
        not columns
        or len(columns) > limits.TASK_INPUT_COLUMNS_MAX
        or not all(
            isinstance(name, str) and 0 < len(name.strip()) <= limits.TASK_INPUT_COLUMN_MAX_CHARS
            for name in columns
        )
        or any(not isinstance(row, dict) or set(row) != columns for row in rows)
    ):
        raise DomainError(
            "invalid",
            _(
                "Every row needs the same named columns as the first: at most %(columns)s, "
                "each name at most %(chars)s characters."
            )
            % {
                "columns": limits.TASK_INPUT_COLUMNS_MAX,
                "chars": limits.TASK_INPUT_COLUMN_MAX_CHARS,
            },
            field="task_inputs",
        )
    if any(
        not isinstance(value, str) or len(value) > limits.TASK_INPUT_VALUE_MAX_CHARS
        for row in rows
        for value in row.values()
    ):
        raise DomainError(
            "invalid",
            _("A value of the task inputs may have at most %(n)s characters.")
            % {"n": limits.TASK_INPUT_VALUE_MAX_CHARS},
            field="task_inputs",
        )
    missing = sorted(limits.placeholders(instructions) - columns)
    if missing:
        raise DomainError(
            "invalid",
            _("The file has no column named %(names)s.") % {"names": ", ".join(missing)},
            field="instructions",
        )


def _check_more_positions(campaign: Campaign, count: int, task_inputs: list[dict] | None) -> None:
    """What ``campaign_add_positions`` may add: as many positions as one launch, and task
    inputs held to the same rules as a draft's."""
    _check_bounds("count", count, limits.POSITIONS_MIN, limits.POSITIONS_MAX)
    if campaign.asks_for_code:
        _check_code_column(task_inputs or ())
    if task_inputs:
        if len(gold.positions_and_checks(task_inputs)[0]) != count:
            raise DomainError(
                "invalid",
                _(
                    "Each row of the file is one task: positions must equal the number of "
                    "rows (check tasks aside)."
                ),
                field="count",
            )
        _check_task_inputs(task_inputs, instructions=campaign.instructions)
        _check_gold(task_inputs, campaign.proof_fields, rate=campaign.gold_rate, adding=True)


def _fields(spec: CampaignSpec) -> dict:
    return {
        "title": spec.title.strip(),
        "category": spec.category,
        "instructions": spec.instructions.strip(),
        "proof_fields": [
            {
                "key": f["key"],
                "label": str(f["label"]).strip(),
                "kind": f["kind"],
                "required": bool(f.get("required", True)),
            }
            for f in spec.proof_fields
        ],
        "reward_cents": spec.reward_cents,
        "positions": spec.positions,
        "max_tasks_per_worker": spec.max_tasks_per_worker,
        "countries_include": sorted(set(spec.countries_include)),
        "countries_exclude": sorted(set(spec.countries_exclude)),
        "min_success_rate": spec.min_success_rate,
        "min_level": spec.min_level,
        "time_to_complete_minutes": spec.time_to_complete_minutes,
        "time_to_rate_hours": spec.time_to_rate_hours,
        "ends_at": spec.ends_at,
        "uses_verification_code": spec.uses_verification_code,
        "auto_approve_code": spec.auto_approve_code,
        "task_inputs": list(spec.task_inputs),
        "qualifications": sorted(set(spec.qualifications)),
        "groups": sorted(set(spec.groups)),
        "gold_rate": spec.gold_rate,
        "gold_min_accuracy": spec.gold_min_accuracy,
        "gold_min_answers": spec.gold_min_answers,
        "fee_cents": fee_for(spec.reward_cents),
    }


def campaign_create(*, employer: User, spec: CampaignSpec) -> Campaign:
    """A new draft. Raises DomainError (nothing saved)."""
    flags = _check(spec, employer)
    campaign = Campaign.objects.create(employer=employer, flags=flags, **_fields(spec))
    campaign_history(campaign, "", CampaignStatus.DRAFT, by=employer)
    return campaign


def campaign_update(*, campaign: Campaign, spec: CampaignSpec, by: User) -> Campaign:
    """Replace a draft's choices. Only the owner, only while it is a draft."""
    _require_owner(campaign, by)
    flags = _check(spec, by)
    with transaction.atomic():
        locked = campaign_lock(campaign)
        if locked.status != CampaignStatus.DRAFT:
            raise DomainError("not_draft", _("Only a draft can be edited."), status=409)
        for name, value in _fields(spec).items():
            setattr(locked, name, value)
        locked.flags, locked.updated_at = flags, timezone.now()
        locked.save()
    return locked


def campaign_launch(*, campaign: Campaign, by: User) -> Campaign:
    """Draft → in review: fix the fee, fund positions * (reward + fee) from the employer's
    wallet into the campaign's escrow, and create the tasks — one transaction.

    Raises DomainError ``insufficient_funds`` (nothing changes), ``invalid_status``,
    ``account_suspended`` or ``launch_paused`` (a pause of the ladder before sanctions stands:
    ``workers.sanctions``; running campaigns are not touched).
    """
    _require_owner(campaign, by)
    _require_not_suspended(by)
    _require_launch_not_paused(by)
    with transaction.atomic():
        locked = campaign_lock(campaign)
        fee = fee_for(locked.reward_cents)
        cost = locked.positions * (locked.reward_cents + fee)
        try:
            escrow_fund(
                campaign_id=locked.pk,
                employer=locked.employer,
                amount_cents=cost,
                event="launch",
                by=by,
            )
        except InsufficientFunds as error:
            raise DomainError(
                "insufficient_funds",
                _("Launching costs %(cost)s; your wallet has %(available)s. Add money first.")
                % {"cost": format_cents(cost), "available": format_cents(error.available)},
                status=409,
            ) from error
        inputs = locked.task_inputs
        locked = campaign_move(
            locked,
            CampaignStatus.IN_REVIEW,
            by=by,
            expected=CampaignStatus.DRAFT,
            fee_cents=fee,
            launched_at=timezone.now(),
            task_inputs=[],
        )
        positions, checks = gold.positions_and_checks(inputs)
        tasks_create(locked, first=1, count=locked.positions, inputs=positions)
        gold_tasks_create(locked, rows=checks)
    return locked


def campaign_moderate(*, campaign: Campaign, by: User, approve: bool, reason: str = "") -> Campaign:
    """A moderator's decision on a campaign in review: active, or rejected with a reason
    (then every task is withdrawn and the whole escrow goes back to the employer). Recorded
    in the audit log. Raises DomainError, or OwnCase for the moderator's own campaign (four
    eyes)."""
    if not by.is_moderator:
        raise DomainError("permission_denied", _("Only moderators review campaigns."), status=403)
    _require_not_own(campaign, by)
    reason = reason.strip()
    if not approve and not reason:
        raise DomainError("reason_required", _("Say why the campaign is rejected."), field="reason")
    if approve and is_suspended(campaign.employer_id):
        raise DomainError(
            "employer_suspended",
            _("The employer's account is suspended: reject the campaign or reinstate them first."),
            status=409,
        )
    with transaction.atomic():
        locked = campaign_move(
            campaign_lock(campaign),
            CampaignStatus.ACTIVE if approve else CampaignStatus.REJECTED,
            by=by,
            note=reason,
            expected=CampaignStatus.IN_REVIEW,
            decision_reason=reason,
        )
        audit_record(
            actor=by,
            action="campaign.approve" if approve else "campaign.reject",
            target=locked,
            reason=reason,
        )
        if not approve:
            tasks_withdraw_open(locked, event="rejected")
    return locked


def campaign_pause(*, campaign: Campaign, by: User, as_moderator: bool = False) -> Campaign:
    """Active → paused, by its owner; or by a moderator with ``as_moderator`` (a suspension
    pauses the employer's campaigns; the event records the moderator as the actor; never the
    moderator's own: OwnCase)."""
    if as_moderator:
        if not by.is_moderator:
            raise DomainError(
                "permission_denied", _("Only moderators pause others' campaigns."), status=403
            )
        _require_not_own(campaign, by)
    else:
        _require_owner(campaign, by)
    with transaction.atomic():
        return campaign_move(
            campaign_lock(campaign), CampaignStatus.PAUSED, by=by, expected=CampaignStatus.ACTIVE
        )


def campaign_resume(*, campaign: Campaign, by: User) -> Campaign:
    """Paused → active, by its owner (not while their account is suspended)."""
    _require_owner(campaign, by)
    _require_not_suspended(by)
    with transaction.atomic():
        return campaign_move(
            campaign_lock(campaign), CampaignStatus.ACTIVE, by=by, expected=CampaignStatus.PAUSED
        )


def campaign_add_positions(
    *, campaign: Campaign, by: User, count: int, task_inputs: list[dict] | None = None
) -> Campaign:
    """More tasks for a live campaign, funded from the wallet at the campaign's price."""
    _require_owner(campaign, by)
    _check_more_positions(campaign, count, task_inputs)
    with transaction.atomic():
        locked = campaign_lock(campaign)
        if locked.status not in LIVE_STATUSES:
            raise DomainError(
                "not_live", _("Positions can only be added to a live campaign."), status=409
            )
        first = locked.positions + 1
        try:
            escrow_fund(
                campaign_id=locked.pk,
                employer=locked.employer,
                amount_cents=count * locked.cost_per_task_cents,
                event=f"positions:{first}",
                by=by,
            )
        except InsufficientFunds as error:
            raise DomainError(
                "insufficient_funds",
                _("%(n)s more positions cost %(cost)s; your wallet has %(available)s.")
                % {
                    "n": count,
                    "cost": format_cents(count * locked.cost_per_task_cents),
                    "available": format_cents(error.available),
                },
                status=409,
                field="count",
            ) from error
        positions, checks = gold.positions_and_checks(task_inputs or [])
        tasks_create(locked, first=first, count=count, inputs=positions)
        gold_tasks_create(locked, rows=checks)
        locked.positions += count
        locked.updated_at = timezone.now()
        locked.save(update_fields=["positions", "updated_at"])
        campaign_history(locked, locked.status, locked.status, by=by, note=f"+{count} positions")
    return locked


def campaign_cancel(*, campaign: Campaign, by: User) -> Campaign:
    """Stop a campaign: open tasks are withdrawn and their money refunded now; tasks
    already claimed or submitted run their course (and are refunded if not paid)."""
    _require_owner(campaign, by)
    with transaction.atomic():
        locked = campaign_move(campaign_lock(campaign), CampaignStatus.CANCELLED, by=by)
        if locked.launched_at is not None:
            tasks_withdraw_open(locked, event="cancel")
    return locked


def campaigns_expire_due(*, now: datetime | None = None, batch: int = 100) -> int:
    """The clock: live campaigns past ``ends_at`` expire; their open tasks are refunded."""
    now = now or timezone.now()
    running = (CampaignStatus.ACTIVE, CampaignStatus.PAUSED)
    ids = list(
        Campaign.objects.filter(status__in=running, ends_at__lt=now).values_list("pk", flat=True)[
            :batch
        ]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            locked = campaign_lock(pk, skip_locked=True)
            if locked is None or locked.status not in running:
                continue
            campaign_move(locked, CampaignStatus.EXPIRED, by=None)
            tasks_withdraw_open(locked, event="expire")
            done += 1
    return done


def campaigns_complete_due(*, batch: int = 100) -> int:
    """The clock: live campaigns whose every task is paid are completed (check tasks are
    never paid for: they do not keep a campaign open)."""
    running = (CampaignStatus.ACTIVE, CampaignStatus.PAUSED)
    done_with = (TaskStatus.PAID, TaskStatus.GOLD)
    unpaid = Task.objects.filter(campaign=OuterRef("pk")).exclude(status__in=done_with)
    ids = list(
        Campaign.objects.filter(status__in=running)
        .filter(~Exists(unpaid))
        .values_list("pk", flat=True)[:batch]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            locked = campaign_lock(pk, skip_locked=True)
            if (
                locked is None
                or locked.status not in running
                or Task.objects.filter(campaign=locked).exclude(status__in=done_with).exists()
            ):
                continue
            campaign_move(locked, CampaignStatus.COMPLETED, by=None)
            done += 1
    return done


# --- helpers ---------------------------------------------------------------------------


def _require_owner(campaign: Campaign, by: User) -> None:
    """Only its employer manages a campaign; to anybody else it does not exist (404)."""
    if campaign.employer_id != by.pk:
        raise not_found()


def _require_not_own(campaign: Campaign, by: User) -> None:
    """Four eyes: a moderator never moderates their own campaign."""
    ensure_not_own_case(
        actor=by,
        parties=[campaign.employer_id],
        message=_("You cannot moderate your own campaign: another moderator must do it."),
    )


def _require_launch_not_paused(by: User) -> None:
    until = pause_until(by, side="employer")
    if until is not None:
        raise DomainError(
            "launch_paused",
            _(
                "You cannot launch new campaigns until %(until)s: you rejected far more work "
                "than other employers, after a warning. Your running campaigns go on and no "
                "money is taken. See why, and appeal, at %(url)s"
            )
            % {"until": format_time(until), "url": reverse("workers:warnings")},
            status=403,
        )


def _require_not_suspended(by: User) -> None:
    if is_suspended(by):
        raise DomainError(
            "account_suspended",
            _("Your account is suspended: you cannot launch or resume campaigns."),
            status=403,
        )
