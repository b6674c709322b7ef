"""Redis stopped mid-suite: pages and the API keep working, and the sweepers catch the jobs
that could not be queued. A redis-server of this test's own is both the cache and Celery's
broker, and is stopped for real while the work loop runs through the API."""

import json
import logging
import time
from datetime import timedelta

import pytest
import redis
import time_machine
from django.core import mail
from django.utils import timezone

from marketplace import cache as fail_open
from marketplace import celery_app
from marketplace.devstack import ThrowawayRedis
from marketplace.settings.base import redis_settings
from notifications.jobs import sweep_emails
from notifications.models import Notification, NotificationPreferences
from payments.jobs import payouts_send_requested_job
from payments.models import Payout, PayoutStatus
from payments.selectors import ledger_violations
from payments.services.payouts import payout_method_add
from tasks.models import Assignment, AssignmentStatus
from webhooks.jobs import send_due_job
from webhooks.models import Delivery

from .factories import PASSWORD
from .tasks.helpers import active_campaign
from .webhooks.helpers import endpoint_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

API = "/api/v1"


@pytest.fixture
def server():
    server = ThrowawayRedis().start()
    yield server
    server.close()


def _reset_broker_connections():
    """Celery keeps its connections and producers in pools made for the first broker URL."""
    from kombu import pools

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def on_server(server, settings):
    """The cache and Celery's broker on ``server``, as in production."""
    settings.CACHES = redis_settings(server.url)["CACHES"]
    settings.CACHE_REDIS_RETRY_SECONDS = 60  # one warning for the whole outage below
    fail_open._down_until.clear()
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = server.broker_url
    _reset_broker_connections()
    yield server
    celery_app.conf.broker_url = saved
    _reset_broker_connections()
    fail_open._down_until.clear()


def queued(server) -> list[tuple[str, list]]:
    """The jobs waiting in the broker's queues: (name, *args)."""
    broker = redis.Redis(unix_socket_path=str(server.socket), db=1)
    messages = [
        json.loads(raw) for queue in celery_app.amqp.queues for raw in broker.lrange(queue, 0, -1)
    ]
    return sorted((m["headers"]["task"], *json.loads(_body(m))[0]) for m in messages)


def _body(message: dict) -> str:
    import base64

    return base64.b64decode(message["body"]).decode()


def test_the_work_loop_and_logins_survive_redis_stopping_and_the_sweepers_catch_lost_jobs(
    on_server, employer, worker, moderator, django_capture_on_commit_callbacks, caplog, client
):
    from rest_framework.test import APIClient

    campaign = active_campaign(employer, moderator, reward_cents=300)
    endpoint = endpoint_for(employer, url="https://hooks.example.com/kaaj")
    NotificationPreferences.objects.create(user=worker, email={"submission_approved": True})
    method = payout_method_add(user=worker, kind="stripe", destination="acct_1KaajWorker00001")
    api = APIClient()

    def call(method_name: str, path: str, token: str | None = None, **data):
        with django_capture_on_commit_callbacks(execute=True):
            started = time.monotonic()
            response = getattr(api, method_name)(
                path, data, HTTP_AUTHORIZATION=f"Token {token}" if token else ""
            )
            timings.append(time.monotonic() - started)
        assert 200 <= response.status_code < 400, (path, response.content)
        return response

    # Up: the throttles count in Redis.
    timings: list[float] = []
    call("post", f"{API}/auth/token/", email=worker.email, password=PASSWORD)
    assert redis.Redis(unix_socket_path=str(on_server.socket)).keys("kaaj:*throttle*")

    on_server.stop()
    caplog.set_level(logging.WARNING)
    timings = []
    worker_token = call("post", f"{API}/auth/token/", email=worker.email, password=PASSWORD)
    employer_token = call("post", f"{API}/auth/token/", email=employer.email, password=PASSWORD)
    worker_token, employer_token = worker_token.json()["token"], employer_token.json()["token"]
    claim = call("post", f"{API}/campaigns/{campaign.pk}/claim/", worker_token)
    assignment = claim.json()["id"]
    call("post", f"{API}/assignments/{assignment}/submit/", worker_token, answers={"username": "k"})
    call("post", f"{API}/assignments/{assignment}/approve/", employer_token)
    payout = call("post", f"{API}/payouts/", worker_token, amount_cents=300, method=method.pk)
    # The HTML login too (allauth's rate limits keep their counters in the cache).
    assert client.get("/accounts/login/").status_code == 200
    login = client.post("/accounts/login/", {"login": employer.email, "password": PASSWORD})
    assert login.status_code == 302 and client.get("/me/profile/").status_code == 200

    assert Assignment.objects.get(pk=assignment).status == AssignmentStatus.APPROVED
    assert max(timings) < 2, timings
    warnings = [r for r in caplog.records if r.name == "marketplace.cache"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "rate limits are off" in warnings[0].getMessage()
    lost = [r for r in caplog.records if "on_commit" in r.getMessage()]
    assert lost, "the jobs were queued while the broker was down"

    # Back, empty: the jobs queued before the stop are gone, as after a crash.
    on_server.start()
    assert queued(on_server) == []
    mailed = Notification.objects.get(user=worker, kind="submission_approved")
    deliveries = sorted(Delivery.objects.filter(endpoint=endpoint).values_list("pk", flat=True))
    assert mailed.email_due and len(deliveries) == 2  # submitted, approved

    # (The employer's "campaign approved" from the set-up is due by mail as well.)
    due = list(Notification.objects.filter(email_due=True).values_list("pk", flat=True))
    assert mailed.pk in due

    assert send_due_job() == 2
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert sweep_emails() == len(due)
    assert queued(on_server) == sorted(
        [("notifications.email", pk) for pk in due]
        + [("webhooks.delivery_send", pk) for pk in deliveries]
    )
    assert mail.outbox == []
    # The payouts' sweeper sends them itself (sandbox provider in tests).
    assert payouts_send_requested_job() == 1
    assert Payout.objects.get(pk=payout.json()["id"]).status == PayoutStatus.PAID
    assert ledger_violations() == []
