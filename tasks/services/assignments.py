"""An assignment's steps after the claim (``workers.claims.task_claim``, the worker's side):
give it back, submit proof (keeping the screenshots of a proof sent back with an error; a
verification code checked against the task's own, and the work approved at once when the
campaign says so); the clock expires claims that ran out of time.

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

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, not_found
from tasks import gold, limits
from tasks.lifecycle.assignments import (
    assignment_end,
    assignment_move,
    assignments_approve,
    files_delete,
)
from tasks.lifecycle.gold import gold_stop_review
from tasks.lifecycle.tasks import campaigns_share_lock
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Campaign,
    KeptScreenshot,
    Screenshot,
    Submission,
    screenshot_name,
)
from tasks.proofs import proof_check
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
    *, assignment: Assignment, worker: User, answers: dict, files: dict, keep: bool = False
) -> Submission:
    """Send proof for a claimed (or sent-back) assignment; it waits for review.

    Screenshots are checked and re-encoded first, outside the transaction. A screenshot kept
    from an earlier try (:func:`screenshots_keep`) answers its field unless a new one is
    sent; the submission takes it over. Raises DomainError ``invalid`` with ``errors`` per
    proof field, ``expired`` or ``invalid_status``; no submission is saved then, and with
    ``keep`` (the proof page, whose worker may be on a slow connection) the new screenshots
    that passed are kept for the next try, so they need not be uploaded again.

    A verification-code proof must match the task's code (its ``_code`` input); when the
    campaign approves by code (``auto_approve_code``) the submission is approved and paid in
    the same transaction, by nobody (as the clock approves). Needs ``assignment.task``.
    """
    if assignment.worker_id != worker.pk:
        raise not_found()
    campaign = assignment.campaign
    kept = {shot.field_key: shot for shot in assignment.kept_screenshots.all()}
    coded = campaign.asks_for_code
    clean, images, errors = proof_check(
        campaign.proof_fields,
        answers or {},
        files or {},
        kept=kept,
        code=assignment.task.input.get(limits.CODE_COLUMN) if coded else None,
    )
    if errors:
        if keep and images:
            screenshots_keep(assignment=assignment, stored=_screenshots_store(images))
        raise DomainError("invalid", _("Some proofs are missing or wrong."), errors=errors)
    stored = _screenshots_store(images)
    # A new screenshot replaces the one kept for its field.
    taken = [shot for key, shot in kept.items() if key not in images]
    # Looked up before the row lock: a heuristic for the employer's eye, not a rule, so a
    # look-alike sent in the same instant by someone else may go unnoticed.
    duplicates = screenshot_duplicates(
        campaign_id=campaign.pk,
        phashes=[image.phash for _key, image, _name in stored] + [shot.phash for shot in taken],
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            # The row locked with the kept screenshots' ids read under the lock (one query).
            locked = (
                Assignment.objects.select_for_update()
                .annotate(
                    kept_ids=ArraySubquery(
                        KeptScreenshot.objects.filter(assignment=OuterRef("pk")).values("pk")
                    )
                )
                .get(pk=assignment.pk)
            )
            if locked.status not in (AssignmentStatus.CLAIMED, AssignmentStatus.REVISION_REQUESTED):
                raise DomainError(
                    "invalid_status", _("This task is not waiting for proof."), status=409
                )
            if locked.expires_at <= now:
                raise DomainError("expired", _("The time to do this task has run out."), status=409)
            if set(locked.kept_ids) != {shot.pk for shot in kept.values()}:
                raise DomainError(
                    "conflict",
                    _("Your screenshots changed while this proof was sent. Send it again."),
                    status=409,
                )
            submission = Submission.objects.create(assignment=locked, answers=clean, created_at=now)
            Screenshot.objects.bulk_create(
                [
                    Screenshot(
                        submission=submission,
                        duplicate_of_id=duplicates.get(image.phash),
                        **_picture(key, name, image),
                    )
                    for key, image, name in stored
                ]
                + [
                    Screenshot(
                        submission=submission,
                        duplicate_of_id=duplicates.get(shot.phash),
                        # The kept file becomes the proof's, unmoved.
                        **_picture(shot.field_key, shot.file.name, shot),
                    )
                    for shot in taken
                ]
            )
            if kept:  # the same rows, checked above
                KeptScreenshot.objects.filter(assignment=locked).delete()
            replaced = [shot.file.name for key, shot in kept.items() if key in images]
            if replaced:
                transaction.on_commit(lambda: files_delete(replaced), robust=True)
            assignment_move(
                locked.pk,
                (locked.status,),
                AssignmentStatus.SUBMITTED,
                by=worker,
                submitted_at=now,
                review_due_at=now + timedelta(hours=campaign.time_to_rate_hours),
            )
            if locked.is_gold:
                _gold_decide(locked, campaign, clean, now=now)
            elif coded and campaign.auto_approve_code:  # the code matched, or it was refused
                assignments_approve(
                    [locked.pk],
                    (AssignmentStatus.SUBMITTED,),
                    by=None,
                    reason="code",
                    reviewed_at=now,
                )
    except Exception:
        # Nothing refers to the new files: leave none behind (kept ones stay kept).
        files_delete(name for _key, _image, name in stored)
        raise
    return submission


def _gold_decide(locked: Assignment, campaign: Campaign, answers: dict, *, now) -> None:
    """A check task's answer, decided at once by Kaaj (``tasks.gold``): right, it is approved
    and Kaaj pays; wrong, it is rejected with the reason (open to dispute, as any rejection)
    and the worker's stop from the campaign is looked at."""
    wrong = gold.wrong_answers(locked.task.input, answers)
    if not wrong:
        assignments_approve(
            [locked.pk], (AssignmentStatus.SUBMITTED,), by=None, reason="gold", reviewed_at=now
        )
        return
    labels = {f["key"]: f["label"] for f in campaign.proof_fields}
    reason = _(
        "This was a check task: the answer to “%(proofs)s” is not the one expected. If you "
        "are sure it is right, dispute it."
    ) % {"proofs": "”, “".join(labels.get(key, key) for key in wrong)}
    moved = assignment_move(
        locked.pk,
        (AssignmentStatus.SUBMITTED,),
        AssignmentStatus.REJECTED,
        by=None,
        reason=reason,
        review_reason=reason,
        reviewed_at=now,
        dispute_until=now + timedelta(days=settings.DISPUTE_WINDOW_DAYS),
    )
    gold_stop_review(campaign=campaign, worker=moved.worker)


def screenshots_keep(*, assignment: Assignment, stored: list[tuple[str, object, str]]) -> list:
    """Keep checked screenshots, already in storage, against an assignment still waiting for
    proof: one per field, a newer one replacing the older (whose file is deleted after
    commit). Under the assignment's row lock, as its end (which discards them) is; when the
    claim has ended meanwhile, nothing is kept and the files are deleted."""
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status not in (AssignmentStatus.CLAIMED, AssignmentStatus.REVISION_REQUESTED):
            transaction.on_commit(lambda: files_delete(name for _k, _i, name in stored))
            return []
        keys = [key for key, _image, _name in stored]
        older = KeptScreenshot.objects.filter(assignment=locked, field_key__in=keys)
        replaced = list(older.values_list("file", flat=True))
        older.delete()
        kept = KeptScreenshot.objects.bulk_create(
            [
                KeptScreenshot(assignment=locked, **_picture(key, name, image))
                for key, image, name in stored
            ]
        )
        if replaced:
            transaction.on_commit(lambda: files_delete(replaced), robust=True)
    return kept


def kept_screenshot_forget(*, kept: KeptScreenshot, worker: User) -> None:
    """The worker removes a kept screenshot (to send another, or none): the row goes now,
    the file after commit. Under the assignment's row lock, as every change of them is."""
    if kept.assignment.worker_id != worker.pk:
        raise not_found()
    with transaction.atomic():
        Assignment.objects.select_for_update().only("pk").get(pk=kept.assignment_id)
        deleted, _rows = KeptScreenshot.objects.filter(pk=kept.pk).delete()
        if deleted:
            name = kept.file.name
            transaction.on_commit(lambda: default_storage.delete(name), robust=True)


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


def _picture(key: str, file: str, image) -> dict:
    """The columns a proof's screenshot and a kept one share: its field, its file, and what
    the check found (``image``: a CleanImage, or a KeptScreenshot handed on to the proof)."""
    return {
        "field_key": key,
        "file": file,
        "content_type": image.content_type,
        "width": image.width,
        "height": image.height,
        "phash": image.phash,
    }
