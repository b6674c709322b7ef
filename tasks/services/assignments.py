"""Workers' side of the loop: claim a task, give it back, submit proof; the clock expires
claims that ran out of time.

Guarantees: never more holders than tasks (a task is taken with ``FOR UPDATE SKIP LOCKED``
and the database allows one holding assignment per task); one worker's claims are
serialised by an advisory lock so per-worker caps hold under concurrency.

Locking order, shared with the campaign services: campaign row, then task rows, then the
ledger's accounts. Whatever reads a campaign's status to decide a task's fate (claim,
release, expiry) first takes the campaign row ``FOR KEY SHARE`` (:func:`campaigns_share_lock`):
claims do not block each other, but a campaign transition (``FOR UPDATE``) waits for them
and they wait for it, so none of them acts on a status that is changing under it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import events as notifications
from tasks.models import (
    ASSIGNMENT_TRANSITIONS,
    WORKING_STATUSES,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Screenshot,
    Submission,
    Task,
    TaskStatus,
    screenshot_name,
)
from tasks.proofs import answers_clean, hash_distance
from webhooks.payloads import assignment_data
from webhooks.services import webhook_emit
from workers.selectors import success_rate


class AssignmentError(Exception):
    """A claim, release or submission refused: ``code`` for the API, ``message`` for
    people, ``errors`` per proof field for a submission."""

    def __init__(
        self, code: str, message: str, errors: dict | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.errors, self.status = code, str(message), errors, status


def verification_code(*, campaign: Campaign, task_id: int, worker_id: int) -> str:
    """The code a worker enters on the employer's site and in the proof.

    HMAC-SHA256(campaign secret, "<task id>:<worker id>"), first 8 hex digits, upper case:
    the employer, who knows the secret, checks it without asking Kaaj.
    """
    digest = hmac.new(
        campaign.verification_secret.encode(), f"{task_id}:{worker_id}".encode(), hashlib.sha256
    ).hexdigest()
    return digest[:8].upper()


def claim_refusal(
    campaign: Campaign,
    worker: User,
    standing: tuple[bool, int, int] | None = None,
    suspended: bool | None = None,
) -> AssignmentError | None:
    """Why this worker may not claim from this campaign now, or None. ``standing`` is the
    worker's ``(blocked, done, working)`` with this campaign and ``suspended`` whether a
    moderator suspended the worker, when the caller read them already (:func:`task_claim`
    does); otherwise they are read here."""
    if suspended is None:
        from moderation.selectors import is_suspended

        suspended = is_suspended(worker)
    if suspended:
        return AssignmentError(
            "account_suspended",
            _("Your account is suspended: you cannot claim tasks."),
            status=403,
        )
    if campaign.status != CampaignStatus.ACTIVE or (
        campaign.ends_at and campaign.ends_at <= timezone.now()
    ):
        return AssignmentError(
            "campaign_not_active", _("This campaign is not open for work."), status=409
        )
    if campaign.employer_id == worker.pk:
        return AssignmentError(
            "own_campaign", _("You cannot work on your own campaign."), status=403
        )
    country = worker.country.code or ""
    if (campaign.countries_include and country not in campaign.countries_include) or (
        country and country in campaign.countries_exclude
    ):
        return AssignmentError(
            "not_eligible", _("This campaign is not open to your country."), status=403
        )
    if campaign.min_success_rate:
        rate = success_rate(worker)
        if rate is not None and rate < campaign.min_success_rate:
            return AssignmentError(
                "not_eligible",
                _("This campaign needs a success rate of %(rate)s%%.")
                % {"rate": campaign.min_success_rate},
                status=403,
            )
    blocked, done, working = _standing(campaign, worker) if standing is None else standing
    if blocked:
        return AssignmentError(
            "not_eligible", _("This employer does not take your work any more."), status=403
        )
    if done >= campaign.max_tasks_per_worker:
        return AssignmentError(
            "limit_reached",
            _("You have done as many tasks of this campaign as it allows."),
            status=409,
        )
    if working >= settings.MAX_OPEN_CLAIMS:
        return AssignmentError(
            "too_many_claims",
            _("Finish or give back one of your %(n)s open tasks first.")
            % {"n": settings.MAX_OPEN_CLAIMS},
            status=409,
        )
    return None


def task_claim(*, campaign: Campaign, worker: User, ip: str | None = None) -> Assignment:
    """Reserve one open task of ``campaign`` for ``worker`` until ``expires_at``.

    Raises AssignmentError: ``no_task_left`` (409) when nothing is open, or why the worker
    may not claim (see :func:`claim_refusal`). Nothing changes on error.

    The hot path of the marketplace (bench/claims.py): four statements, each written once
    in :data:`CLAIM_STATEMENTS`, through one cursor, and the assignment built from the values
    written instead of read back.
    """
    now = timezone.now()
    values = {**CLAIM_VALUES, "lock": CLAIM_LOCK, "worker": worker.pk, "campaign": campaign.pk}
    with transaction.atomic(), connection.cursor() as cursor:
        lock, read, take, insert = CLAIM_STATEMENTS
        cursor.execute(lock, values)  # one worker's claims, one at a time
        (suspended,) = cursor.fetchone()[1:]
        # The campaign before the task: inserting the assignment takes this lock anyway
        # (its foreign key), and taking it after the task deadlocked against a cancel,
        # which locks the campaign and then withdraws the open tasks. The worker's standing
        # comes with it, read after the advisory lock so their other claims are settled.
        cursor.execute(read, values)
        row = cursor.fetchone()
        if row is None:
            raise Campaign.DoesNotExist(f"campaign {campaign.pk}")
        campaign = _campaign_from_row(row[:-3])
        refusal = claim_refusal(campaign, worker, standing=row[-3:], suspended=suspended)
        if refusal is not None:
            raise refusal
        cursor.execute(take, values)
        row = cursor.fetchone()
        if row is None:
            raise AssignmentError(
                "no_task_left", _("Every task of this campaign is taken."), status=409
            )
        task = _saved(
            Task(
                pk=row[0],
                campaign=campaign,
                number=row[1],
                input=json.loads(row[2]) if isinstance(row[2], str | bytes) else row[2],
                status=TaskStatus.ASSIGNED,
            )
        )
        values.update(
            task=task.pk,
            now=now,
            expires_at=now + timedelta(minutes=campaign.time_to_complete_minutes),
            ip=_CLIENT_IP.get_db_prep_value(ip, connection),
        )
        cursor.execute(insert, values)
        (pk,) = cursor.fetchone()
    return _saved(
        Assignment(
            pk=pk,
            task=task,
            campaign=campaign,
            worker=worker,
            status=AssignmentStatus.CLAIMED,
            claimed_at=now,
            updated_at=now,
            expires_at=values["expires_at"],
            client_ip=ip,
        )
    )


# The claim's hot path (bench/claims.py): each ORM query costs more Python time than its
# round trip, so a claim is these four statements, run through one cursor with named
# parameters: CLAIM_VALUES, lock, worker, campaign; then task, now, expires_at, ip.
# bench/claims.py runs the very same statements as raw SQL beside the service.

CLAIM_LOCK = 7001  # pg_advisory_xact_lock(CLAIM_LOCK, worker id): one worker's claims
CLAIM_VALUES = {
    "claimed": AssignmentStatus.CLAIMED.value,
    "gone": [AssignmentStatus.EXPIRED.value, AssignmentStatus.RELEASED.value],
    "working": [status.value for status in WORKING_STATUSES],
    "open": TaskStatus.OPEN.value,
    "assigned": TaskStatus.ASSIGNED.value,
}
_CAMPAIGN_COLUMNS = ", ".join(f'c."{field.column}"' for field in Campaign._meta.concrete_fields)
_CLIENT_IP = Assignment._meta.get_field("client_ip")
CLAIM_STATEMENTS = (
    # ... and whether a moderator suspended the worker (moderation.selectors.is_suspended).
    "SELECT pg_advisory_xact_lock(%(lock)s, %(worker)s), EXISTS (SELECT 1 FROM"
    " moderation_suspension s WHERE s.user_id = %(worker)s AND s.lifted_at IS NULL)",
    # The campaign, fresh and locked FOR KEY SHARE (as campaigns_share_lock), with the
    # worker's standing (as _standing): blocked by its employer, tasks of it held or done
    # (expired and released claims do not count), claims being worked on.
    f"SELECT {_CAMPAIGN_COLUMNS}, "  # noqa: S608  (the model's own column names)
    "EXISTS (SELECT 1 FROM workers_block b WHERE b.employer_id = c.employer_id"
    " AND b.worker_id = %(worker)s), s.done, s.working"
    " FROM tasks_campaign c, LATERAL (SELECT"
    " COUNT(*) FILTER (WHERE a.campaign_id = c.id AND NOT a.status = ANY(%(gone)s)) AS done,"
    " COUNT(*) FILTER (WHERE a.status = ANY(%(working)s)) AS working"
    " FROM tasks_assignment a WHERE a.worker_id = %(worker)s) s"
    " WHERE c.id = %(campaign)s FOR KEY SHARE OF c",
    # The first open task, locked FOR UPDATE SKIP LOCKED (concurrent claims take different
    # tasks instead of waiting for each other) and marked assigned at once.
    "UPDATE tasks_task SET status = %(assigned)s WHERE id = (SELECT id FROM tasks_task"
    " WHERE campaign_id = %(campaign)s AND status = %(open)s ORDER BY number LIMIT 1"
    " FOR UPDATE SKIP LOCKED) RETURNING id, number, input",
    # The assignment and its first history row (as _event) in one statement.
    "WITH a AS (INSERT INTO tasks_assignment (task_id, campaign_id, worker_id, status,"
    " claimed_at, expires_at, submitted_at, review_due_at, reviewed_at, review_reason,"
    " dispute_until, window_closed, client_ip, updated_at) VALUES (%(task)s, %(campaign)s,"
    " %(worker)s, %(claimed)s, %(now)s, %(expires_at)s, NULL, NULL, NULL, '', NULL, false,"
    " %(ip)s, %(now)s) RETURNING id)"
    " INSERT INTO tasks_assignmentevent (assignment_id, from_status, to_status, actor_id,"
    " reason, created_at) SELECT id, '', %(claimed)s, %(worker)s, '', %(now)s FROM a"
    " RETURNING assignment_id",
)


def _campaign_from_row(row) -> Campaign:
    """A Campaign from its columns (in ``_meta.concrete_fields`` order) as the ORM would
    build it: each field's ``from_db_value`` applied (JSON decoded)."""
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(Campaign._meta.concrete_fields, row, strict=True)
    ]
    return Campaign.from_db(connection.alias, None, values)


def _saved(instance):
    """Mark an instance built from values just written as a saved row, as if fetched."""
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


def _standing(campaign: Campaign, worker: User) -> tuple[bool, int, int]:
    """In one query: whether the campaign's employer blocked the worker (as
    ``workers.selectors.is_blocked``), how many of the campaign's tasks the worker holds or
    did (expired and released claims do not count), and how many claims they are working on
    (``WORKING_STATUSES``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM workers_block WHERE employer_id = %s"
            " AND worker_id = %s),"
            " COUNT(*) FILTER (WHERE campaign_id = %s AND NOT status = ANY(%s)),"
            " COUNT(*) FILTER (WHERE status = ANY(%s))"
            " FROM tasks_assignment WHERE worker_id = %s",
            [
                campaign.employer_id,
                worker.pk,
                campaign.pk,
                [AssignmentStatus.EXPIRED.value, AssignmentStatus.RELEASED.value],
                [status.value for status in WORKING_STATUSES],
                worker.pk,
            ],
        )
        return cursor.fetchone()


def assignment_release(*, assignment: Assignment, worker: User) -> Assignment:
    """The worker gives the task back before submitting; it reopens (or is refunded)."""
    if assignment.worker_id != worker.pk:
        raise AssignmentError("not_found", _("Not found."), status=404)
    with transaction.atomic():
        moved = _move(
            assignment.pk,
            (AssignmentStatus.CLAIMED, AssignmentStatus.REVISION_REQUESTED),
            AssignmentStatus.RELEASED,
            by=worker,
        )
        if not moved:
            raise AssignmentError(
                "invalid_status", _("Only a task you are working on can be given back."), status=409
            )
        task_release(task_id=assignment.task_id, event=f"release:{assignment.pk}")
    assignment.refresh_from_db()
    return assignment


def assignment_submit(
    *, assignment: Assignment, worker: User, answers: dict, files: dict
) -> Submission:
    """Send proof for a claimed (or sent-back) assignment; it waits for review.

    Screenshots are checked and re-encoded first, outside the transaction. Raises
    AssignmentError ``invalid`` with ``errors`` per proof field, ``expired`` or
    ``invalid_status``; nothing is saved then.
    """
    if assignment.worker_id != worker.pk:
        raise AssignmentError("not_found", _("Not found."), status=404)
    campaign = assignment.campaign
    from django.core.exceptions import ValidationError

    try:
        clean, images = answers_clean(campaign.proof_fields, answers or {}, files or {})
    except ValidationError as error:
        raise AssignmentError(
            "invalid", _("Some proofs are missing or wrong."), errors=error.message_dict
        ) from error
    stored = _screenshots_store(images)
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
            if locked.status not in (AssignmentStatus.CLAIMED, AssignmentStatus.REVISION_REQUESTED):
                raise AssignmentError(
                    "invalid_status", _("This task is not waiting for proof."), status=409
                )
            if locked.expires_at <= now:
                raise AssignmentError(
                    "expired", _("The time to do this task has run out."), status=409
                )
            submission = Submission.objects.create(assignment=locked, answers=clean, created_at=now)
            Screenshot.objects.bulk_create(
                [
                    Screenshot(
                        submission=submission,
                        field_key=key,
                        file=name,
                        content_type=image.content_type,
                        width=image.width,
                        height=image.height,
                        phash=image.phash,
                        duplicate_of=_duplicate(campaign, image.phash),
                    )
                    for key, image, name in stored
                ]
            )
            before = locked.status
            locked.status, locked.submitted_at, locked.updated_at = (
                AssignmentStatus.SUBMITTED,
                now,
                now,
            )
            locked.review_due_at = now + timedelta(hours=campaign.time_to_rate_hours)
            locked.save(update_fields=["status", "submitted_at", "updated_at", "review_due_at"])
            _event(locked, before, AssignmentStatus.SUBMITTED, by=worker)
            notifications.submission_arrived(assignment=locked)
            webhook_emit(
                employer=campaign.employer_id,
                event="assignment.submitted",
                data=lambda: assignment_data(locked, answers=clean),
            )
    except Exception:
        for _key, _image, name in stored:  # nothing refers to them: leave no file behind
            default_storage.delete(name)
        raise
    return submission


def _screenshots_store(images: dict) -> list[tuple[str, object, str]]:
    """Write the re-encoded screenshots to storage before the transaction opens (storage may
    be remote, and no upload happens inside a transaction)."""
    return [
        (key, image, default_storage.save(screenshot_name(image.content_type), image.content))
        for key, cleaned in images.items()
        for image in cleaned
    ]


def _duplicate(campaign: Campaign, phash: int) -> Screenshot | None:
    """A screenshot already sent to this campaign that looks the same, if any."""
    candidates = Screenshot.objects.filter(submission__assignment__campaign=campaign).only(
        "id", "phash"
    )
    for shot in candidates.iterator():
        if hash_distance(shot.phash, phash) <= settings.SCREENSHOT_DUPLICATE_DISTANCE:
            return shot
    return None


def assignments_expire_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """The clock: claims and revisions past ``expires_at`` expire; their tasks reopen (or are
    refunded when the campaign is over). Safe to run concurrently: each row moves once."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        rows = list(
            Assignment.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=(AssignmentStatus.CLAIMED, AssignmentStatus.REVISION_REQUESTED),
                expires_at__lte=now,
            )
            .values_list("pk", "task_id", "status", "campaign_id")[:batch]
        )
        # All the batch's campaigns before any task or refund (see task_release).
        campaigns_share_lock([row[3] for row in rows])
        for pk, task_id, status, _campaign_id in rows:
            if _move(pk, (status,), AssignmentStatus.EXPIRED, by=None):
                task_release(task_id=task_id, event=f"expire:{pk}")
                expired += 1
    return expired


# --- shared with reviews ----------------------------------------------------------------


def task_release(*, task_id: int, event: str) -> None:
    """A task's holder is gone without pay: it reopens while its campaign is live, else it is
    withdrawn and its reward and fee go back to the employer."""
    from payments.services import escrow_refund

    # Read the campaign's status under a share lock: without it a cancel committing between
    # this read and the update below left the task open in a cancelled campaign, its money
    # stuck in escrow for good. Batch callers lock all their campaigns first, in id order,
    # so this is then a no-op and no refund's account lock is held while waiting here.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM tasks_campaign WHERE id = "
            "(SELECT campaign_id FROM tasks_task WHERE id = %s) FOR KEY SHARE",
            [task_id],
        )
    task = Task.objects.select_related("campaign", "campaign__employer").get(pk=task_id)
    campaign = task.campaign
    if campaign.status in (CampaignStatus.IN_REVIEW, CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
        Task.objects.filter(pk=task_id, status=TaskStatus.ASSIGNED).update(status=TaskStatus.OPEN)
        return
    if Task.objects.filter(pk=task_id, status=TaskStatus.ASSIGNED).update(
        status=TaskStatus.WITHDRAWN
    ):
        escrow_refund(
            campaign_id=campaign.pk,
            employer=campaign.employer,
            amount_cents=campaign.cost_per_task_cents,
            event=f"task:{task_id}",
            by=None,
        )


def campaigns_share_lock(campaign_ids: list[int]) -> None:
    """Take the campaigns' rows ``FOR KEY SHARE`` (in id order), so that none of them
    changes status until this transaction ends; compatible with other share lockers (claims
    on a hot campaign do not queue behind each other). Needs an open transaction."""
    if not campaign_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM tasks_campaign WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE",
            [sorted(set(campaign_ids))],
        )


def _move(
    pk: int, sources, target: AssignmentStatus, *, by: User | None, reason: str = "", **fields
) -> bool:
    """Lock the assignment if it is in one of ``sources`` and move it to ``target``, with
    its history row. False when it is not (somebody else moved it first). Needs an open
    transaction."""
    if not all(target in ASSIGNMENT_TRANSITIONS[AssignmentStatus(s)] for s in sources):
        raise ValueError(f"{sources} → {target} is not an allowed move")
    previous = (
        Assignment.objects.select_for_update()
        .filter(pk=pk, status__in=sources)
        .values_list("status", flat=True)
        .first()
    )
    if previous is None:
        return False
    Assignment.objects.filter(pk=pk).update(status=target, updated_at=timezone.now(), **fields)
    AssignmentEvent.objects.create(
        assignment_id=pk, from_status=previous, to_status=target, actor=by, reason=reason
    )
    return True


def _event(
    assignment: Assignment, before: str, after: str, *, by: User | None, reason: str = ""
) -> None:
    AssignmentEvent.objects.create(
        assignment=assignment, from_status=before, to_status=after, actor=by, reason=reason
    )
