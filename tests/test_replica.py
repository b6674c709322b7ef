"""The read replica (core/db.py): the feed reads from it, a user who wrote reads from the
primary for REPLICA_PIN_SECONDS, writes, locks and reads in a transaction never go there, and
a pin that cannot be read (Redis down) means the primary.

The ``replica`` alias is DATABASE_REPLICA_URL's when the run sets it (test settings make it a
mirror of the test database), else a second connection to the test database, added here for
this module. Either way it is a connection of its own, so a query's alias is known from the
connection that ran it; the tests are transactional, so both connections see the rows.
"""

from __future__ import annotations

import copy
import socket
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from core import db
from core.db import REPLICA, ReplicaPinMiddleware, replica_scope
from marketplace import cache as fail_open
from marketplace.devstack import ThrowawayRedis
from marketplace.settings.base import redis_settings, replica_settings
from tasks.models import Campaign
from workers.claims import task_claim

from .factories import UserFactory
from .tasks.helpers import active_campaign

on_both = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module")
def replica_routing(django_db_setup):
    """The ``replica`` alias (added for this module if the settings have none) and
    core.db.ReplicaRouter installed, as DATABASE_REPLICA_URL does in production."""
    added = REPLICA not in connections
    if added:
        replica = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
        replica["TEST"]["MIRROR"] = DEFAULT_DB_ALIAS
        connections.settings[REPLICA] = replica
    routing = override_settings(DATABASE_ROUTERS=["core.db.ReplicaRouter"])
    routing.enable()
    yield
    routing.disable()
    connections[REPLICA].close()
    if added:
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def campaign(replica_routing, employer, moderator):
    return active_campaign(employer, moderator, positions=5)


@contextmanager
def queries():
    """``(primary, replica)``: the SQL each connection ran in the block."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        yield primary, replica


def reading(captured, table: str) -> bool:
    return any(table in query["sql"] for query in captured.captured_queries)


def assert_feed_on(expected: str, primary, replica) -> None:
    """The feed's campaigns, the worker's standing and the employers' records were read on
    ``expected``, and not one of them on the other."""
    there, elsewhere = (replica, primary) if expected == REPLICA else (primary, replica)
    for table in ("tasks_campaign", "LATERAL", "c.employer_id"):
        assert reading(there, table), (table, there.captured_queries)
        assert not reading(elsewhere, table), (table, elsewhere.captured_queries)


@on_both
def test_the_feed_page_and_api_read_from_the_replica(client, api_as, worker, campaign):
    client.force_login(worker)
    with queries() as (primary, replica):
        page = client.get(reverse("workers:feed"))
    assert page.status_code == 200
    assert campaign.title in page.content.decode()
    assert_feed_on(REPLICA, primary, replica)
    # Who is asking is read on the primary (the session itself may come from the cache).
    assert reading(primary, "accounts_user") and not reading(replica, "django_session")

    with queries() as (primary, replica):
        feed = api_as(worker).get("/api/v1/feed/")
    assert [item["id"] for item in feed.json()["results"]] == [campaign.pk]
    assert_feed_on(REPLICA, primary, replica)
    assert reading(primary, "accounts_apitoken")


@on_both
def test_the_notifications_list_page_and_api_read_from_the_replica(
    replica_routing, client, api_as, worker
):
    client.force_login(worker)
    with queries() as (primary, replica):
        assert client.get(reverse("notifications:list")).status_code == 200
        assert api_as(worker).get("/api/v1/notifications/").status_code == 200
    assert reading(replica, "notifications_notification")
    assert not reading(primary, "notifications_notification")


@on_both
def test_a_write_pins_the_writer_to_the_primary_for_the_window_then_the_replica_again(
    client, api_as, worker, campaign
):
    other = UserFactory(display_name="Other worker")
    api = api_as(worker)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        with queries() as (_, replica):
            claim = api.post(f"/api/v1/campaigns/{campaign.pk}/claim/")
        assert claim.status_code == 201
        assert replica.captured_queries == []

        with queries() as (primary, replica):
            assert api.get("/api/v1/feed/").status_code == 200
        assert_feed_on(DEFAULT_DB_ALIAS, primary, replica)

        client.force_login(other)  # not pinned: somebody else wrote
        with queries() as (primary, replica):
            client.get(reverse("workers:feed"))
        assert_feed_on(REPLICA, primary, replica)

        clock.shift(timedelta(seconds=settings.REPLICA_PIN_SECONDS - 0.5))
        with queries() as (primary, replica):
            api.get("/api/v1/feed/")
        assert_feed_on(DEFAULT_DB_ALIAS, primary, replica)

        clock.shift(timedelta(seconds=1))
        with queries() as (primary, replica):
            api.get("/api/v1/feed/")
        assert_feed_on(REPLICA, primary, replica)

        # A page's POST (session, CSRF) pins as the API's does.
        claimed = client.post(reverse("workers:campaign_claim", args=[campaign.pk]))
        assert claimed.status_code == 302
        with queries() as (primary, replica):
            client.get(reverse("workers:feed"))
        assert_feed_on(DEFAULT_DB_ALIAS, primary, replica)


@on_both
def test_a_refused_write_does_not_pin(api_as, employer, campaign):
    api = api_as(employer)
    refused = api.post(f"/api/v1/campaigns/{campaign.pk}/claim/")  # their own campaign
    assert refused.status_code == 403
    with queries() as (primary, replica):
        api.get("/api/v1/feed/")
    assert_feed_on(REPLICA, primary, replica)


@on_both
def test_writes_locks_and_reads_in_a_transaction_stay_on_the_primary(worker, campaign):
    with replica_scope(worker.pk):
        with queries() as (primary, replica):
            assert Campaign.objects.filter(pk=campaign.pk).exists()
        assert len(replica.captured_queries) == 1 and primary.captured_queries == []

        with queries() as (primary, replica):
            Campaign.objects.filter(pk=campaign.pk).update(title="Renamed")
            campaign.refresh_from_db()  # a read, so from the replica: it sees the commit
            campaign.save(update_fields=["title"])
            with transaction.atomic():
                Campaign.objects.select_for_update().get(pk=campaign.pk)
                Campaign.objects.get(pk=campaign.pk)
                Campaign.objects.count()
        assert campaign.title == "Renamed"
        assert len(replica.captured_queries) == 1  # refresh_from_db, outside the transaction
        assert reading(primary, "FOR UPDATE") and reading(primary, 'UPDATE "tasks_campaign"')

        with queries() as (primary, replica):
            task_claim(campaign=campaign, worker=worker)  # a service: locks and writes
        assert replica.captured_queries == []
        assert reading(primary, "pg_advisory_xact_lock")

    assert router.allow_migrate(DEFAULT_DB_ALIAS, "tasks") is True
    assert router.allow_migrate(REPLICA, "tasks") is False


@on_both
def test_when_the_pin_cannot_be_read_the_feed_reads_from_the_primary(
    api_as, worker, campaign, settings
):
    server = ThrowawayRedis().start()
    try:
        settings.CACHES = redis_settings(server.url)["CACHES"]
        fail_open._down_until.clear()
        api = api_as(worker)
        with queries() as (primary, replica):
            api.get("/api/v1/feed/")
        assert_feed_on(REPLICA, primary, replica)

        server.stop()  # Redis gone: the pin may exist, nobody can tell
        with queries() as (primary, replica):
            feed = api.get("/api/v1/feed/")
        assert [item["id"] for item in feed.json()["results"]] == [campaign.pk]
        assert_feed_on(DEFAULT_DB_ALIAS, primary, replica)
    finally:
        server.close()
        fail_open._down_until.clear()


@on_both
def test_an_unreachable_replica_leaves_the_feed_to_the_primary(
    api_as, worker, campaign, monkeypatch, caplog
):
    replica = connections[REPLICA]
    replica.close()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setitem(replica.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(replica.settings_dict, "PORT", str(closed))
    monkeypatch.setattr(db, "_replica_down_until", 0.0)
    api = api_as(worker)

    for _ in range(2):
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
            feed = api.get("/api/v1/feed/")
        assert [item["id"] for item in feed.json()["results"]] == [campaign.pk]
        assert reading(primary, "tasks_campaign") and reading(primary, "LATERAL")
    # Tried once; the second request did not wait for it again.
    assert caplog.text.count("Read replica unreachable") == 1


# --- settings: nothing changes without DATABASE_REPLICA_URL --------------------------------


def test_without_a_replica_url_there_is_no_alias_router_or_pinning():
    assert replica_settings({"default": {"NAME": "kaaj"}}, "") == {}
    with override_settings(DATABASE_ROUTERS=[]), pytest.raises(MiddlewareNotUsed):
        ReplicaPinMiddleware(lambda request: None)  # no pins written to Redis either


def test_a_replica_url_adds_the_alias_connected_as_the_primary_is():
    primary = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "kaaj",
        "HOST": "primary.internal",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "OPTIONS": {"connect_timeout": 5},
    }
    extra = replica_settings({"default": primary}, "postgres://kaaj@replica.internal:5433/kaaj")
    replica = extra["DATABASES"][REPLICA]
    assert extra["DATABASES"]["default"] is primary
    assert (replica["HOST"], replica["PORT"], replica["USER"]) == ("replica.internal", 5433, "kaaj")
    assert replica["CONN_MAX_AGE"] == 60 and replica["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert replica["OPTIONS"] == {"connect_timeout": 5}
    assert extra["DATABASE_ROUTERS"] == ["core.db.ReplicaRouter"]
