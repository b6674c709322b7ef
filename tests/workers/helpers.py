"""Builders for the workers' tests: a record of past work, written straight as rows."""

from datetime import timedelta

from django.utils import timezone

from tasks.models import Assignment, AssignmentStatus, Campaign, Category, Task, TaskStatus

A = AssignmentStatus


def past(worker, employer, *, approved=0, rejected=0, days_ago=1, status=A.REJECTED, gold=False):
    """Reviewed work of ``worker`` on a finished campaign of ``employer``, sent and reviewed
    ``days_ago``: the rejected assignments."""
    campaign = Campaign.objects.create(
        employer=employer,
        title=f"Past work {Campaign.objects.count()}",
        category=Category.objects.get(slug="sign-up"),
        instructions="Sign up.",
        reward_cents=50,
        positions=approved + rejected,
        status="completed",
    )
    tasks = Task.objects.bulk_create(
        Task(campaign=campaign, number=n + 1, status=TaskStatus.PAID)
        for n in range(approved + rejected)
    )
    at = timezone.now() - timedelta(days=days_ago)
    rows = Assignment.objects.bulk_create(
        Assignment(
            task=task,
            campaign=campaign,
            worker=worker,
            status=A.APPROVED if n < approved else status,
            expires_at=at,
            submitted_at=at,
            reviewed_at=at,
            review_reason="" if n < approved else f"Wrong username {n}",
            is_gold=gold,
        )
        for n, task in enumerate(tasks)
    )
    return [row for row in rows if row.status != A.APPROVED]
