"""Writes about workers: an employer's blocks."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, not_found

from .models import Block

# The longest reason an employer may note on a block (forms and serializers use it too).
REASON_MAX_LENGTH = 500


def worker_block(*, employer: User, worker: User | None, reason: str = "") -> tuple[Block, bool]:
    """Block ``worker`` from all of ``employer``'s campaigns: from now on the worker neither
    sees them in the feed nor may claim a task of them (the "blocked" rule of
    workers.eligibility, which both read). Work already claimed is left to run its course.

    Idempotent: blocking a worker twice keeps the first block and its reason. Returns the
    block and whether it was made now. Raises DomainError (400, nothing written):
    ``invalid_worker`` for no such user (``worker`` None), ``cannot_block_self``, ``invalid``
    for a reason longer than REASON_MAX_LENGTH.
    """
    if worker is None:
        raise DomainError("invalid_worker", _("There is no such worker."), field="worker")
    if employer.pk == worker.pk:
        raise DomainError("cannot_block_self", _("You cannot block yourself."), field="worker")
    reason = reason.strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(
            "invalid",
            _("A reason can be at most %(n)s characters long.") % {"n": REASON_MAX_LENGTH},
            field="reason",
        )
    # get_or_create survives a concurrent block of the same worker: the loser of the
    # unique constraint (workers_block_once) reads the winner's row.
    return Block.objects.get_or_create(
        employer=employer, worker=worker, defaults={"reason": reason}
    )


def block_remove(*, block: Block, by: User) -> None:
    """The employer lifts their block: the worker sees and may claim their campaigns again.
    Raises DomainError ``not_found`` (404) for anybody else's block. A block already
    lifted (a second click) deletes nothing and raises nothing."""
    if block.employer_id != by.pk:
        raise not_found()
    Block.objects.filter(pk=block.pk).delete()
