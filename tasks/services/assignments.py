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
from core.errors import DomainError, not_found
from tasks.lifecycle.assignments import assignment_end, assignment_move
from tasks.lifecycle.tasks import campaigns_share_lock
from tasks.models import (
    TASK_TRANSITIONS,
    WORKING_STATUSES,
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Screenshot,
    Submission,
    Task,
    TaskStatus,
    screenshot_name,
)
from tasks.proofs import answers_clean
from tasks.selectors import screenshot_duplicates
from workers.selectors import success_rate


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
) -> DomainError | None:
    """Why this worker may not claim from this campaign now, or None. ``standing`` is the
    worker's ``(blocked, done, working)`` with this campaign and ``suspended`` whether a
    moderator suspended the worker, when the caller read them already (:func:`task_claim`
    does); otherwise they are read here."""
    if suspended is None:
        from accounts.selectors import is_suspended

        suspended = is_suspended(worker)
    if suspended:
        return DomainError(
            "account_suspended",
            _("Your account is suspended: you cannot claim tasks."),
            status=403,
        )
    if campaign.status != CampaignStatus.ACTIVE or (
        campaign.ends_at and campaign.ends_at <= timezone.now()
    ):
        return DomainError(
            "campaign_not_active", _("This campaign is not open for work."), status=409
        )
    if campaign.employer_id == worker.pk:
        return DomainError("own_campaign", _("You cannot work on your own campaign."), status=403)
    country = worker.country.code or ""
    if (campaign.countries_include and country not in campaign.countries_include) or (
        country and country in campaign.countries_exclude
    ):
        return DomainError(
            "not_eligible", _("This campaign is not open to your country."), status=403
        )
    if campaign.min_success_rate:
        rate = success_rate(worker)
        if rate is not None and rate < campaign.min_success_rate:
            return DomainError(
                "not_eligible",
                _("This campaign needs a success rate of %(rate)s%%.")
                % {"rate": campaign.min_success_rate},
                status=403,
            )
    blocked, done, working = _standing(campaign, worker) if standing is None else standing
    if blocked:
        return DomainError(
            "not_eligible", _("This employer does not take your work any more."), status=403
        )
    if done >= campaign.max_tasks_per_worker:
        return DomainError(
            "limit_reached",
            _("You have done as many tasks of this campaign as it allows."),
            status=409,
        )
    if working >= settings.MAX_OPEN_CLAIMS:
        return DomainError(
            "too_many_claims",
            _("Finish or give back one of your %(n)s open tasks first.")
            % {"n": settings.MAX_OPEN_CLAIMS},
            status=409,
        )
    return None


def task_claim(*, campaign: Campaign, worker: User, ip: str | None = None) -> Assignment:
    """Reserve one open task of ``campaign`` for ``worker`` until ``expires_at``.

    Raises DomainError: ``no_task_left`` (409) when nothing is open, or why the worker
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
            raise DomainError(
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
    # ... and whether a moderator suspended the worker (accounts.selectors.is_suspended).
    "SELECT pg_advisory_xact_lock(%(lock)s, %(worker)s), EXISTS (SELECT 1 FROM"
    " accounts_suspension s WHERE s.user_id = %(worker)s AND s.lifted_at IS NULL)",
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
    # tasks instead of waiting for each other) and marked assigned at once: the open →
    # assigned move of TASK_TRANSITIONS, checked below.
    "UPDATE tasks_task SET status = %(assigned)s WHERE id = (SELECT id FROM tasks_task"
    " WHERE campaign_id = %(campaign)s AND status = %(open)s ORDER BY number LIMIT 1"
    " FOR UPDATE SKIP LOCKED) RETURNING id, number, input",
    # The assignment and its first history row (as tasks.lifecycle writes them) in one statement.
    "WITH a AS (INSERT INTO tasks_assignment (task_id, campaign_id, worker_id, status,"
    " claimed_at, expires_at, submitted_at, review_due_at, reviewed_at, review_reason,"
    " dispute_until, client_ip, updated_at) VALUES (%(task)s, %(campaign)s,"
    " %(worker)s, %(claimed)s, %(now)s, %(expires_at)s, NULL, NULL, NULL, '', NULL,"
    " %(ip)s, %(now)s) RETURNING id)"
    " INSERT INTO tasks_assignmentevent (assignment_id, from_status, to_status, actor_id,"
    " reason, created_at) SELECT id, '', %(claimed)s, %(worker)s, '', %(now)s FROM a"
    " RETURNING assignment_id",
)


if TaskStatus.ASSIGNED not in TASK_TRANSITIONS[TaskStatus.OPEN]:  # the claim's task move
    raise ImportError("the claim moves a task open → assigned, which TASK_TRANSITIONS forbids")


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
        raise not_found()
    with transaction.atomic():
        if not assignment_end(
            assignment.pk,
            (AssignmentStatus.CLAIMED, AssignmentStatus.REVISION_REQUESTED),
            AssignmentStatus.RELEASED,
            by=worker,
        ):
            raise DomainError(
                "invalid_status", _("Only a task you are working on can be given back."), status=409
            )
    assignment.refresh_from_db()
    return assignment


def assignment_submit(
    *, assignment: Assignment, worker: User, answers: dict, files: dict
) -> Submission:
    """Send proof for a claimed (or sent-back) assignment; it waits for review.

    Screenshots are checked and re-encoded first, outside the transaction. Raises
    DomainError ``invalid`` with ``errors`` per proof field, ``expired`` or
    ``invalid_status``; nothing is saved then.
    """
    if assignment.worker_id != worker.pk:
        raise not_found()
    campaign = assignment.campaign
    from django.core.exceptions import ValidationError

    try:
        clean, images = answers_clean(campaign.proof_fields, answers or {}, files or {})
    except ValidationError as error:
        raise DomainError(
            "invalid", _("Some proofs are missing or wrong."), errors=error.message_dict
        ) from error
    stored = _screenshots_store(images)
    # Looked up before the row lock: a heuristic for the employer's eye, not a rule, so a
    # look-alike sent in the same instant by someone else may go unnoticed.
    duplicates = screenshot_duplicates(
        campaign_id=campaign.pk, phashes=[image.phash for _key, image, _name in stored]
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
            if locked.status not in (AssignmentStatus.CLAIMED, AssignmentStatus.REVISION_REQUESTED):
                raise DomainError(
                    "invalid_status", _("This task is not waiting for proof."), status=409
                )
            if locked.expires_at <= now:
                raise DomainError("expired", _("The time to do this task has run out."), status=409)
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
                        duplicate_of_id=duplicates.get(image.phash),
                    )
                    for key, image, name in stored
                ]
            )
            assignment_move(
                locked.pk,
                (locked.status,),
                AssignmentStatus.SUBMITTED,
                by=worker,
                submitted_at=now,
                review_due_at=now + timedelta(hours=campaign.time_to_rate_hours),
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
            .values_list("pk", "status", "campaign_id")[:batch]
        )
        # All the batch's campaigns before any task or refund (see tasks.lifecycle).
        campaigns_share_lock([row[2] for row in rows])
        for pk, status, _campaign_id in rows:
            if assignment_end(pk, (status,), AssignmentStatus.EXPIRED, by=None):
                expired += 1
    return expired
