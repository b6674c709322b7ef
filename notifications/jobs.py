"""Celery jobs of the notifications app: each takes ids (or nothing) and calls a service."""

from celery import shared_task

from notifications import events, services


@shared_task(
    name="notifications.email",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=6,
)
def notification_email(notification_id: int) -> bool:
    """Mail one notification; safe to run twice (the service mails once)."""
    return services.notification_email_send(notification_id=notification_id)


@shared_task(name="notifications.send_digests")
def send_digests() -> int:
    return services.digests_send_due()


@shared_task(name="notifications.warn_expiring_claims")
def warn_expiring_claims() -> int:
    return services.claims_warn_expiring()


@shared_task(name="notifications.sweep_emails")
def sweep_emails() -> int:
    return services.notification_emails_sweep()


@shared_task(name="notifications.saved_searches")
def saved_searches(campaign_id: int) -> int:
    """Tell the workers whose saved search a campaign just live meets; safe to run twice
    (each worker is told once per campaign)."""
    return events.saved_searches_matched(campaign_id=campaign_id)
