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
