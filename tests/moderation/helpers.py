"""Builders for the moderation tests: a second moderator, rows planted for the flags."""

from datetime import timedelta

from django.utils import timezone

from accounts.services import moderator_grant
from tasks.models import Assignment, AssignmentStatus, Screenshot, Submission

from ..factories import UserFactory, two_step_on
from ..tasks.helpers import active_campaign


def another_moderator():
    return two_step_on(moderator_grant(user=UserFactory(email="second.moderator@example.com")))


def reviewed(campaign, statuses: list[str], *, workers=None, days_ago: int = 1) -> list:
    """One reviewed assignment per status on the campaign's tasks, each by its own worker
    (or by ``workers[i]``), reviewed ``days_ago`` days ago."""
    at = timezone.now() - timedelta(days=days_ago)
    tasks = list(campaign.tasks.order_by("number")[: len(statuses)])
    assert len(tasks) == len(statuses), "the campaign needs a task per status"
    rows = [
        Assignment(
            task=task,
            campaign=campaign,
            worker=workers[i] if workers else UserFactory(),
            status=status,
            claimed_at=at - timedelta(hours=1),
            expires_at=at,
            submitted_at=at - timedelta(minutes=30),
            reviewed_at=at,
            updated_at=at,
        )
        for i, (task, status) in enumerate(zip(tasks, statuses, strict=True))
    ]
    return Assignment.objects.bulk_create(rows)


def employer_with_reviews(moderator, *, approved: int, rejected: int, **campaign):
    employer = UserFactory()
    total = approved + rejected
    live = active_campaign(
        employer,
        moderator,
        positions=total,
        fund=total * 100,
        title=f"By {employer.pk}",
        **campaign,
    )
    reviewed(live, [AssignmentStatus.APPROVED] * approved + [AssignmentStatus.REJECTED] * rejected)
    return employer


def screenshot_of(assignment, *, phash: int, duplicate_of=None, days_ago: int = 0):
    submission = Submission.objects.create(assignment=assignment, answers={})
    return Screenshot.objects.create(
        submission=submission,
        field_key="proof",
        file=f"private/test-{assignment.pk}-{phash}.png",
        content_type="image/png",
        width=10,
        height=10,
        phash=phash,
        duplicate_of=duplicate_of,
        created_at=timezone.now() - timedelta(days=days_ago),
    )
