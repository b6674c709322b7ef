"""What workers' records follow in the work loop (``tasks.signals``): a worker whose work
was approved may have reached a new level. Connected in ``WorkersConfig.ready``."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from tasks.models import AssignmentStatus
from tasks.signals import assignments_moved

from .levels import levels_recompute


@receiver(assignments_moved, dispatch_uid="workers.assignments_moved")
def assignments_were_moved(sender, *, assignments, target, **kwargs) -> None:
    """After the approval commits (outside its locks), recompute its workers' levels."""
    if target == AssignmentStatus.APPROVED:
        workers = sorted({a.worker_id for a in assignments})
        transaction.on_commit(lambda: levels_recompute(worker_ids=workers), robust=True)
