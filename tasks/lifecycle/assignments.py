"""An assignment's status, moved along ``ASSIGNMENT_TRANSITIONS`` with its history row.

Every move is a conditional one under the row's lock: the row is locked only if it is still
in one of the expected statuses, then updated, and its ``AssignmentEvent`` written. A double
click, two tabs, or an employer against the clock: exactly one mover wins, the others get
nothing back (and report ``invalid_status`` cleanly). The moved rows are then announced
once (``tasks.signals.assignments_moved``): notifications and webhooks react to that, so
every path to a status has the same side effects.

Two moves carry money and are whole here, never assembled by callers:

- :func:`assignments_approve` — approve and pay: the task is paid, the reward goes from escrow
  to the worker and the fee to Kaaj (ledger key ``approve:assignment:<id>``: paid once,
  whatever races). The employer's approval, the clock's and a dispute decided for the worker
  all come here. A check task's (``tasks.gold``) is paid by Kaaj instead, the task stays a
  check task, and the worker's stop from the campaign is looked at again.
- :func:`assignments_end` — the holder is gone without pay (given back, expired, rejection
  final): the task reopens, or is refunded when its campaign is over.

The first history row (claimed) is written by the claim itself (``workers.claims.task_claim``,
the hot path).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from payments.services import GoldPayment, TaskPayment, escrow_pay_many, gold_pay_many
from tasks.models import (
    ASSIGNMENT_TRANSITIONS,
    REVIEWED_STATUSES,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    KeptScreenshot,
    TaskStatus,
)
from tasks.selectors import employer_stats_forget
from tasks.signals import assignments_moved

from .gold import gold_stop_review
from .tasks import task_release, tasks_move

# The statuses an employer's record counts (tasks.selectors.EmployerStats): every way into
# and out of them ends in one of them.
STATS_STATUSES = (*REVIEWED_STATUSES, AssignmentStatus.DISPUTED)

# Where the holder leaves without pay, and the task is released.
ENDINGS = (AssignmentStatus.RELEASED, AssignmentStatus.EXPIRED, AssignmentStatus.CLOSED)


def assignments_move(
    pks: Iterable[int],
    sources: Iterable[AssignmentStatus],
    target: AssignmentStatus,
    *,
    by: User | None,
    reason: str = "",
    **fields,
) -> list[Assignment]:
    """Move each assignment still in one of ``sources`` to ``target`` (setting ``fields``
    too), with its history row; announce the moved ones. Returns them, fresh, with campaign,
    employer and worker loaded, in the order given; those that were not in ``sources``
    (somebody moved them first) are left out. Needs an open transaction."""
    sources = tuple(AssignmentStatus(s) for s in sources)
    if not all(target in ASSIGNMENT_TRANSITIONS[s] for s in sources):
        raise ValueError(f"{sources} → {target} is not an allowed move")
    now = timezone.now()
    moved, events = [], []
    for pk in pks:
        if len(sources) == 1:
            # The conditional UPDATE locks the row and checks its status again once it has
            # the lock: one round trip, the previous status known.
            previous = sources[0]
            if not Assignment.objects.filter(pk=pk, status=previous).update(
                status=target, updated_at=now, **fields
            ):
                continue
        else:
            previous = (
                Assignment.objects.select_for_update()
                .filter(pk=pk, status__in=sources)
                .values_list("status", flat=True)
                .first()
            )
            if previous is None:
                continue
            Assignment.objects.filter(pk=pk).update(status=target, updated_at=now, **fields)
        events.append(
            AssignmentEvent(
                assignment_id=pk,
                from_status=previous,
                to_status=target,
                actor=by,
                reason=reason,
                created_at=now,
            )
        )
        moved.append(pk)
    if not moved:
        return []
    AssignmentEvent.objects.bulk_create(events)
    rows = Assignment.objects.select_related("campaign__employer", "worker").in_bulk(moved)
    assignments = [rows[pk] for pk in moved]
    if target in STATS_STATUSES:  # the employers' records change
        employer_stats_forget(a.campaign.employer_id for a in assignments)
    assignments_moved.send(
        sender=Assignment, assignments=assignments, target=target, by=by, reason=reason
    )
    return assignments


def assignment_move(
    pk: int,
    sources: Iterable[AssignmentStatus],
    target: AssignmentStatus,
    *,
    by: User | None,
    reason: str = "",
    **fields,
) -> Assignment | None:
    """:func:`assignments_move` for one: the moved row, or None when it was not in
    ``sources``."""
    moved = assignments_move([pk], sources, target, by=by, reason=reason, **fields)
    return moved[0] if moved else None


def assignments_approve(
    pks: Iterable[int],
    sources: Iterable[AssignmentStatus],
    *,
    by: User | None,
    reason: str = "",
    **fields,
) -> list[Assignment]:
    """Approve and pay the assignments still in ``sources``: each is moved to approved, its
    task to paid, and its reward (to the worker) and fee (to Kaaj) leave the campaign's
    escrow — all or nothing for the batch. Returns the approved ones. The caller holds the
    campaigns' share locks when it approves many (the clock)."""
    approved = assignments_move(
        pks, sources, AssignmentStatus.APPROVED, by=by, reason=reason, **fields
    )
    if not approved:
        return []
    paid = [a for a in approved if not a.is_gold]
    checks = [a for a in approved if a.is_gold]
    if paid:
        tasks_move([a.task_id for a in paid], TaskStatus.ASSIGNED, TaskStatus.PAID)
        escrow_pay_many(
            payments=[
                TaskPayment(
                    assignment_id=a.pk,
                    campaign_id=a.campaign_id,
                    employer=a.campaign.employer,
                    worker=a.worker,
                    reward_cents=a.campaign.reward_cents,
                    fee_cents=a.campaign.fee_cents,
                )
                for a in paid
            ],
            by=by,
        )
    if checks:  # a check task stays one; Kaaj pays its reward, and its worker may be let back
        gold_pay_many(
            payments=[
                GoldPayment(
                    assignment_id=a.pk, worker=a.worker, reward_cents=a.campaign.reward_cents
                )
                for a in checks
            ],
            by=by,
        )
        for a in checks:
            gold_stop_review(campaign=a.campaign, worker=a.worker)
    return approved


def assignment_end(
    pk: int,
    sources: Iterable[AssignmentStatus],
    target: AssignmentStatus,
    *,
    by: User | None,
    reason: str = "",
) -> Assignment | None:
    """The holder leaves without pay (``target``: released, expired or closed): the
    assignment moves and its task is released (reopened, or refunded when the campaign is
    over). None when it was not in ``sources``. Lock the campaign first when ending many."""
    if target not in ENDINGS:
        raise ValueError(f"{target} does not end an assignment")
    ended = assignment_move(pk, sources, target, by=by, reason=reason)
    if ended is not None:
        if not ended.is_gold:  # a check task belongs to nobody: nothing to release
            task_release(task_id=ended.task_id)
        kept_screenshots_discard(assignment_id=pk)
    return ended


def kept_screenshots_discard(*, assignment_id: int) -> int:
    """Delete the screenshots kept for an assignment (rows now, files after commit: storage
    may be remote). Run under the assignment's row lock, as every change of them is."""
    names = list(
        KeptScreenshot.objects.filter(assignment_id=assignment_id).values_list("file", flat=True)
    )
    if names:
        KeptScreenshot.objects.filter(assignment_id=assignment_id).delete()
        transaction.on_commit(lambda: files_delete(names), robust=True)
    return len(names)


def files_delete(names: Iterable[str]) -> None:
    """Delete stored files that no row refers to any more (after the commit that let go of
    them)."""
    for name in names:
        default_storage.delete(name)
