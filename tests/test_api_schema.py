"""The API answers what its OpenAPI schema says, for every operation and every role.

schemathesis generates requests from the schema (valid ones, and invalid ones for the
refusals) and sends them in process to the WSGI application: no server, no network. Each
answer must pass the conformance checks — no server error, a documented status code, the
documented content type, a body that matches the documented schema, documented headers.
The world the requests meet is real (campaigns in several states, a proof with a
screenshot, a dispute, a payout, a webhook endpoint), built once for the module; every
request runs in a savepoint that is rolled back, so one request never changes what the
next one meets. Throttles are off here (their 429 has tests of its own); everything else,
permissions included, is the real thing.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketplace.wsgi import application
from workers.claims import task_claim

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
ROLES = ["anonymous", "worker", "employer", "moderator"]
EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}
# Path prefixes whose {id} names an object of the world, so requests meet real rows (of
# the caller and of others) as well as ids that do not exist.
ID_SOURCES = {
    "campaigns": "campaigns",
    "moderation/campaigns": "campaigns",
    "assignments": "assignments",
    "disputes": "disputes",
    "moderation/disputes": "disputes",
    "moderation/payouts": "payouts",
    "moderation/users": "users",
    "deposits": "deposits",
    "payout-methods": "payout_methods",
    "screenshots": "screenshots",
    "notifications": "notifications",
    "webhook-endpoints": "endpoints",
    "webhook-deliveries": "deliveries",
    "tokens": "tokens",
    "blocks": "blocks",
}
REPORT = Path(__file__).resolve().parent.parent / "var" / "schemathesis-report.json"


@contextmanager
def _requests_keep_the_test_connection():
    """Django closes a connection left in a transaction when a request ends; Django's test
    client turns that off for its requests, and so must a WSGI client inside a test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Every kind of object the API serves, for two employers and a worker, inside one
    transaction that is rolled back when the module ends."""
    from accounts.services import moderator_grant
    from tests.factories import UserFactory, two_step_on

    with django_db_blocker.unblock(), transaction.atomic():
        from tasks.categories import categories_ensure

        categories_ensure()
        employer = UserFactory(email="schema-employer@example.com")
        worker = UserFactory(email="schema-worker@example.com")
        moderator = two_step_on(
            moderator_grant(user=UserFactory(email="schema-moderator@example.com"))
        )
        users = {"employer": employer, "worker": worker, "moderator": moderator}
        ids = _build(employer, worker, moderator)
        ids["users"] = [user.pk for user in users.values()]
        headers = {role: _auth_header(user) for role, user in users.items()}
        headers["anonymous"] = {}
        ids["tokens"] = _token_ids()
        yield SimpleNamespace(ids=ids, headers=headers)
        transaction.set_rollback(True)


def _build(employer, worker, moderator) -> dict[str, list[int]]:
    from notifications.models import Notification
    from payments.models import Deposit, Payout, PayoutMethod
    from payments.services.payouts import payout_method_add, payout_request
    from tasks import services
    from tasks.models import Screenshot
    from tasks.services.disputes import dispute_open
    from webhooks.models import Delivery, Endpoint
    from webhooks.services import endpoint_create, endpoint_ping
    from workers.models import Block
    from workers.services import worker_block

    from .factories import UserFactory
    from .payments.helpers import give
    from .tasks.api_helpers import SHOT_FIELDS, submitted
    from .tasks.helpers import active_campaign, spec

    with override_settings(WEBHOOKS_ALLOW_HTTP=True):
        active = active_campaign(employer, moderator, title="Schema", proof_fields=SHOT_FIELDS)
        proof = submitted(employer, worker, moderator, campaign=active, shot=1)
        rejected = submitted(employer, worker, moderator, title="Schema 2", shot=2)
        services.submission_reject(assignment=rejected, by=employer, reason="Wrong username")
        rejected.refresh_from_db()
        dispute = dispute_open(assignment=rejected, by=worker, reason="It is right.")
        claim = task_claim(
            campaign=active_campaign(employer, moderator, title="Schema 3"), worker=worker
        )
        draft = services.campaign_create(employer=employer, spec=spec(title="Schema draft"))
        review = services.campaign_launch(
            campaign=services.campaign_create(employer=employer, spec=spec(title="Review")),
            by=employer,
        )
        give(worker, 5_000, key="schema")
        method = payout_method_add(user=worker, kind="bkash", destination="01712345678")
        payout_request(user=worker, method=method, amount_cents=1_000)
        endpoint = endpoint_create(employer=employer, url="http://127.0.0.1:9/kaaj")
        endpoint_ping(endpoint=endpoint, by=employer)
        # Somebody the employer blocked (not the world's worker, who must still meet the
        # employer's campaigns).
        worker_block(employer=employer, worker=UserFactory(), reason="Schema")
    del proof, claim, dispute, draft, review
    return {
        "campaigns": _pks(active.__class__.objects),
        "assignments": _pks(rejected.__class__.objects),
        "disputes": _pks(rejected.dispute.__class__.objects),
        "payouts": _pks(Payout.objects),
        "deposits": _pks(Deposit.objects),
        "payout_methods": _pks(PayoutMethod.objects),
        "screenshots": _pks(Screenshot.objects),
        "notifications": _pks(Notification.objects),
        "endpoints": _pks(Endpoint.objects),
        "deliveries": _pks(Delivery.objects),
        "blocks": _pks(Block.objects),
    }


def _pks(manager) -> list[int]:
    return list(manager.order_by("pk").values_list("pk", flat=True))


def _auth_header(user) -> dict[str, str]:
    from accounts.services import token_issue

    _token, key = token_issue(user=user)
    return {"Authorization": f"Token {key}"}


def _token_ids() -> list[int]:
    from accounts.models import ApiToken

    return _pks(ApiToken.objects)


@pytest.fixture(scope="module")
def api_schema(world):
    with _requests_keep_the_test_connection():
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(scope="module")
def cases(api_schema, world) -> list:
    """Every operation's generated requests, drawn once for the module: (operation, mode,
    cases). The draws are derandomized and never depend on who sends them, so the roles
    drew the very same requests four times over; now each role sends this one list."""
    return [
        (operation, mode, _draw(operation, mode, world.ids))
        for operation in (result.ok() for result in api_schema.get_all_operations())
        for mode in EXAMPLES
    ]


@pytest.fixture
def no_throttles(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)


def _id_source(path: str) -> str | None:
    prefix = path.removeprefix("/api/v1/").split("/{", 1)[0]
    return ID_SOURCES.get(prefix)


def _draw(operation, mode, ids) -> list:
    """The operation's generated requests (schemathesis cases), not sent yet."""
    drawn: list = []
    source = _id_source(operation.path)
    known = ids.get(source, []) if source else []

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data):
        case = data.draw(operation.as_strategy(generation_mode=mode))
        if known and "id" in (case.path_parameters or {}) and data.draw(st.booleans()):
            case.path_parameters["id"] = data.draw(st.sampled_from(known))
        drawn.append(case)

    try:
        run()
    except Unsatisfiable:
        # Nothing about this operation can be made invalid (no parameters, no body).
        assert mode is GenerationMode.NEGATIVE, operation.label
    return drawn


def _exercise(operation, mode, drawn: list, headers) -> list[str]:
    """Send the operation's drawn requests as one role; the failures met. Sending changes
    no case (the role's headers are passed with the call)."""
    failures: list[str] = []
    for case in drawn:
        with transaction.atomic():
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as error:
                failures.append(f"{operation.label} [{mode.value}] {str(error)[:1500]}")
            transaction.set_rollback(True)
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(role, world, cases, no_throttles):
    sent = 0
    failures: list[str] = []
    for operation, mode, drawn in cases:
        failures += _exercise(operation, mode, drawn, world.headers[role])
        sent += len(drawn)
    _report(role, sent, failures)
    assert failures == [], "\n\n".join(failures[:10])
    assert sent > 300  # every operation was really exercised


def _report(role: str, sent: int, failures: list[str]) -> None:
    """Keep the figures (requests and failures per role) under var/ for the record."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    figures = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    figures[role] = {"requests": sent, "failures": len(failures)}
    REPORT.write_text(json.dumps(figures, indent=1, sort_keys=True))
