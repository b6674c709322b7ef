"""Campaigns: create and edit drafts, launch (escrow is funded), moderate, pause, resume, add
positions, cancel, and the clock's expiry and completion.

Locking: a campaign transition locks the campaign row first (``select_for_update``), then
tasks, then the ledger's accounts (the ledger does that itself, last, in id order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import ensure_not_own_case
from core.money import fee_for, format_cents
from notifications import events as notifications
from payments.services import InsufficientFunds, escrow_fund, escrow_refund
from tasks import rules
from tasks.models import (
    CAMPAIGN_TRANSITIONS,
    Campaign,
    CampaignEvent,
    CampaignStatus,
    Category,
    ProofKind,
    Task,
    TaskStatus,
)
from webhooks.payloads import campaign_data
from webhooks.services import webhook_emit


class CampaignError(Exception):
    """A campaign change refused. ``code`` is stable (the API's); ``message`` for people;
    ``field`` names the form field it is about, if any."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, str(message), field


@dataclass(frozen=True)
class CampaignSpec:
    """Everything an employer chooses about a campaign."""

    title: str
    category: Category
    instructions: str
    proof_fields: list[dict]
    reward_cents: int
    positions: int
    max_tasks_per_worker: int = 1
    countries_include: tuple[str, ...] = ()
    countries_exclude: tuple[str, ...] = ()
    min_success_rate: int = 0
    time_to_complete_minutes: int = 60
    time_to_rate_hours: int = 72
    ends_at: datetime | None = None
    uses_verification_code: bool = False
    task_inputs: tuple[dict, ...] = ()


def _check(spec: CampaignSpec) -> list[str]:
    """Raise CampaignError for the first problem; return the moderator flags."""
    if spec.reward_cents < spec.category.min_reward_cents:
        raise CampaignError(
            "reward_too_small",
            _("The smallest reward for %(category)s is %(minimum)s.")
            % {
                "category": spec.category.display_name,
                "minimum": format_cents(spec.category.min_reward_cents),
            },
            "reward_cents",
        )
    if spec.positions < 1:
        raise CampaignError("invalid", _("A campaign needs at least one position."), "positions")
    if spec.task_inputs and len(spec.task_inputs) != spec.positions:
        raise CampaignError(
            "invalid",
            _("Each row of the file is one task: positions must equal the number of rows."),
            "positions",
        )
    if len(spec.task_inputs) > settings.CAMPAIGN_CSV_MAX_ROWS:
        raise CampaignError(
            "invalid",
            _("The file has more than %(n)s rows.") % {"n": settings.CAMPAIGN_CSV_MAX_ROWS},
            "task_inputs",
        )
    if spec.ends_at is not None and spec.ends_at <= timezone.now():
        raise CampaignError("invalid", _("The end date must be in the future."), "ends_at")
    overlap = set(spec.countries_include) & set(spec.countries_exclude)
    if overlap:
        raise CampaignError(
            "invalid", _("A country cannot be both included and excluded."), "countries_exclude"
        )
    _check_proof_fields(spec.proof_fields)
    refused = rules.refusals(spec.title, spec.instructions)
    if refused:
        raise CampaignError("not_allowed", refused[0], "instructions")
    return rules.flags(spec.title, spec.instructions)


def _check_proof_fields(fields: list[dict]) -> None:
    keys = [f.get("key") for f in fields]
    screenshots = [f for f in fields if f.get("kind") == ProofKind.SCREENSHOT]
    if not fields:
        raise CampaignError("invalid", _("Ask for at least one proof."), "proof_fields")
    if len(set(keys)) != len(keys) or not all(
        isinstance(k, str) and k.isidentifier() for k in keys
    ):
        raise CampaignError(
            "invalid",
            _("Each proof needs its own short key (letters, digits, underscores)."),
            "proof_fields",
        )
    if any(
        f.get("kind") not in ProofKind.values or not str(f.get("label", "")).strip() for f in fields
    ):
        raise CampaignError(
            "invalid",
            _("Each proof needs a label and a kind: text, link or screenshot."),
            "proof_fields",
        )
    if len(screenshots) > settings.SCREENSHOTS_PER_SUBMISSION:
        raise CampaignError(
            "invalid",
            _("Ask for at most %(n)s screenshots.") % {"n": settings.SCREENSHOTS_PER_SUBMISSION},
            "proof_fields",
        )


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
        "time_to_complete_minutes": spec.time_to_complete_minutes,
        "time_to_rate_hours": spec.time_to_rate_hours,
        "ends_at": spec.ends_at,
        "uses_verification_code": spec.uses_verification_code,
        "task_inputs": list(spec.task_inputs),
        "fee_cents": fee_for(spec.reward_cents),
    }


def campaign_create(*, employer: User, spec: CampaignSpec) -> Campaign:
    """A new draft. Raises CampaignError (nothing saved)."""
    flags = _check(spec)
    campaign = Campaign.objects.create(employer=employer, flags=flags, **_fields(spec))
    _event(campaign, "", CampaignStatus.DRAFT, by=employer)
    return campaign


def campaign_update(*, campaign: Campaign, spec: CampaignSpec, by: User) -> Campaign:
    """Replace a draft's choices. Only the owner, only while it is a draft."""
    _require_owner(campaign, by)
    flags = _check(spec)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.DRAFT:
            raise CampaignError("not_draft", _("Only a draft can be edited."))
        for name, value in _fields(spec).items():
            setattr(locked, name, value)
        locked.flags, locked.updated_at = flags, timezone.now()
        locked.save()
    return locked


def campaign_launch(*, campaign: Campaign, by: User) -> Campaign:
    """Draft → in review: fix the fee, fund positions * (reward + fee) from the employer's
    wallet into the campaign's escrow, and create the tasks — one transaction.

    Raises CampaignError ``insufficient_funds`` (nothing changes), ``not_draft`` or
    ``account_suspended``.
    """
    _require_owner(campaign, by)
    _require_not_suspended(by)
    with transaction.atomic():
        locked = _transition(campaign, CampaignStatus.IN_REVIEW, by=by)
        locked.fee_cents = fee_for(locked.reward_cents)
        try:
            escrow_fund(
                campaign_id=locked.pk,
                employer=locked.employer,
                amount_cents=locked.cost_cents,
                event="launch",
                by=by,
            )
        except InsufficientFunds as error:
            raise CampaignError(
                "insufficient_funds",
                _("Launching costs %(cost)s; your wallet has %(available)s. Add money first.")
                % {
                    "cost": format_cents(locked.cost_cents),
                    "available": format_cents(error.available),
                },
            ) from error
        _tasks_create(locked, first=1, count=locked.positions, inputs=locked.task_inputs)
        locked.launched_at = timezone.now()
        locked.task_inputs = []
        locked.save(
            update_fields=["status", "fee_cents", "launched_at", "task_inputs", "updated_at"]
        )
    return locked


def campaign_moderate(*, campaign: Campaign, by: User, approve: bool, reason: str = "") -> Campaign:
    """A moderator's decision on a campaign in review: active, or rejected with a reason
    (then every task is withdrawn and the whole escrow goes back to the employer). Raises
    CampaignError, or OwnCase for the moderator's own campaign (four eyes)."""
    if not by.is_moderator:
        raise CampaignError("permission_denied", _("Only moderators review campaigns."))
    _require_not_own(campaign, by)
    if not approve and not reason.strip():
        raise CampaignError("reason_required", _("Say why the campaign is rejected."), "reason")
    from moderation.selectors import is_suspended
    from moderation.services import audit_record

    if approve and is_suspended(campaign.employer_id):
        raise CampaignError(
            "employer_suspended",
            _("The employer's account is suspended: reject the campaign or reinstate them first."),
        )
    with transaction.atomic():
        target = CampaignStatus.ACTIVE if approve else CampaignStatus.REJECTED
        locked = _transition(
            campaign, target, by=by, note=reason.strip(), expected=CampaignStatus.IN_REVIEW
        )
        locked.decision_reason = reason.strip()
        locked.save(update_fields=["status", "decision_reason", "updated_at"])
        audit_record(
            actor=by,
            action="campaign.approve" if approve else "campaign.reject",
            target=locked,
            reason=reason.strip(),
        )
        if not approve:
            _withdraw_open_tasks(locked, event="rejected")
        notifications.campaign_moderated(campaign=locked, approved=approve, reason=reason.strip())
        webhook_emit(
            employer=locked.employer_id,
            event="campaign.approved" if approve else "campaign.rejected",
            data=campaign_data(locked),
        )
    return locked


def campaign_pause(*, campaign: Campaign, by: User, as_moderator: bool = False) -> Campaign:
    """Active → paused, by its owner; or by a moderator with ``as_moderator`` (a suspension
    pauses the employer's campaigns; the event records the moderator as the actor; never the
    moderator's own: OwnCase)."""
    if as_moderator:
        if not by.is_moderator:
            raise CampaignError("permission_denied", _("Only moderators pause others' campaigns."))
        _require_not_own(campaign, by)
    else:
        _require_owner(campaign, by)
    with transaction.atomic():
        locked = _transition(campaign, CampaignStatus.PAUSED, by=by, expected=CampaignStatus.ACTIVE)
        locked.save(update_fields=["status", "updated_at"])
    return locked


def campaign_resume(*, campaign: Campaign, by: User) -> Campaign:
    _require_owner(campaign, by)
    _require_not_suspended(by)
    with transaction.atomic():
        locked = _transition(campaign, CampaignStatus.ACTIVE, by=by, expected=CampaignStatus.PAUSED)
        locked.save(update_fields=["status", "updated_at"])
    return locked


def campaign_add_positions(
    *, campaign: Campaign, by: User, count: int, task_inputs: list[dict] | None = None
) -> Campaign:
    """More tasks for a live campaign, funded from the wallet at the campaign's price."""
    _require_owner(campaign, by)
    if count < 1 or (task_inputs and len(task_inputs) != count):
        raise CampaignError("invalid", _("Add at least one position."), "count")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in (
            CampaignStatus.IN_REVIEW,
            CampaignStatus.ACTIVE,
            CampaignStatus.PAUSED,
        ):
            raise CampaignError("not_live", _("Positions can only be added to a live campaign."))
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
            raise CampaignError(
                "insufficient_funds",
                _("%(n)s more positions cost %(cost)s; your wallet has %(available)s.")
                % {
                    "n": count,
                    "cost": format_cents(count * locked.cost_per_task_cents),
                    "available": format_cents(error.available),
                },
                "count",
            ) from error
        _tasks_create(locked, first=first, count=count, inputs=task_inputs or [])
        locked.positions += count
        locked.updated_at = timezone.now()
        locked.save(update_fields=["positions", "updated_at"])
        _event(locked, locked.status, locked.status, by=by, note=f"+{count} positions")
    return locked


def campaign_cancel(*, campaign: Campaign, by: User) -> Campaign:
    """Stop a campaign: open tasks are withdrawn and their money refunded now; tasks
    already claimed or submitted run their course (and are refunded if not paid)."""
    _require_owner(campaign, by)
    with transaction.atomic():
        locked = _transition(campaign, CampaignStatus.CANCELLED, by=by)
        locked.save(update_fields=["status", "updated_at"])
        if locked.launched_at is not None:
            _withdraw_open_tasks(locked, event="cancel")
    return locked


def campaigns_expire_due(*, now: datetime | None = None, batch: int = 100) -> int:
    """The clock: live campaigns past ``ends_at`` expire; their open tasks are refunded."""
    now = now or timezone.now()
    ids = list(
        Campaign.objects.filter(
            status__in=(CampaignStatus.ACTIVE, CampaignStatus.PAUSED),
            ends_at__lt=now,
        ).values_list("pk", flat=True)[:batch]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if locked is None or locked.status not in (
                CampaignStatus.ACTIVE,
                CampaignStatus.PAUSED,
            ):
                continue
            locked = _transition(locked, CampaignStatus.EXPIRED, by=None, locked=locked)
            locked.save(update_fields=["status", "updated_at"])
            _withdraw_open_tasks(locked, event="expire")
            webhook_emit(
                employer=locked.employer_id, event="campaign.expired", data=campaign_data(locked)
            )
            done += 1
    return done


def campaigns_complete_due(*, batch: int = 100) -> int:
    """The clock: live campaigns whose every task is paid are completed."""
    from django.db.models import Exists, OuterRef

    unpaid = Task.objects.filter(campaign=OuterRef("pk")).exclude(status=TaskStatus.PAID)
    ids = list(
        Campaign.objects.filter(
            status__in=(CampaignStatus.ACTIVE, CampaignStatus.PAUSED),
        )
        .filter(~Exists(unpaid))
        .values_list("pk", flat=True)[:batch]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if (
                locked is None
                or Task.objects.filter(campaign=locked).exclude(status=TaskStatus.PAID).exists()
            ):
                continue
            if locked.status in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
                _transition(locked, CampaignStatus.COMPLETED, by=None, locked=locked).save(
                    update_fields=["status", "updated_at"]
                )
                webhook_emit(
                    employer=locked.employer_id,
                    event="campaign.completed",
                    data=campaign_data(locked),
                )
                done += 1
    return done


# --- helpers ---------------------------------------------------------------------------


def _require_owner(campaign: Campaign, by: User) -> None:
    if campaign.employer_id != by.pk:
        raise CampaignError("permission_denied", _("This is not your campaign."))


def _require_not_own(campaign: Campaign, by: User) -> None:
    """Four eyes: a moderator never moderates their own campaign."""
    ensure_not_own_case(
        actor=by,
        parties=[campaign.employer_id],
        message=_("You cannot moderate your own campaign: another moderator must do it."),
    )


def _require_not_suspended(by: User) -> None:
    from moderation.selectors import is_suspended

    if is_suspended(by):
        raise CampaignError(
            "account_suspended",
            _("Your account is suspended: you cannot launch or resume campaigns."),
        )


def _transition(
    campaign: Campaign,
    target: CampaignStatus,
    *,
    by: User | None,
    note: str = "",
    expected: CampaignStatus | None = None,
    locked: Campaign | None = None,
) -> Campaign:
    """Lock the campaign and move it to ``target`` if the map allows (caller saves)."""
    locked = locked or Campaign.objects.select_for_update().get(pk=campaign.pk)
    current = CampaignStatus(locked.status)
    if (expected is not None and current != expected) or target not in CAMPAIGN_TRANSITIONS[
        current
    ]:
        raise CampaignError(
            "invalid_status",
            _("A campaign that is %(status)s cannot be %(target)s.")
            % {"status": current.label, "target": target.label},
        )
    _event(locked, current, target, by=by, note=note)
    locked.status, locked.updated_at = target, timezone.now()
    return locked


def _event(campaign: Campaign, before: str, after: str, *, by: User | None, note: str = "") -> None:
    CampaignEvent.objects.create(
        campaign=campaign, from_status=before, to_status=after, actor=by, note=note
    )


def _tasks_create(campaign: Campaign, *, first: int, count: int, inputs: list[dict]) -> None:
    Task.objects.bulk_create(
        [
            Task(campaign=campaign, number=first + n, input=inputs[n] if inputs else {})
            for n in range(count)
        ],
        batch_size=1000,
    )


def _withdraw_open_tasks(campaign: Campaign, *, event: str) -> int:
    """Open tasks leave the campaign and their money goes back (campaign locked)."""
    withdrawn = Task.objects.filter(campaign=campaign, status=TaskStatus.OPEN).update(
        status=TaskStatus.WITHDRAWN
    )
    if withdrawn:
        escrow_refund(
            campaign_id=campaign.pk,
            employer=campaign.employer,
            amount_cents=withdrawn * campaign.cost_per_task_cents,
            event=event,
            by=None,
        )
    return withdrawn
