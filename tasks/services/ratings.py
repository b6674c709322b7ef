"""Fair ratings: a worker rates a campaign's employer, the employer answers, anybody reports
a rating that is abusive, a moderator hides it or keeps it.

Who may rate: a worker with an assignment of the campaign that the employer has decided —
approved, rejected (final or not), or rejected and now in dispute (``RATABLE_STATUSES``). A
check task's (``is_gold``) does not count: Kaaj decides those against the expected answer,
never the employer, so they tell the worker nothing about the employer's pay, clarity or
speed of review — and they must not let a worker rate a campaign whose real work they never
did. One rating per worker per campaign (the table's unique constraint: two racing first
ratings write one row, the second an edit of it).

Editing: the worker may change the rating for RATING_EDIT_DAYS after first giving it; the
employer answers each rating whenever they like, once, and may change the answer for
RATING_EDIT_DAYS after first giving it. Refused past that: ``edit_window_closed`` (409).

Averages (``tasks.selectors.EmployerStats``) count visible ratings only; every write that
changes what they count (a rating given or changed, hidden) forgets the employer's cached
record. The employer hears of a new rating (``tasks.signals.employer_rated``), not of edits.

Ratings are shown without the worker's name, to anybody but moderators: the employer could
otherwise answer a low rating by blocking or rejecting its author.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import ensure_not_own_case
from accounts.services import audit_record
from core.errors import DomainError, not_found
from tasks import limits
from tasks.models import REVIEWED_STATUSES, Assignment, AssignmentStatus, Campaign, EmployerRating
from tasks.selectors import employer_stats_forget
from tasks.signals import employer_rated, rating_answered

from .reviews import reason_check

# The assignments whose worker may rate the employer: decided by the employer (a disputed
# one was rejected first).
RATABLE_STATUSES = (*REVIEWED_STATUSES, AssignmentStatus.DISPUTED)


def rating_check(*, pay: int, clarity: int, speed: int, comment: str) -> str:
    """What a rating may be (``tasks.limits``): the comment, stripped. Raises DomainError
    ``invalid`` on the first wrong field, for every way in."""
    for field, score in (("pay", pay), ("clarity", clarity), ("speed", speed)):
        if not (
            isinstance(score, int) and limits.RATING_SCORE_MIN <= score <= limits.RATING_SCORE_MAX
        ):
            raise DomainError(
                "invalid",
                _("Choose from %(least)s to %(most)s.")
                % {"least": limits.RATING_SCORE_MIN, "most": limits.RATING_SCORE_MAX},
                field=field,
            )
    return _text_check(comment, field="comment", most=limits.RATING_COMMENT_MAX_CHARS)


def _text_check(text: str, *, field: str, most: int) -> str:
    text = (text or "").strip()
    if len(text) > most:
        raise DomainError(
            "invalid", _("Keep it under %(n)s characters.") % {"n": most}, field=field
        )
    return text


def rating_may_rate(*, campaign: Campaign, worker: User) -> bool:
    """Whether ``worker`` has work in ``campaign`` that its employer decided (a check task's
    aside): what lets them rate it."""
    return (
        campaign.employer_id != worker.pk
        and Assignment.objects.filter(
            campaign=campaign, worker=worker, status__in=RATABLE_STATUSES, is_gold=False
        ).exists()
    )


def editable_until(since: datetime) -> datetime:
    """The end of the window to change a rating (or an answer) first given at ``since``."""
    return since + timedelta(days=limits.RATING_EDIT_DAYS)


def _window_check(since: datetime, now: datetime, message: str) -> None:
    if now > editable_until(since):
        raise DomainError("edit_window_closed", message, status=409)


def _hidden() -> DomainError:
    return DomainError(
        "rating_hidden", _("A moderator hid this rating: it cannot change."), status=409
    )


def _hidden_check(rating: EmployerRating) -> None:
    if rating.hidden_at is not None:
        raise _hidden()


def rating_save(
    *, campaign: Campaign, worker: User, pay: int, clarity: int, speed: int, comment: str = ""
) -> tuple[EmployerRating, bool]:
    """Rate ``campaign``'s employer as ``worker``, or change their rating:
    ``(rating, created)``.

    Raises DomainError ``invalid`` (400), ``own_campaign`` (403), ``not_decided`` (409: no
    decided work of theirs in it yet), ``edit_window_closed`` or ``rating_hidden`` (409).
    The employer's cached record is forgotten; a new rating is announced (the employer is
    told) in the same transaction."""
    comment = rating_check(pay=pay, clarity=clarity, speed=speed, comment=comment)
    if campaign.employer_id == worker.pk:
        raise DomainError("own_campaign", _("You cannot rate yourself as an employer."), status=403)
    if not rating_may_rate(campaign=campaign, worker=worker):
        raise DomainError(
            "not_decided",
            _("You can rate the employer once they have decided on your work here."),
            status=409,
        )
    scores = {"pay": pay, "clarity": clarity, "speed": speed, "comment": comment}
    try:
        with transaction.atomic():
            return _rating_write(campaign, worker, scores)
    except IntegrityError:  # a first rating raced ours and won: ours changes it
        with transaction.atomic():
            return _rating_write(campaign, worker, scores)


def _rating_write(campaign: Campaign, worker: User, scores: dict) -> tuple[EmployerRating, bool]:
    now = timezone.now()
    rating = (
        EmployerRating.objects.select_for_update().filter(campaign=campaign, worker=worker).first()
    )
    created = rating is None
    if created:
        rating = EmployerRating.objects.create(
            campaign=campaign,
            worker=worker,
            employer_id=campaign.employer_id,
            created_at=now,
            updated_at=now,
            **scores,
        )
    else:
        _hidden_check(rating)
        _window_check(
            rating.created_at,
            now,
            _("A rating can be changed for %(n)s days after it was given.")
            % {"n": limits.RATING_EDIT_DAYS},
        )
        for name, value in scores.items():
            setattr(rating, name, value)
        rating.updated_at = now
        rating.save(update_fields=[*scores, "updated_at"])
    rating.campaign, rating.worker = campaign, worker
    employer_stats_forget([campaign.employer_id])
    employer_rated.send(sender=EmployerRating, rating=rating, created=created)
    return rating, created


def rating_answer(*, rating: EmployerRating, by: User, answer: str) -> EmployerRating:
    """The employer's answer to a rating of theirs, shown under it; given once, changed for
    RATING_EDIT_DAYS after that.

    Raises DomainError ``not_found`` (404: not their rating), ``answer_required`` or
    ``invalid`` (400), ``rating_hidden`` or ``edit_window_closed`` (409)."""
    if rating.employer_id != by.pk:
        raise not_found()
    answer = _text_check(answer, field="answer", most=limits.RATING_ANSWER_MAX_CHARS)
    if not answer:
        raise DomainError(
            "answer_required", _("Write your answer: workers read it."), field="answer"
        )
    now = timezone.now()
    with transaction.atomic():
        row = EmployerRating.objects.select_for_update().get(pk=rating.pk)
        _hidden_check(row)
        if row.answered_at is not None:
            _window_check(
                row.answered_at,
                now,
                _("An answer can be changed for %(n)s days after it was given.")
                % {"n": limits.RATING_EDIT_DAYS},
            )
        first = row.answered_at is None
        row.answer, row.answered_at = answer, row.answered_at or now
        row.save(update_fields=["answer", "answered_at"])
        if first:  # the worker hears of the answer once, not of each change to it
            rating_answered.send(sender=EmployerRating, rating=row)
    rating.answer, rating.answered_at = row.answer, row.answered_at
    return rating


def rating_report(*, rating: EmployerRating, by: User, reason: str) -> EmployerRating:
    """Report a rating as abusive: it waits on the moderators' flags page until one hides or
    keeps it. Anybody who may read it but its author; a second report while one waits
    changes nothing (the first reason stands).

    Raises DomainError ``own_rating`` (403), ``reason_required`` or ``invalid`` (400),
    ``rating_hidden`` (409)."""
    if rating.worker_id == by.pk:
        raise DomainError("own_rating", _("You cannot report your own rating."), status=403)
    reason = reason_check(reason, missing=_("Say what is wrong with this rating."))
    _hidden_check(rating)
    EmployerRating.objects.filter(
        pk=rating.pk, reported_at__isnull=True, hidden_at__isnull=True
    ).update(reported_at=timezone.now(), reported_by=by, report_reason=reason)
    rating.refresh_from_db()
    return rating


def _moderation_check(rating: EmployerRating, by: User, reason: str) -> str:
    if not by.is_moderator:
        raise DomainError("permission_denied", _("Only moderators decide on ratings."), status=403)
    ensure_not_own_case(
        actor=by,
        parties=[rating.worker_id, rating.employer_id],
        message=_("You wrote this rating or it is about you: another moderator must decide."),
    )
    return reason_check(reason, missing=_("Write the reason for your decision."))


def _audit(rating: EmployerRating, by: User, decision: str, reason: str) -> None:
    audit_record(
        actor=by,
        action=f"rating.{decision}",
        target=rating,
        reason=reason,
        details={"employer_id": rating.employer_id, "campaign_id": rating.campaign_id},
    )


def rating_hide(*, rating: EmployerRating, by: User, reason: str) -> EmployerRating:
    """A moderator hides a rating (reported or not): out of every public list and of the
    employer's averages (their cached record forgotten), for good; audited.

    Raises DomainError ``permission_denied`` or ``own_case`` (403), ``reason_required``
    (400), ``rating_hidden`` (409: hidden already)."""
    reason = _moderation_check(rating, by, reason)
    with transaction.atomic():
        if not EmployerRating.objects.filter(pk=rating.pk, hidden_at__isnull=True).update(
            hidden_at=timezone.now(), hidden_by=by, hidden_reason=reason
        ):
            raise _hidden()
        _audit(rating, by, "hide", reason)
        employer_stats_forget([rating.employer_id])
    rating.refresh_from_db()
    return rating


def rating_keep(*, rating: EmployerRating, by: User, reason: str) -> EmployerRating:
    """A moderator keeps a reported rating: the report is cleared (it may be reported
    again); audited.

    Raises DomainError ``permission_denied`` or ``own_case`` (403), ``reason_required``
    (400), ``not_reported`` (409: no report waits, or it is hidden)."""
    reason = _moderation_check(rating, by, reason)
    with transaction.atomic():
        if not EmployerRating.objects.filter(
            pk=rating.pk, reported_at__isnull=False, hidden_at__isnull=True
        ).update(reported_at=None, reported_by=None, report_reason=""):
            raise DomainError(
                "not_reported", _("No report of this rating waits for a decision."), status=409
            )
        _audit(rating, by, "keep", reason)
    rating.refresh_from_db()
    return rating


# A moderator's decisions on a rating, by the name the page's buttons and the API send.
RATING_DECISIONS: dict[str, Callable[..., EmployerRating]] = {
    "hide": rating_hide,
    "keep": rating_keep,
}
