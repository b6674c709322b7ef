"""The ``data`` of Kaaj's webhook events, built from the rows the announcing service holds.

The receivers (``webhooks.receivers``) pass assignment payloads to
:func:`webhooks.services.webhook_emit_many` *unbuilt* (loaders), so nothing is built, and no
query runs, when the employer has no endpoint for the event.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def campaign_data(campaign) -> dict:
    return {
        "campaign": {
            "id": campaign.pk,
            "title": campaign.title,
            "status": str(campaign.status),
            "decision_reason": campaign.decision_reason,
        }
    }


def assignment_data(assignment, *, answers: dict | None = None) -> dict:
    """``{"assignment": {...}}``; ``answers`` default to the latest submission's (one query)."""
    if answers is None:
        latest = assignment.submissions.order_by("-created_at", "-id").first()
        answers = latest.answers if latest else {}
    return {
        "assignment": {
            "id": assignment.pk,
            "status": str(assignment.status),
            "campaign": assignment.campaign_id,
            "task": assignment.task_id,
            "worker": assignment.worker_id,
            "submitted_at": _iso(assignment.submitted_at),
            "reviewed_at": _iso(assignment.reviewed_at),
            "review_reason": assignment.review_reason,
            "answers": answers,
            "check_task": assignment.is_gold,  # tasks.gold: paid by Kaaj, not from escrow
        }
    }


def assignment_events(assignments: list, event: str) -> list[tuple[int, str, object]]:
    """``(employer id, event, data loader)`` for :func:`webhooks.services.webhook_emit_many`.

    Their ``data`` is loaded for the whole batch on first use, in two queries (fresh rows
    and each one's latest answers), and not at all when nobody listens. The assignments need
    ``campaign`` loaded (for the employer)."""
    from tasks.models import Assignment, Submission

    cache: dict[int, dict] = {}

    def load(pk: int) -> dict:
        if not cache:
            ids = [a.pk for a in assignments]
            answers = dict(
                Submission.objects.filter(assignment_id__in=ids)
                .order_by("assignment_id", "-created_at", "-id")
                .distinct("assignment_id")
                .values_list("assignment_id", "answers")
            )
            for row in Assignment.objects.filter(pk__in=ids):
                cache[row.pk] = assignment_data(row, answers=answers.get(row.pk, {}))
        return cache[pk]

    return [(a.campaign.employer_id, event, partial(load, a.pk)) for a in assignments]
