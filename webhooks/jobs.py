"""Celery jobs of webhooks: each takes ids (or nothing) and is safe to run twice or at once
(every send claims its delivery first)."""

from celery import shared_task

from webhooks.sending import deliveries_due_ids, deliveries_prune, delivery_send


@shared_task(name="webhooks.delivery_send")
def delivery_send_job(delivery_id: int) -> str:
    """One attempt at one delivery; enqueued after the emitting transaction commits."""
    delivery = delivery_send(delivery_id=delivery_id)
    return delivery.status if delivery else "skipped"


@shared_task(name="webhooks.send_due")
def send_due_job() -> int:
    """The sweeper (every 30 s): a send job for every due delivery (retries, and first sends
    whose job never ran). Duplicates of a job already queued are harmless: a send claims."""
    ids = deliveries_due_ids()
    for pk in ids:
        delivery_send_job.delay(pk)
    return len(ids)


@shared_task(name="webhooks.prune")
def prune_job() -> int:
    """Daily: forget finished deliveries older than WEBHOOKS_KEEP_DAYS."""
    return deliveries_prune()
