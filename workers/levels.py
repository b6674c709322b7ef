"""Worker levels: New, 1, 2, 3, earned from a worker's record (``settings.WORKER_LEVELS``).

A level needs approved tasks in all, a success rate over the success-rate window (the same
:func:`workers.eligibility.rate` the rules use) and an account's age. It is kept on the user
(``User.level``) so the claim and every page read it with the user; it is recomputed for the
workers whose work was approved, after that commits, and for everyone by a beat job (age and
the moving window change it without any event). A worker whose level rises hears about it
(``worker_level_changed``; a fall is shown, not announced).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tasks.models import REVIEWED_STATUSES, AssignmentStatus

from .eligibility import rate

# Sent after commit for each worker whose level rose: ``worker`` (id), ``level``, ``before``.
worker_level_changed = Signal()

BATCH = 1000


@dataclass(frozen=True)
class Record:
    approved: int  # in all
    success_rate: int | None  # over the window; None before any review
    days: int  # since the account was made


def level_for(record: Record) -> int:
    """The highest level whose every threshold the record meets (0: New)."""
    level = 0
    for step in settings.WORKER_LEVELS:
        rate_ok = record.success_rate is not None and record.success_rate >= step["success_rate"]
        if record.approved >= step["approved"] and rate_ok and record.days >= step["days"]:
            level = step["level"]
    return level


def record_of(worker: User, *, now: datetime | None = None) -> Record:
    """One worker's :class:`Record` now (one query)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_RECORDS_SQL, _values(now, after=0, ids=[worker.pk], batch=1))
        _pk, _level, joined, approved, approved_window, reviewed = cursor.fetchone()
    return Record(approved, rate(approved_window, reviewed), (now - joined).days)


def level_name(level: int) -> str:
    return _("New") if level == 0 else _("Level %(n)s") % {"n": level}


# Each user's record, in id order from %(after)s, %(batch)s at a time (or only %(ids)s).
_RECORDS_SQL = """
SELECT u.id, u.level, u.date_joined,
       COUNT(a.id) FILTER (WHERE a.status = %(approved)s),
       COUNT(a.id) FILTER (WHERE a.status = %(approved)s AND a.reviewed_at >= %(since)s),
       COUNT(a.id) FILTER (WHERE a.status = ANY(%(reviewed)s) AND a.reviewed_at >= %(since)s)
FROM accounts_user u LEFT JOIN tasks_assignment a ON a.worker_id = u.id AND NOT a.is_gold
WHERE u.id > %(after)s AND (%(ids)s::bigint[] IS NULL OR u.id = ANY(%(ids)s))
GROUP BY u.id
ORDER BY u.id
LIMIT %(batch)s
"""


def levels_recompute(*, worker_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Recompute the level of these workers (None: every user, in batches) and store the ones
    that changed; a rise is announced after commit. Returns how many changed."""
    now = now or timezone.now()
    changed, after = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_RECORDS_SQL, _values(now, after=after, ids=worker_ids, batch=BATCH))
            rows = cursor.fetchall()
        if not rows:
            return changed
        moves = []
        for pk, before, joined, approved, approved_window, reviewed in rows:
            record = Record(approved, rate(approved_window, reviewed), (now - joined).days)
            level = level_for(record)
            if level != before:
                moves.append((pk, before, level))
        changed += _store(moves)
        after = rows[-1][0]


def _values(now: datetime, *, after: int, ids: list[int] | None, batch: int) -> dict:
    return {
        "approved": AssignmentStatus.APPROVED.value,
        "reviewed": [status.value for status in REVIEWED_STATUSES],
        "since": now - timedelta(days=settings.SUCCESS_RATE_WINDOW_DAYS),
        "after": after,
        "ids": ids,
        "batch": batch,
    }


def _store(moves: list[tuple[int, int, int]]) -> int:
    """Write the new levels (each only if still the one read: a concurrent recompute may
    have moved it) and announce the rises after commit."""
    stored = 0
    with transaction.atomic():
        for pk, before, level in moves:
            if User.objects.filter(pk=pk, level=before).update(level=level):
                stored += 1
                if level > before:
                    transaction.on_commit(
                        lambda pk=pk, level=level, before=before: worker_level_changed.send(
                            sender=User, worker=pk, level=level, before=before
                        ),
                        robust=True,
                    )
    return stored
