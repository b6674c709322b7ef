"""The same webhook delivered concurrently, on real PostgreSQL with real threads."""

import pytest

from payments.models import Movement, WebhookEvent
from payments.selectors import balances_of, ledger_violations

from .helpers import run_together
from .test_deposits import deliver, event_payload, open_deposit

THREADS = 8


def run_at_once(work) -> list:
    """Every thread delivers without error; returns their results."""
    results = run_together(THREADS, work)
    assert not any(isinstance(result, Exception) for result in results), results
    return results


@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_concurrently_credits_once(employer):
    deposit = open_deposit(employer)
    payload = event_payload(deposit, event_id="evt_concurrent")

    results = run_at_once(lambda _: deliver(payload))

    assert sum(acted for _, acted in results) == 1
    assert WebhookEvent.objects.count() == 1
    assert balances_of(employer).available_cents == 2_500
    assert Movement.objects.filter(idempotency_key=f"deposit:{deposit.pk}").count() == 1
    assert ledger_violations() == []


@pytest.mark.django_db(transaction=True)
def test_completed_and_succeeded_events_racing_each_other_credit_once(employer):
    deposit = open_deposit(employer)
    payloads = [
        event_payload(deposit, "checkout.session.completed"),
        event_payload(deposit, "checkout.session.async_payment_succeeded"),
    ] * (THREADS // 2)

    run_at_once(lambda index: deliver(payloads[index]))

    assert WebhookEvent.objects.count() == 2
    deposit.refresh_from_db()
    assert deposit.status == "paid"
    assert balances_of(employer).available_cents == 2_500
    assert Movement.objects.count() == 1
    assert ledger_violations() == []
