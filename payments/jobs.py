"""Celery jobs of payments. Each takes ids (or nothing), calls services, and is safe to run
twice or concurrently."""

import logging

from celery import shared_task

from payments.selectors import ledger_violations

logger = logging.getLogger(__name__)


@shared_task(name="payments.ledger_check_daily")
def ledger_check_daily() -> int:
    """The daily proof of the books; an error in the log (and to admins) if it fails."""
    violations = ledger_violations()
    for violation in violations:
        logger.error("ledger invariant violated: [%s] %s", violation.rule, violation.detail)
    if not violations:
        logger.info("ledger check: all invariants hold")
    return len(violations)


# A payout job whose worker process died (killed, out of memory) goes back to the queue
# instead of being dropped as failed (Celery's default, even with late acknowledgement),
# because running it again cannot pay twice: each payout is claimed (requested → processing)
# or leased before the provider is called, with the payout's id as idempotency key. A payout
# the dead run had not claimed yet is sent by the rerun; one it had claimed is processing, so
# the rerun finds nothing to claim, and payouts_retry_stuck asks the provider again with the
# same key. (A job that killed its worker before any claim would come back each time; these
# jobs only query PostgreSQL before that.)
PAYOUT_JOB = {"reject_on_worker_lost": True}


@shared_task(name="payments.payout_send", **PAYOUT_JOB)
def payout_send_job(payout_id: int) -> str:
    """Send one requested Stripe payout; enqueued when the worker asks for it."""
    from payments.services.payouts import payout_send

    payout = payout_send(payout_id=payout_id)
    return payout.status if payout else "skipped"


@shared_task(name="payments.payouts_send_requested", **PAYOUT_JOB)
def payouts_send_requested_job() -> int:
    """Every minute: send requested Stripe payouts whose own job never ran (broker down)."""
    from payments.services.payouts import payouts_send_requested

    return payouts_send_requested()


@shared_task(name="payments.payouts_retry_stuck", **PAYOUT_JOB)
def payouts_retry_stuck_job() -> int:
    """Every 5 minutes: ask Stripe again, with the same key, about payouts left processing."""
    from payments.services.payouts import payouts_retry_stuck

    return payouts_retry_stuck()
