"""An assignment's steps after the claim (``workers.claims.task_claim``, the worker's side):
give it back, submit proof; the clock expires claims that ran out of time.

Locking order, shared with the campaign services and the claim: campaign row, then task
rows, then the ledger's accounts. Whatever reads a campaign's status to decide a task's fate
(claim, release, expiry) first takes the campaign row ``FOR KEY SHARE``
(:func:`campaigns_share_lock`): claims do not block each other, but a campaign transition
(``FOR UPDATE``) waits for them and they wait for it, so none of them acts on a status that
is changing under it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, not_found
from tasks.lifecycle.assignments import assignment_end, assignment_move
from tasks.lifecycle.tasks import campaigns_share_lock
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Campaign,
    Screenshot,
    Submission,
    screenshot_name,
)
from tasks.proofs import answers_clean
from tasks.selectors import screenshot_duplicates


def verification_code(*, campaign: Campaign, task_id: int, worker_id: int) -> str:
    """The code a worker enters on the employer's site and in the proof.

    HMAC-SHA256(campaign secret, "<task id>:<worker id>"), first 8 hex digits, upper case:
    the employer, who knows the secret, checks it without asking Kaaj.
    """
    digest = hmac.new(
        campaign.verification_secret.encode(), f"{task_id}:{worker_id}".encode(), hashlib.sha256
    ).hexdigest()
    return digest[:8].upper()


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
