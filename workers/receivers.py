"""What workers' records follow in the work loop (``tasks.signals``): a worker whose work
was approved may have reached a new level; a rejection may take a step of the ladder before
sanctions (for its worker and its employer); a dispute decided for the worker lifts the steps
that listed its rejection. Connected in ``WorkersConfig.ready``."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from accounts.models import SanctionSide
from tasks.models import AssignmentStatus
from tasks.signals import assignments_moved, dispute_decided

from .levels import levels_recompute
from .sanctions import sanction_evaluate, sanctions_lift_overturned


@receiver(assignments_moved, dispatch_uid="workers.assignments_moved")
def assignments_were_moved(sender, *, assignments, target, **kwargs) -> None:
    """After the approval commits (outside its locks), recompute its workers' levels; after
    a rejection commits, evaluate its workers' and employers' ladders."""
    if target == AssignmentStatus.APPROVED:
        workers = sorted({a.worker_id for a in assignments})
        transaction.on_commit(lambda: levels_recompute(worker_ids=workers), robust=True)
    elif target == AssignmentStatus.REJECTED:
        sides = [(a.worker_id, SanctionSide.WORKER) for a in assignments]
        sides += [(a.campaign.employer_id, SanctionSide.EMPLOYER) for a in assignments]
        for user_id, side in sorted(set(sides)):
            transaction.on_commit(
                lambda user_id=user_id, side=side: sanction_evaluate(user_id=user_id, side=side),
                robust=True,
            )


@receiver(dispute_decided, dispatch_uid="workers.dispute_decided")
def dispute_was_decided(sender, *, dispute, assignment, **kwargs) -> None:
    """A rejection overturned (the assignment approved): after commit, lift the worker's
    steps that listed it."""
    if assignment.status == AssignmentStatus.APPROVED:
        transaction.on_commit(
            lambda: sanctions_lift_overturned(
                assignment_id=assignment.pk, worker_id=assignment.worker_id
            ),
            robust=True,
        )
