"""The clock of the work loop. Each job is batched, idempotent and safe to run concurrently
(rows are taken with SKIP LOCKED and moved conditionally)."""

from celery import shared_task

from tasks import services


@shared_task(name="tasks.expire_claims")
def expire_claims() -> int:
    return services.assignments_expire_due()


@shared_task(name="tasks.auto_approve")
def auto_approve() -> int:
    return services.submissions_auto_approve_due()


@shared_task(name="tasks.close_dispute_windows")
def close_dispute_windows() -> int:
    return services.dispute_windows_close_due()


@shared_task(name="tasks.expire_campaigns")
def expire_campaigns() -> int:
    return services.campaigns_expire_due()


@shared_task(name="tasks.complete_campaigns")
def complete_campaigns() -> int:
    return services.campaigns_complete_due()
