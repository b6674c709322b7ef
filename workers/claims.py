"""The claim: a worker reserves one open task of a campaign.

Guarantees: never more holders than tasks (a task is taken with ``FOR UPDATE SKIP LOCKED``
and the database allows one holding assignment per task); one worker's claims are
serialised by an advisory lock, and the worker's standing is read after it, so per-worker
caps (``max_tasks_per_worker``, MAX_OPEN_CLAIMS) hold under concurrency; who may claim is
decided by ``workers.eligibility``, the same rules the feed filters by.

Locking order, shared with the campaign services (``tasks.services``): campaign row
(``FOR KEY SHARE``, as ``tasks.lifecycle.tasks.campaigns_share_lock``), then task rows, then
the ledger's accounts.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import locks
from core.errors import DomainError
from tasks.gold import gold_due
from tasks.models import (
    TASK_TRANSITIONS,
    Assignment,
    AssignmentStatus,
    Campaign,
    Task,
    TaskStatus,
)

from .eligibility import STANDING_COLUMNS, STANDING_SQL, Standing, claim_refusal, standing_values


def task_claim(*, campaign: Campaign, worker: User, ip: str | None = None) -> Assignment:
    """Reserve one open task of ``campaign`` for ``worker`` until ``expires_at``.

    Raises DomainError: why the worker may not claim (``workers.eligibility.claim_refusal``,
    on the campaign as locked now), or ``no_task_left`` (409) when nothing is open. Nothing
    changes on error.

    The hot path of the marketplace (bench/claims.py): four statements, each written once in
    :data:`CLAIM_STATEMENTS`, through one cursor, and the assignment built from the values
    written instead of read back.
    """
    now = timezone.now()
    values = {
        **CLAIM_VALUES,
        **standing_values(worker_id=worker.pk, scope=campaign.pk, now=now),
        "lock": CLAIM_LOCK,
        "campaign": campaign.pk,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        lock, read, take, insert = CLAIM_STATEMENTS
        cursor.execute(lock, values)  # one worker's claims, one at a time
        # The campaign before the task: inserting the assignment takes this lock anyway
        # (its foreign key), and taking it after the task deadlocked against a cancel,
        # which locks the campaign and then withdraws the open tasks. The worker's standing
        # comes with it, read after the advisory lock so their other claims are settled.
        cursor.execute(read, values)
        row = cursor.fetchone()
        if row is None:
            raise Campaign.DoesNotExist(f"campaign {campaign.pk}")
        campaign = _campaign_from_row(row[:-STANDING_COLUMNS])
        standing = Standing.from_row(worker.pk, row[-STANDING_COLUMNS:])
        refusal = claim_refusal(campaign, standing, now)
        if refusal is not None:
            raise refusal
        row = _gold_take(cursor, campaign, values) if campaign.gold_rate else None
        values["gold"] = row is not None
        if row is None:
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
                status=TaskStatus.GOLD if values["gold"] else TaskStatus.ASSIGNED,
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
            is_gold=values["gold"],
        )
    )


def _gold_take(cursor, campaign: Campaign, values: dict):
    """A check task for this claim, when one is due (``tasks.gold.gold_due``, drawn from the
    worker's claims on the campaign so far) and the worker has one left to answer, while a
    position is open (a check task is never the only work left): its (id, number, input), or
    None. Check tasks are shared, so nothing is locked or moved; the database lets each
    worker hold each one once."""
    cursor.execute(GOLD_STATEMENTS[0], values)
    (claims,) = cursor.fetchone()
    if not gold_due(
        secret=campaign.verification_secret,
        worker_id=values["worker"],
        claims=claims,
        rate=campaign.gold_rate,
    ):
        return None
    cursor.execute(GOLD_STATEMENTS[1], values)
    return cursor.fetchone()


# Only for campaigns with check tasks: the worker's claims on it so far, then one check task
# they have not had, in an order of their own (so workers do not meet them in the same order).
GOLD_STATEMENTS = (
    "SELECT COUNT(*) FROM tasks_assignment"
    " WHERE worker_id = %(worker)s AND campaign_id = %(campaign)s",
    "SELECT t.id, t.number, t.input FROM tasks_task t"
    " WHERE t.campaign_id = %(campaign)s AND t.status = %(gold_status)s"
    " AND NOT EXISTS (SELECT 1 FROM tasks_assignment a"
    " WHERE a.task_id = t.id AND a.worker_id = %(worker)s)"
    " AND EXISTS (SELECT 1 FROM tasks_task o"
    " WHERE o.campaign_id = %(campaign)s AND o.status = %(open)s)"
    " ORDER BY md5(t.id || ':' || %(worker)s) LIMIT 1",
)


# The claim's hot path (bench/claims.py): each ORM query costs more Python time than its
# round trip, so a claim is these four statements, run through one cursor with named
# parameters: CLAIM_VALUES, lock, campaign and the standing's (standing_values); then task,
# now, expires_at, ip. bench/claims.py runs the very same statements as raw SQL beside the
# service.

CLAIM_LOCK = locks.CLAIM  # pg_advisory_xact_lock(CLAIM_LOCK, worker id): one worker's claims
CLAIM_VALUES = {
    "claimed": AssignmentStatus.CLAIMED.value,
    "open": TaskStatus.OPEN.value,
    "assigned": TaskStatus.ASSIGNED.value,
    "gold": False,
    "gold_status": TaskStatus.GOLD.value,
}
_CAMPAIGN_COLUMNS = ", ".join(f'c."{field.column}"' for field in Campaign._meta.concrete_fields)
_CLIENT_IP = Assignment._meta.get_field("client_ip")
CLAIM_STATEMENTS = (
    "SELECT pg_advisory_xact_lock(%(lock)s, %(worker)s)",
    # The campaign, fresh and locked FOR KEY SHARE (as campaigns_share_lock), with the
    # worker's standing for it (workers.eligibility.STANDING_SQL, scoped to the campaign).
    f"SELECT {_CAMPAIGN_COLUMNS}, s.*"  # noqa: S608  (the model's own column names)
    f" FROM tasks_campaign c, ({STANDING_SQL}) s"
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
    " dispute_until, client_ip, is_gold, updated_at) VALUES (%(task)s, %(campaign)s,"
    " %(worker)s, %(claimed)s, %(now)s, %(expires_at)s, NULL, NULL, NULL, '', NULL,"
    " %(ip)s, %(gold)s, %(now)s) RETURNING id)"
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
