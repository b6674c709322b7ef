"""The workers' clock: levels that time alone changes (an account's age, the success-rate
window moving on), and the ladder before sanctions (employers' flags move with the
platform's rate; a lost receiver is caught up)."""

from celery import shared_task

from .levels import levels_recompute
from .sanctions import sanctions_evaluate_all


@shared_task(name="workers.recompute_levels")
def recompute_levels() -> int:
    return levels_recompute()


@shared_task(name="workers.evaluate_sanctions")
def evaluate_sanctions() -> int:
    return sanctions_evaluate_all()
