"""Private files — proof screenshots and dispute evidence — and who may see them.

They are never at a public URL: the files live under ``private/`` in storage, which nothing
serves, and pages and API alike stream them through :func:`private_file_response` after
fetching the row with the one rule (:func:`screenshot_for`, :func:`kept_screenshot_for`,
:func:`dispute_for`): the assignment's worker, the campaign's employer and moderators see
them; for anybody else the row does not exist (404).
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from accounts.models import User

from .dispute_selectors import disputes_with_parties
from .models import Assignment, Dispute, KeptScreenshot, Screenshot


def may_see_proof(user: User, assignment: Assignment) -> bool:
    """The assignment's worker, its campaign's employer, or a moderator."""
    return user.pk in (assignment.worker_id, assignment.campaign.employer_id) or bool(
        getattr(user, "is_moderator", False)
    )


def screenshot_for(user: User, pk: int) -> Screenshot:
    """A proof screenshot this user may see, or 404."""
    shot = get_object_or_404(
        Screenshot.objects.select_related("submission__assignment__campaign"), pk=pk
    )
    if not may_see_proof(user, shot.submission.assignment):
        raise Http404
    return shot


def kept_screenshot_for(user: User, pk: int) -> KeptScreenshot:
    """A screenshot kept from a proof sent back with an error, for those who may see its
    assignment's proofs, or 404."""
    kept = get_object_or_404(KeptScreenshot.objects.select_related("assignment__campaign"), pk=pk)
    if not may_see_proof(user, kept.assignment):
        raise Http404
    return kept


def dispute_for(user: User, pk: int) -> Dispute:
    """A dispute this user may see (its two sides and moderators), or 404."""
    dispute = get_object_or_404(disputes_with_parties(Dispute.objects), pk=pk)
    if not may_see_proof(user, dispute.assignment):
        raise Http404
    return dispute


def private_file_response(file: FieldFile, *, content_type: str, filename: str) -> FileResponse:
    """Stream a private image inline, cached only by the reader's browser, never sniffed."""
    if not file:
        raise Http404
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def screenshot_response(shot: Screenshot) -> FileResponse:
    return private_file_response(
        shot.file,
        content_type=shot.content_type,
        filename=f"screenshot-{shot.pk}.{shot.extension}",
    )


def kept_screenshot_response(kept: KeptScreenshot) -> FileResponse:
    return private_file_response(
        kept.file, content_type=kept.content_type, filename=f"kept-{kept.pk}.{kept.extension}"
    )


def evidence_response(dispute: Dispute) -> FileResponse:
    return private_file_response(
        dispute.evidence,
        content_type=dispute.evidence_content_type,
        filename=f"dispute-{dispute.pk}.{dispute.evidence_extension}",
    )
