"""A task's status: open → assigned → paid, or back to open, or withdrawn with a refund.

Every move is one conditional ``UPDATE ... WHERE status = <source>`` checked against
``TASK_TRANSITIONS``; the row count says how many moved (0: somebody else moved them first).
The claim's hot path (``workers.claims.task_claim``) runs the open → assigned move in its own
statement for speed; it is checked against the same map when the module loads.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from payments.services import escrow_refund
from tasks.models import LIVE_STATUSES, TASK_TRANSITIONS, Campaign, Task, TaskStatus


def tasks_move(task_ids: Iterable[int], source: TaskStatus, target: TaskStatus) -> int:
    """Move the tasks that are still ``source`` to ``target``; returns how many moved."""
    if target not in TASK_TRANSITIONS[source]:
        raise ValueError(f"task {source} → {target} is not an allowed move")
    return Task.objects.filter(pk__in=list(task_ids), status=source).update(status=target)


def tasks_create(campaign: Campaign, *, first: int, count: int, inputs: list[dict]) -> None:
    """``count`` open tasks numbered from ``first``, each with its row of ``inputs``."""
    Task.objects.bulk_create(
        [
            Task(campaign=campaign, number=first + n, input=inputs[n] if inputs else {})
            for n in range(count)
        ],
        batch_size=1000,
    )


def gold_tasks_create(campaign: Campaign, *, rows: list[dict]) -> None:
    """Check tasks (``tasks.gold``), one a row, numbered after the campaign's others."""
    if not rows:
        return
    last = (
        Task.objects.filter(campaign=campaign, status=TaskStatus.GOLD)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    ) or 0
    Task.objects.bulk_create(
        [
            Task(campaign=campaign, number=last + n, input=row, status=TaskStatus.GOLD)
            for n, row in enumerate(rows, start=1)
        ]
    )


def tasks_withdraw_open(campaign: Campaign, *, event: str) -> int:
    """The campaign stopped: its open tasks are withdrawn and their reward and fee go back to
    the employer, under the ledger key ``event``. Needs the campaign locked."""
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


def task_release(*, task_id: int) -> None:
    """A task's holder is gone without pay: it reopens while its campaign is live, else it is
    withdrawn and its reward and fee go back to the employer (ledger key ``task:<id>``)."""
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
    campaign = Campaign.objects.select_related("employer").get(tasks=task_id)
    if campaign.status in LIVE_STATUSES:
        tasks_move([task_id], TaskStatus.ASSIGNED, TaskStatus.OPEN)
        return
    if tasks_move([task_id], TaskStatus.ASSIGNED, TaskStatus.WITHDRAWN):
        escrow_refund(
            campaign_id=campaign.pk,
            employer=campaign.employer,
            amount_cents=campaign.cost_per_task_cents,
            event=f"task:{task_id}",
            by=None,
        )


def campaigns_share_lock(campaign_ids: Iterable[int]) -> None:
    """Take the campaigns' rows ``FOR KEY SHARE`` (in id order), so that none of them
    changes status until this transaction ends; compatible with other share lockers (claims
    on a hot campaign do not queue behind each other). Needs an open transaction."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM tasks_campaign WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE", [ids]
        )
