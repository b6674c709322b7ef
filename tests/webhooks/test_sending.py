"""Sending: a real local receiver gets signed events; failures are retried by the sweeper
with backoff, then given up; one attempt is never sent twice at once; resend."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.errors import DomainError
from webhooks import jobs
from webhooks.models import Delivery, DeliveryStatus
from webhooks.sending import delivery_send, retry_delay
from webhooks.services import delivery_resend, endpoint_set_active, webhook_emit
from webhooks.signing import verify_signature

from ..payments.helpers import run_together
from .helpers import closed_port_url, endpoint_for

pytestmark = pytest.mark.django_db

DATA = {"assignment": {"id": 7, "status": "approved"}}


def emit(employer, django_capture_on_commit_callbacks, event="assignment.approved"):
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(employer=employer, event=event, data=DATA)
    return Delivery.objects.get(event=event)


def test_a_local_receiver_gets_a_signed_event_it_can_verify(
    employer, receiver, eager_jobs, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(employer, receiver.url)
    delivery = emit(employer, django_capture_on_commit_callbacks)

    [got] = receiver.requests
    assert verify_signature(endpoint.secret, got.body, got.headers["Kaaj-Signature"])
    assert not verify_signature("whsec_wrong", got.body, got.headers["Kaaj-Signature"])
    assert got.headers["Kaaj-Event"] == "assignment.approved"
    assert got.headers["Kaaj-Delivery"] == str(delivery.pk)
    assert got.headers["Content-Type"] == "application/json"
    payload = json.loads(got.body)
    assert payload["type"] == "assignment.approved" and payload["data"] == DATA
    assert payload["id"] == str(delivery.event_id)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.last_status_code) == (1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert delivery.last_response == '{"ok": true}'
    assert delivery.last_request_headers["Kaaj-Signature"] == got.headers["Kaaj-Signature"]


def test_nothing_is_sent_before_the_transaction_commits(
    employer, receiver, eager_jobs, django_capture_on_commit_callbacks
):
    endpoint_for(employer, receiver.url)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        webhook_emit(employer=employer, event="campaign.completed", data={})
    assert receiver.requests == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(receiver.requests) == 1


def _failing_receiver(kind, receiver, employer):
    if kind == "refused":
        return endpoint_for(employer, closed_port_url()), lambda: 0
    if kind == "timeout":
        receiver.delay = 1.0  # longer than any read timeout these tests set
    else:
        receiver.status = 500
    return endpoint_for(employer, receiver.url), lambda: len(receiver.requests)


@pytest.mark.parametrize("kind", ["http_500", "timeout", "refused"])
def test_a_failing_endpoint_is_retried_with_backoff_by_the_sweeper_then_failed(
    kind, employer, receiver, eager_jobs, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 4
    if kind == "timeout":
        # Four attempts each wait out the read timeout: a short one makes them as surely
        # time out (the receiver answers after a second) in a fifth of the time.
        settings.WEBHOOKS_TIMEOUT_SECONDS = 0.1
    _endpoint, received = _failing_receiver(kind, receiver, employer)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        delivery = emit(employer, django_capture_on_commit_callbacks)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
        assert delivery.last_error
        waits = []
        for attempt in (1, 2, 3):
            assert delivery.next_attempt_at == timezone.now() + retry_delay(attempt)
            waits.append(delivery.next_attempt_at - timezone.now())
            clock.move_to(delivery.next_attempt_at - timedelta(seconds=1))
            assert jobs.send_due_job() == 0  # not due yet: nothing sent
            clock.move_to(delivery.next_attempt_at)
            assert jobs.send_due_job() == 1
            delivery.refresh_from_db()
            assert delivery.attempts == attempt + 1
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30)]
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    if kind != "refused":
        assert received() == 4
    if kind == "http_500":
        assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    with time_machine.travel(start + timedelta(days=2), tick=False):
        assert jobs.send_due_job() == 0


def test_an_endpoint_that_recovers_gets_the_event_once(
    employer, receiver, eager_jobs, django_capture_on_commit_callbacks
):
    receiver.statuses = [500, 503]
    endpoint_for(employer, receiver.url)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        delivery = emit(employer, django_capture_on_commit_callbacks)
        for wait in (1, 5):
            clock.shift(timedelta(minutes=wait))
            jobs.send_due_job()
        clock.shift(timedelta(hours=3))
        assert jobs.send_due_job() == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("succeeded", 3, "")
    assert len(receiver.requests) == 3
    assert len({json.loads(r.body)["id"] for r in receiver.requests}) == 1


def test_redirects_are_not_followed(employer, receiver, django_capture_on_commit_callbacks):
    receiver.status, receiver.location = 302, "http://127.0.0.1:1/elsewhere"
    endpoint_for(employer, receiver.url)
    delivery = emit(employer, django_capture_on_commit_callbacks)
    delivery = delivery_send(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 302
    assert "redirect" in delivery.last_error and len(receiver.requests) == 1


def test_private_addresses_are_not_sent_to_in_production(
    employer, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_HTTP, settings.DEBUG = False, False
    endpoint_for(employer, "https://127.0.0.1:9/hooks")
    delivery = emit(employer, django_capture_on_commit_callbacks)
    delivery = delivery_send(delivery_id=delivery.pk)
    assert delivery.attempts == 1 and delivery.last_status_code is None
    assert "public" in delivery.last_error


def test_a_disabled_endpoint_waits_and_resumes_when_enabled(
    employer, receiver, eager_jobs, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(employer, receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(employer=employer, event="campaign.completed", data={})
    endpoint_set_active(endpoint=endpoint, by=employer, active=False)
    assert jobs.send_due_job() == 0 and receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        endpoint_set_active(endpoint=endpoint, by=employer, active=True)
    assert len(receiver.requests) == 1
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(employer=employer, event="campaign.expired", data={})
    assert len(receiver.requests) == 2


def test_resend_sends_the_same_event_again_with_a_fresh_signature(
    employer, receiver, eager_jobs, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(employer, receiver.url)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        delivery = emit(employer, django_capture_on_commit_callbacks)
        clock.shift(timedelta(seconds=10))
        with django_capture_on_commit_callbacks(execute=True):
            delivery_resend(delivery=delivery, by=employer)
    first, second = receiver.requests
    assert json.loads(first.body)["id"] == json.loads(second.body)["id"] == str(delivery.event_id)
    assert first.headers["Kaaj-Signature"] != second.headers["Kaaj-Signature"]
    assert verify_signature(
        endpoint.secret, second.body, second.headers["Kaaj-Signature"], now=start.timestamp() + 10
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_resend_gives_a_failed_delivery_one_more_attempt(
    employer, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    endpoint_for(employer, receiver.url)
    delivery = emit(employer, django_capture_on_commit_callbacks)
    delivery = delivery_send(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.FAILED
    delivery_resend(delivery=delivery, by=employer)
    delivery = delivery_send(delivery_id=delivery.pk)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_delivery_at_once_send_it_once(employer, receiver):
    receiver.delay = 0.2
    endpoint_for(employer, receiver.url)
    webhook_emit(employer=employer, event="assignment.submitted", data=DATA)  # autocommit
    delivery = Delivery.objects.get()
    results = run_together(4, lambda _i: delivery_send(delivery_id=delivery.pk))
    assert sum(result is not None for result in results) == 1, results
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)


def test_an_attempt_in_flight_is_not_resent_and_not_sent_by_the_sweeper(
    employer, receiver, django_capture_on_commit_callbacks
):

    endpoint_for(employer, receiver.url)
    delivery = emit(employer, django_capture_on_commit_callbacks)
    # What a worker's claim leaves behind while its request is under way.
    lease_end = timezone.now() + timedelta(minutes=2)
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=1, sending_until=lease_end, next_attempt_at=lease_end
    )
    with pytest.raises(DomainError) as refused:
        delivery_resend(delivery=delivery, by=employer)
    assert refused.value.code == "in_flight"
    assert jobs.send_due_job() == 0
    assert delivery_send(delivery_id=delivery.pk) is None
    assert receiver.requests == []


def test_a_send_whose_worker_died_is_sent_again_when_its_lease_ends(
    employer, receiver, eager_jobs, django_capture_on_commit_callbacks
):
    from webhooks.sending import lease_seconds

    endpoint_for(employer, receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(employer=employer, event="campaign.completed", data={})
    delivery = Delivery.objects.get()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        # A worker claimed it, then died before recording anything.
        lease_end = start + timedelta(seconds=lease_seconds())
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=1, sending_until=lease_end, next_attempt_at=lease_end
        )
        assert jobs.send_due_job() == 0
        clock.move_to(lease_end)
        assert jobs.send_due_job() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("succeeded", 2, 1)


def test_the_sweeper_is_scheduled_and_its_jobs_are_registered(settings):
    from marketplace import celery_app

    entry = settings.CELERY_BEAT_SCHEDULE["webhooks-send-due"]
    assert entry["task"] == "webhooks.send_due" and entry["schedule"] <= 60
    assert {"webhooks.send_due", "webhooks.delivery_send", "webhooks.prune"} <= set(
        celery_app.tasks
    )
    assert settings.CELERY_BEAT_SCHEDULE["webhooks-prune"]["task"] == "webhooks.prune"


def test_unknown_events_are_a_programming_error(employer):
    with pytest.raises(ValueError, match=r"assignment\.aproved"):
        webhook_emit(employer=employer, event="assignment.aproved", data={})


def test_a_binary_or_long_answer_is_kept_as_a_short_snippet(
    employer, receiver, django_capture_on_commit_callbacks
):
    receiver.status, receiver.body = 500, b"\x00\xffoops" + b"x" * 5000
    endpoint_for(employer, receiver.url)
    delivery = emit(employer, django_capture_on_commit_callbacks)
    delivery = delivery_send(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 500
    assert delivery.last_response.startswith("\ufffdoops") and len(delivery.last_response) < 1100


def test_old_finished_deliveries_are_pruned_and_pending_ones_kept(employer, settings):
    from webhooks.sending import deliveries_prune

    settings.WEBHOOKS_KEEP_DAYS = 30
    endpoint_for(employer)
    for event in ("campaign.completed", "campaign.expired", "campaign.approved"):
        webhook_emit(employer=employer, event=event, data={})
    Delivery.objects.filter(event="campaign.completed").update(status=DeliveryStatus.SUCCEEDED)
    Delivery.objects.filter(event="campaign.expired").update(status=DeliveryStatus.FAILED)
    assert deliveries_prune(now=timezone.now() + timedelta(days=29)) == 0
    assert deliveries_prune(now=timezone.now() + timedelta(days=31)) == 2
    assert list(Delivery.objects.values_list("event", flat=True)) == ["campaign.approved"]
