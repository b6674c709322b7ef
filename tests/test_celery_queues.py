"""Queues by kind, for real: a webhook receiver that hangs holds up webhooks only.

Two Celery worker processes on the test run's Redis, as the README's "workers per queue"
deployment runs them: one for payouts, one for the other three queues, one job at a time
each. Three webhook sends to a receiver that does not answer, then a payout: the payout is
paid while the first send is still waiting and the other two are still queued.
"""

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from payments.models import Payout, PayoutStatus
from payments.services.payouts import payout_method_add, payout_request
from webhooks.services import endpoint_ping

from . import processes
from .payments.helpers import give
from .webhooks.helpers import endpoint_for, serve_in_background

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class HangingReceiver:
    """A webhook receiver that takes requests and answers none until ``release()``."""

    def __init__(self) -> None:
        self.arrived = 0
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.arrived += 1
                receiver.released.wait(timeout=60)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    @contextlib.contextmanager
    def serving(self) -> Iterator["HangingReceiver"]:
        serve_in_background(self.server)
        try:
            yield self
        finally:
            self.released.set()
            self.server.shutdown()
            self.server.server_close()


def test_a_webhook_receiver_that_hangs_does_not_hold_back_a_payout_queued_after_it(
    employer, worker, settings, tmp_path
):
    settings.WEBHOOKS_ALLOW_HTTP = True
    receiver = HangingReceiver()
    endpoint = endpoint_for(employer, url=receiver.url)
    give(worker, 1_000)
    method = payout_method_add(user=worker, kind="stripe", destination="acct_1KaajWorker00001")
    env = processes.environment(
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        DEBUG="false",
        SECRET_KEY="kaaj-tests-only-not-a-secret",
        KAAJ_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=processes.database_url(
            connection.settings_dict, connection.settings_dict["NAME"]
        ),
        REDIS_URL=settings.REDIS_URL,
        WEBHOOKS_ALLOW_HTTP="true",
        # The receiver hangs for as long as the test wants, not until a 5 s timeout.
        WEBHOOKS_TIMEOUT_SECONDS="60",
    )
    with (
        processes.broker_on_redis(),
        processes.Processes(tmp_path / "logs", env) as running,
        receiver.serving(),
    ):
        running.start("payouts", processes.celery_worker("payouts", ("payouts",)))
        others = ("clock", "notifications", "webhooks")
        running.start("others", processes.celery_worker("others", others))
        running.wait_until_ready("payouts")
        running.wait_until_ready("others")

        for _ in range(3):
            endpoint_ping(endpoint=endpoint, by=employer)
        running.wait_for(lambda: receiver.arrived, seconds=15, what="the first webhook send")
        # One job at a time: the worker holds the hanging send, the other two stay queued.
        assert processes.queued("webhooks") == 2

        payout = payout_request(user=worker, method=method, amount_cents=600)
        running.wait_for(
            lambda: Payout.objects.get(pk=payout.pk).status == PayoutStatus.PAID,
            seconds=15,
            what="the payout to be paid",
        )
        assert (receiver.arrived, processes.queued("webhooks")) == (1, 2)
        assert not receiver.released.is_set()
        assert "Task payments.payout_send[" in running.log("payouts")
        assert "Task payments.payout_send[" not in running.log("others")
