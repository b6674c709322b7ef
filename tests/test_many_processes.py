"""Kaaj as a deployment runs it: many processes sharing PostgreSQL, Redis and S3, nothing else.

Two gunicorn web processes (production settings, demo mode), two Celery workers (payouts and
the clock; notifications and webhooks) and beat, on a database made and migrated for this
module on the test run's PostgreSQL server, the test run's Redis as broker and cache, and
moto's S3 server for uploads. The requests go to the two web processes in turn:

- the claim race: more workers than positions claim at once; no position is sold twice;
- proofs with screenshots: each lands in the bucket, and the employer gets each back from the
  web processes in turn, whichever of them stored it;
- approvals by the employer;
- jobs run by the workers: the campaign's "approved" e-mail (notifications), webhook
  deliveries of every submission and approval (webhooks), and a claim left past its deadline
  expired by the clock, which only beat starts (every 30 s);
- and at the end ``manage.py ledger_check`` finds the books right.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from accounts.services import moderator_grant, token_issue
from tasks.models import Category
from tasks.services import CampaignSpec, campaign_create, campaign_launch, campaign_moderate
from webhooks.services import endpoint_create

from . import processes
from .payments.helpers import give
from .s3 import bucket_keys, s3_client, s3_environment, s3_server
from .tasks.api_helpers import png
from .webhooks.helpers import start_receiver

pytestmark = pytest.mark.slow

POSITIONS = 5
CLAIMERS = 8
SUBMITTED = POSITIONS - 1  # the last claim is left to expire
PYTHON = processes.PYTHON


def world_build() -> None:
    """Run in a subprocess on the module's database, with the processes' settings: migrate,
    then build through the services an employer with a funded screenshot campaign of
    POSITIONS positions and a webhook endpoint (``WEBHOOK_URL``), a moderator who approved
    the campaign, and CLAIMERS workers; print the ids and API tokens as JSON."""
    call_command("migrate", verbosity=0)

    def member(email: str, country: str = "BD") -> User:
        # No password: tokens are issued here, so nobody logs in (and no hash is computed).
        user = User.objects.create_user(email=email, country=country, display_name=email)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    employer = member("employer@many.kaaj.test", country="US")
    moderator = moderator_grant(user=member("moderator@many.kaaj.test"))
    give(employer, 10_000, key="many-processes")
    spec = CampaignSpec(
        title="Watch our video to the end",
        category=Category.objects.get(slug="watch-video"),
        instructions="Watch the video and send a screenshot of its last frame.",
        proof_fields=[
            {"key": "screenshot", "label": "Last frame", "kind": "screenshot", "required": True}
        ],
        reward_cents=10,
        positions=POSITIONS,
    )
    campaign = campaign_launch(campaign=campaign_create(employer=employer, spec=spec), by=employer)
    campaign_moderate(campaign=campaign, by=moderator, approve=True)
    endpoint_create(employer=employer, url=os.environ["WEBHOOK_URL"])
    workers = [member(f"worker{n}@many.kaaj.test") for n in range(CLAIMERS)]
    world = {
        "campaign": campaign.pk,
        "employer": token_issue(user=employer)[1],
        "workers": [token_issue(user=worker)[1] for worker in workers],
    }
    print(json.dumps(world))


class Web:
    """The two web processes, asked in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.bases = [f"http://127.0.0.1:{port}" for port in ports]
        self.turn = 0
        self.lock = threading.Lock()

    def base(self) -> str:
        with self.lock:
            self.turn += 1
            return self.bases[self.turn % len(self.bases)]

    def call(self, method: str, path: str, token: str, **options) -> requests.Response:
        return requests.request(
            method,
            self.base() + path,
            headers={"Authorization": f"Token {token}", "Accept": "application/json"},
            timeout=30,
            **options,
        )


def _answers(web: Web) -> bool:
    for base in web.bases:
        try:
            if requests.get(f"{base}/api/v1/categories/", timeout=2).status_code >= 500:
                return False
        except requests.ConnectionError:
            return False
    return True


def test_web_workers_and_beat_in_separate_processes_share_only_postgres_redis_and_s3(tmp_path):
    server = connection.settings_dict
    with (
        _webhook_receiver() as receiver,
        _own_redis_keys(),
        s3_server() as endpoint,
        processes.fresh_database(server, f"{server['NAME']}_many_processes") as database_url,
        processes.Processes(tmp_path / "logs", {}) as running,
    ):
        storage = s3_environment(endpoint, bucket=f"kaaj-many-{secrets.token_hex(4)}")
        bucket = _Bucket(storage)
        (tmp_path / "static").mkdir()
        running.env = processes.environment(
            DJANGO_SETTINGS_MODULE="marketplace.settings.production",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="false",
            KAAJ_DEMO_MODE="true",  # the sandbox provider: production runs it in demo only
            DATABASE_URL=database_url,
            REDIS_URL=settings.REDIS_URL,
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            WEBHOOKS_ALLOW_HTTP="true",
            WEBHOOK_URL=receiver.url,
            API_THROTTLE_ANON="10000/minute",
            LOG_LEVEL="INFO",
            STATIC_ROOT=str(tmp_path / "static"),  # no collectstatic: the API serves none
            **storage,
        )
        web = _start(running, tmp_path)
        world = json.loads(running.run("world", [PYTHON, "-c", WORLD_BUILD]))
        running.wait_for(lambda: _answers(web), seconds=30, what="both web processes")
        campaign, employer = world["campaign"], world["employer"]

        tokens = _claim_race(web, campaign, world["workers"])
        claims = sorted(tokens)
        for n, assignment in enumerate(claims[:SUBMITTED]):
            _submit(web, assignment, tokens[assignment], png(n).read())
        assert len(bucket.keys()) == SUBMITTED
        _review(web, campaign, employer, claims[:SUBMITTED], bucket)

        # The last claim's time is up: the clock (beat, then a worker) expires it.
        last = claims[-1]
        processes.execute(
            database_url,
            "UPDATE tasks_assignment SET expires_at = now() - interval '1 second' WHERE id = %s",
            [last],
        )
        running.wait_for(
            lambda: _status(web, last, tokens[last]) == "expired",
            seconds=45,
            what="beat's sweep to expire the claim left past its deadline",
            every=0.5,
        )
        assert "Task tasks.expire_claims[" in running.log("worker-payouts-clock")

        # The webhooks worker delivered every submission and approval; the notifications
        # worker mailed the employer that the campaign is live.
        running.wait_for(
            lambda: len(receiver.requests) >= 2 * SUBMITTED,
            seconds=20,
            what="the webhook deliveries",
        )
        events = sorted(json.loads(r.body)["type"] for r in receiver.requests)
        assert events == ["assignment.approved"] * SUBMITTED + ["assignment.submitted"] * SUBMITTED
        mailer = running.log("worker-notifications-webhooks")
        assert "To: employer@many.kaaj.test" in mailer and "is live" in mailer

        report = running.run("ledger_check", [PYTHON, "manage.py", "ledger_check"])
        assert "All invariants hold." in report


WORLD_BUILD = (
    "import django; django.setup(); "
    "from tests.test_many_processes import world_build; world_build()"
)


def _start(running: processes.Processes, tmp_path) -> Web:
    """Beat first (the clock's first sweep comes 30 s after it starts), two workers that
    share the four queues, two gunicorns."""
    running.start("beat", processes.celery_beat(tmp_path / "celerybeat-schedule"))
    for queues in (("payouts", "clock"), ("notifications", "webhooks")):
        name = "-".join(queues)
        running.start(f"worker-{name}", processes.celery_worker(name, queues))
    ports = [processes.free_port(), processes.free_port()]
    for n, port in enumerate(ports):
        running.start(f"web-{n}", processes.gunicorn(port))
    return Web(ports)


def _claim_race(web: Web, campaign: int, tokens: list[str]) -> dict[int, str]:
    """CLAIMERS workers claim at once, half through each web process: POSITIONS win, each a
    task of its own, the others hear ``no_task_left``. Returns the claims' ids and tokens."""
    barrier = threading.Barrier(len(tokens))
    responses: list[requests.Response | None] = [None] * len(tokens)

    def claim(n: int) -> None:
        barrier.wait()
        responses[n] = web.call("post", f"/api/v1/campaigns/{campaign}/claim/", tokens[n])

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert None not in responses, "a claim got no answer"
    answers = [(r.status_code, r.json()) for r in responses]
    won = [body for status, body in answers if status == 201]
    refused = [body["code"] for status, body in answers if status == 409]
    assert (len(won), refused) == (POSITIONS, ["no_task_left"] * (CLAIMERS - POSITIONS)), answers
    assert len({claim["task"]["id"] for claim in won}) == POSITIONS
    return {body["id"]: tokens[n] for n, (status, body) in enumerate(answers) if status == 201}


def _submit(web: Web, assignment: int, token: str, picture: bytes) -> None:
    files = {"screenshot": ("proof.png", picture, "image/png")}
    submit = web.call("post", f"/api/v1/assignments/{assignment}/submit/", token, files=files)
    assert submit.status_code == 200, submit.text


def _review(web: Web, campaign: int, employer: str, expected: list[int], bucket) -> None:
    """The employer lists the submissions, gets each screenshot (the bucket's bytes,
    whichever process stored it) and approves."""
    path = f"/api/v1/campaigns/{campaign}/assignments/?status=submitted"
    submissions = web.call("get", path, employer).json()["results"]
    assert sorted(s["id"] for s in submissions) == expected
    stored = bucket.objects()
    for submission in submissions:
        (shot,) = submission["screenshots"]
        seen = web.call("get", urlsplit(shot["url"]).path, employer)
        assert seen.status_code == 200 and seen.content in stored
        approve = web.call("post", f"/api/v1/assignments/{submission['id']}/approve/", employer)
        assert approve.status_code == 200, approve.text


def _status(web: Web, assignment: int, token: str) -> str:
    mine = web.call("get", "/api/v1/assignments/", token).json()["results"]
    return next(a["status"] for a in mine if a["id"] == assignment)


class _Bucket:
    """The S3 bucket the processes store uploads in, made here, read with boto3."""

    def __init__(self, storage: dict[str, str]) -> None:
        self.name = storage["AWS_STORAGE_BUCKET_NAME"]
        self.client = s3_client(storage)
        self.client.create_bucket(Bucket=self.name)

    def keys(self) -> set[str]:
        return bucket_keys(self.client, self.name)

    def objects(self) -> set[bytes]:
        read = self.client.get_object
        return {read(Bucket=self.name, Key=key)["Body"].read() for key in self.keys()}


@contextlib.contextmanager
def _webhook_receiver() -> Iterator:
    receiver, server = start_receiver()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _own_redis_keys() -> Iterator[None]:
    """The processes' jobs and cache keys (prefix ``kaaj:``; this test process's own cache
    has a prefix of its own) are gone from the test run's Redis before and after."""
    redis = processes.redis_client()

    def forget() -> None:
        processes.broker_purge()
        keys = list(redis.scan_iter(match="kaaj:*", count=1000))
        if keys:
            redis.delete(*keys)

    forget()
    try:
        yield
    finally:
        forget()
