"""The workers' clock: levels that time alone changes (an account's age, the success-rate
window moving on)."""

from celery import shared_task

from .levels import levels_recompute


@shared_task(name="workers.recompute_levels")
def recompute_levels() -> int:
    return levels_recompute()
