"""Qualification tests: an employer (or a moderator, for the platform) writes one; a worker
takes it, is graded at once, and holds the qualification from their first pass.

Campaigns name the qualifications they require (``Campaign.qualifications``), and
``workers.eligibility`` holds a worker to them, in the feed and at the claim alike.

Locking: one worker's attempts at one test are serialised by an advisory lock
(:data:`ATTEMPT_LOCK`), so two tabs cannot both slip past the retake wait or pass twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.timezones import format_time
from core import locks
from core.errors import DomainError, not_found
from tasks import qualifications as rules
from tasks.models import HeldQualification, Qualification, QualificationAttempt

ATTEMPT_LOCK = locks.ATTEMPT  # pg_advisory_xact_lock(ATTEMPT_LOCK, worker id)


@dataclass(frozen=True)
class QualificationSpec:
    """Everything its author chooses about a test (limits: ``tasks.qualifications``)."""

    name: str
    questions: list[dict]
    pass_mark: int
    description: str = ""
    retake_after_hours: int = 24
    is_active: bool = True


def _checked(spec: QualificationSpec) -> dict:
    """The spec's fields as stored, or DomainError naming the field."""
    name = spec.name.strip()
    if not name:
        raise DomainError("invalid", _("Give the test a name."), field="name")
    if len(name) > rules.NAME_MAX_CHARS:
        raise DomainError(
            "invalid",
            _("Keep the name under %(n)s characters.") % {"n": rules.NAME_MAX_CHARS},
            field="name",
        )
    if len(spec.description.strip()) > rules.DESCRIPTION_MAX_CHARS:
        raise DomainError(
            "invalid",
            _("Keep the description under %(n)s characters.") % {"n": rules.DESCRIPTION_MAX_CHARS},
            field="description",
        )
    if not 1 <= spec.pass_mark <= 100:
        raise DomainError(
            "invalid", _("The pass mark is a percent, from 1 to 100."), field="pass_mark"
        )
    if not 0 <= spec.retake_after_hours <= rules.RETAKE_AFTER_HOURS_MAX:
        raise DomainError(
            "invalid",
            _("The wait before a retake is 0 to %(n)s hours.")
            % {"n": rules.RETAKE_AFTER_HOURS_MAX},
            field="retake_after_hours",
        )
    return {
        "name": name,
        "description": spec.description.strip(),
        "questions": rules.questions_check(spec.questions),
        "pass_mark": spec.pass_mark,
        "retake_after_hours": spec.retake_after_hours,
        "is_active": spec.is_active,
    }


def qualification_create(
    *, by: User, spec: QualificationSpec, platform: bool = False
) -> Qualification:
    """A new test: the author's own, or (``platform``, moderators only) the platform's, which
    every employer may require."""
    if platform and not by.is_moderator:
        raise DomainError(
            "permission_denied", _("Only moderators write the platform's tests."), status=403
        )
    return Qualification.objects.create(
        owner=None if platform else by, created_by=by, **_checked(spec)
    )


def qualification_update(*, qualification: Qualification, by: User, spec: QualificationSpec):
    """Change a test (its owner; a moderator for the platform's). Workers who passed it keep
    the qualification; a retired test can no longer be taken."""
    if not may_edit(qualification, by):
        raise not_found()
    for name, value in _checked(spec).items():
        setattr(qualification, name, value)
    qualification.updated_at = timezone.now()
    qualification.save()
    return qualification


def may_edit(qualification: Qualification, user: User) -> bool:
    """Who may change a test and read its answers: its owner, or a moderator for the
    platform's."""
    if qualification.owner_id is None:
        return bool(user.is_moderator)
    return qualification.owner_id == user.pk


@dataclass(frozen=True)
class AttemptResult:
    attempt: QualificationAttempt
    retry_after: datetime | None  # when a failed attempt may be taken again


def qualification_attempt(
    *, qualification: Qualification, worker: User, answers: object, now: datetime | None = None
) -> AttemptResult:
    """Grade the worker's ``answers`` (one per question, in order: a choice's index or a
    short text) and record the attempt; on a pass the worker holds the qualification.

    Refuses (DomainError, nothing recorded): a retired test (``qualification_closed``),
    one's own (``own_qualification``), one already held (``already_qualified``), a retake
    before the test's wait is over (``retry_later``), answers that are not one per question
    (``invalid``)."""
    now = now or timezone.now()
    if not qualification.is_active:
        raise DomainError(
            "qualification_closed", _("This test is closed: it cannot be taken."), status=409
        )
    if qualification.owner_id == worker.pk:
        raise DomainError("own_qualification", _("You cannot take your own test."), status=403)
    graded = rules.grade(qualification.questions, answers)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ATTEMPT_LOCK, worker.pk])
        if HeldQualification.objects.filter(qualification=qualification, worker=worker).exists():
            raise DomainError(
                "already_qualified", _("You already hold this qualification."), status=409
            )
        wait = retry_after(qualification, worker, now=now)
        if wait is not None:
            raise DomainError(
                "retry_later",
                _("You can take this test again from %(time)s.") % {"time": format_time(wait)},
                status=409,
            )
        passed = graded.score >= qualification.pass_mark
        attempt = QualificationAttempt.objects.create(
            qualification=qualification,
            worker=worker,
            answers=graded.answers,
            score=graded.score,
            passed=passed,
            created_at=now,
        )
        if passed:
            HeldQualification.objects.create(
                qualification=qualification, worker=worker, attempt=attempt, granted_at=now
            )
    return AttemptResult(attempt, None if passed else _retake_at(qualification, now))


def retry_after(
    qualification: Qualification, worker: User, *, now: datetime | None = None
) -> datetime | None:
    """When the worker may take the test again after their last failed attempt, if that is
    still to come; None when they may take it now."""
    last = (
        QualificationAttempt.objects.filter(qualification=qualification, worker=worker)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return None
    at = _retake_at(qualification, last)
    return at if at > (now or timezone.now()) else None


def retake_wait(qualification: Qualification, *, now: datetime | None = None) -> datetime | None:
    """:func:`retry_after` for a test from ``tasks.selectors.qualifications_for`` (its
    reader's ``held`` and ``last_attempt`` read with it): no query."""
    if qualification.held or qualification.last_attempt is None:
        return None
    at = _retake_at(qualification, qualification.last_attempt)
    return at if at > (now or timezone.now()) else None


def _retake_at(qualification: Qualification, attempted: datetime) -> datetime:
    return attempted + timedelta(hours=qualification.retake_after_hours)
