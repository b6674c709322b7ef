"""Helpers the payments tests share: money from outside, and threads that race."""

import threading

from django.db import connection

from payments.models import AccountKind, MovementKind
from payments.services.ledger import Leg, Posting, ledger_post, system_account, wallet_account


def give(user, cents: int, key: str = "seed"):
    """Put ``cents`` into the user's wallet from a test clearing account; returns the
    movement."""
    posting = Posting(
        kind=MovementKind.DEPOSIT,
        idempotency_key=f"test:{key}:{user.pk}",
        reference=f"test:{key}",
        legs=(Leg(system_account(AccountKind.DEPOSITS, "test"), wallet_account(user), cents),),
    )
    return ledger_post(posting)[0]


def run_together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released at once by a barrier; each thread has
    its own database connection. Returns each thread's result, or the exception it met."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # the caller inspects what each thread met
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
