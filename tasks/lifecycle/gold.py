"""A worker's stop from a campaign by its check tasks (``tasks.gold``), kept in step with
their answers: written when their accuracy falls under the campaign's threshold, lifted when
it is back over it (a dispute decided for them). Looked at after every check task decided:
wrong at submit (``tasks.services.assignments``), right at submit or on a dispute
(``tasks.lifecycle.assignments.assignments_approve``).

One worker's reviews are serialised by an advisory lock, so two answers decided at once
write one stop, and the notification goes out once.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from accounts.models import User
from core import locks
from tasks.gold import stops
from tasks.models import Campaign, GoldStop
from tasks.selectors import gold_accuracy
from tasks.signals import gold_stop_changed

GOLD_LOCK = locks.GOLD_STOP  # pg_advisory_xact_lock(GOLD_LOCK, worker id): one worker's stops


def gold_stop_review(*, campaign: Campaign, worker: User) -> GoldStop | None:
    """Stop the worker from the campaign, or let them back, as their accuracy now says;
    returns the stop that stands (None: they may work on it). Needs an open transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [GOLD_LOCK, worker.pk])
    accuracy = gold_accuracy(campaign_id=campaign.pk, worker_id=worker.pk)
    stop = GoldStop.objects.filter(campaign=campaign, worker=worker, lifted_at=None).first()
    stopped = stops(
        accuracy, min_answers=campaign.gold_min_answers, min_accuracy=campaign.gold_min_accuracy
    )
    if stopped and stop is None:
        stop = GoldStop.objects.create(
            campaign=campaign, worker=worker, answered=accuracy.answered, right=accuracy.right
        )
        stop.campaign = campaign
        gold_stop_changed.send(sender=GoldStop, stop=stop, stopped=True)
    elif stop is not None and not stopped:
        stop.lifted_at = timezone.now()
        stop.lift_reason = "accuracy"
        stop.save(update_fields=["lifted_at", "lift_reason"])
        stop.campaign = campaign
        gold_stop_changed.send(sender=GoldStop, stop=stop, stopped=False)
        return None
    return stop
