"""Payout races on real PostgreSQL: threads, a barrier, one connection each."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core.errors import DomainError
from payments.models import Movement, MovementKind, Payout, PayoutStatus
from payments.selectors import balances_of, ledger_violations
from payments.services.payouts import (
    payout_method_add,
    payout_request,
    payout_send,
    payouts_retry_stuck,
)
from payments.transfers import Outcome

from .helpers import give, run_together

pytestmark = pytest.mark.django_db(transaction=True)


class SlowCountingProvider:
    """Pays, slowly enough that a second caller would overlap; counts its calls."""

    name = "counting"

    def __init__(self) -> None:
        self.calls: Counter[int] = Counter()
        self._lock = threading.Lock()

    def send(self, payout) -> Outcome:
        with self._lock:
            self.calls[payout.pk] += 1
        time.sleep(0.2)
        return Outcome.paid(f"tr_counted_{payout.pk}")


def test_many_withdrawals_against_one_balance_never_overdraw(worker):
    give(worker, 1_000)
    method = payout_method_add(user=worker, kind="bkash", destination="01712345678", label="")

    results = run_together(
        10, lambda i: payout_request(user=worker, method=method, amount_cents=300)
    )

    won = [r for r in results if isinstance(r, Payout)]
    refused = [r for r in results if isinstance(r, DomainError) and r.code == "insufficient_funds"]
    assert (len(won), len(refused)) == (3, 7), results
    assert Payout.objects.count() == 3
    assert Movement.objects.filter(kind=MovementKind.PAYOUT_RESERVE).count() == 3
    assert balances_of(worker).available_cents == 100
    assert balances_of(worker).payout_cents == 900
    assert ledger_violations() == []


def test_the_payout_job_run_twice_at_once_calls_the_provider_once(worker):
    give(worker, 1_000)
    method = payout_method_add(user=worker, kind="stripe", destination="acct_1Race0000", label="")
    payout = payout_request(user=worker, method=method, amount_cents=700)
    provider = SlowCountingProvider()

    results = run_together(2, lambda i: payout_send(payout_id=payout.pk, provider=provider))

    assert provider.calls == {payout.pk: 1}
    assert sorted(r is None for r in results) == [False, True], results
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.attempts == 1
    assert (
        Movement.objects.filter(
            kind=MovementKind.PAYOUT_SETTLE, reference=f"payout:{payout.pk}"
        ).count()
        == 1
    )
    assert balances_of(worker).payout_cents == 0
    assert ledger_violations() == []


def test_two_sweepers_at_once_retry_a_stuck_payout_once(worker):
    give(worker, 1_000)
    method = payout_method_add(user=worker, kind="stripe", destination="acct_1Race0000", label="")
    payout = payout_request(user=worker, method=method, amount_cents=700)
    stale = timezone.now() - timedelta(seconds=settings.PAYOUT_RETRY_AFTER_SECONDS + 60)
    Payout.objects.filter(pk=payout.pk).update(
        status=PayoutStatus.PROCESSING, attempts=1, attempted_at=stale
    )
    provider = SlowCountingProvider()

    results = run_together(2, lambda i: payouts_retry_stuck(provider=provider))

    assert sorted(results) == [0, 1]
    assert provider.calls == {payout.pk: 1}
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.attempts == 2
    assert ledger_violations() == []
