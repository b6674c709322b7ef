"""Kaaj behind PgBouncer in transaction pooling (DATABASE_POOLING=transaction).

The module starts Debian's pgbouncer on a free loopback port in front of the test database's
server, in transaction pooling with a pool smaller than the crowd of clients, and sends the
work loop's races through it from threads, each with a Django connection configured as
``database_pooling(..., "transaction")`` configures production's. A server connection then
serves one transaction of one client at a time, and consecutive transactions of a client
land on whichever server connection is free: anything Kaaj kept in a session would be lost.

Where pgbouncer is not installed these tests skip and say how to install it; under CI
(CI=true) a missing pgbouncer fails instead, so CI always runs them.
"""

from __future__ import annotations

import copy
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg2
import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.utils import load_backend

from core.errors import DomainError
from marketplace.settings.base import database_pooling
from payments.selectors import balances_of, ledger_violations
from tasks import services
from tasks.models import Assignment, AssignmentStatus, Campaign, Task, TaskStatus
from workers.claims import task_claim

from .factories import UserFactory
from .payments.helpers import run_together
from .tasks.helpers import active_campaign

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PGBOUNCER = os.environ.get("KAAJ_PGBOUNCER") or shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
POOL_SIZE = 3  # server connections per database and user: fewer than the racing clients


class PgBouncer:
    """One pgbouncer process of this module's, in front of the test database's server."""

    def __init__(self, directory, primary: dict) -> None:
        self.dir = directory
        self.primary = primary
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> PgBouncer:
        server = self.primary
        host = server["HOST"] or "localhost"
        target = f"host={host} port={server['PORT'] or 5432} dbname={server['NAME']}"
        target += f" user={server['USER']}"
        if server.get("PASSWORD"):
            target += f" password={server['PASSWORD']}"
        (self.dir / "users.txt").write_text(f'"{server["USER"]}" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            f"""[databases]
{server["NAME"]} = {target}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir / "users.txt"}
admin_users = {server["USER"]}
pool_mode = transaction
default_pool_size = {POOL_SIZE}
reserve_pool_size = 0
max_client_conn = 100
"""
        )
        command = [PGBOUNCER, str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            command[1:1] = ["-u", _unprivileged_user(host)]
        with open(self.dir / "pgbouncer.log", "wb") as log:  # its log is its stderr
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                self.admin("SHOW VERSION")
                return
            except psycopg2.OperationalError:
                time.sleep(0.1)
        log = self.dir / "pgbouncer.log"
        raise RuntimeError(f"pgbouncer did not start: {log.read_text() if log.exists() else ''}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def admin(self, command: str) -> list[dict]:
        """A command of pgbouncer's admin console, its rows as dicts."""
        console = psycopg2.connect(
            host="127.0.0.1", port=self.port, dbname="pgbouncer", user=self.primary["USER"]
        )
        console.autocommit = True
        try:
            with console.cursor() as cursor:
                cursor.execute(command)
                names = [column.name for column in cursor.description or []]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            console.close()

    def transactions(self) -> int:
        """Transactions pgbouncer has passed to the test database so far."""
        stats = self.admin("SHOW STATS")
        return sum(row["total_xact_count"] for row in stats if row["database"] == self.name)

    @property
    def name(self) -> str:
        return self.primary["NAME"]

    def database(self, pooling: str = "transaction") -> dict:
        """The test database's Django settings, reached through pgbouncer."""
        through = copy.deepcopy(self.primary)
        through.update(HOST="127.0.0.1", PORT=str(self.port), CONN_MAX_AGE=0)
        return database_pooling(through, pooling)

    def connect(self, pooling: str = "transaction"):
        """A Django connection (``DatabaseWrapper``) through pgbouncer."""
        database = self.database(pooling)
        return load_backend(database["ENGINE"]).DatabaseWrapper(database, DEFAULT_DB_ALIAS)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unprivileged_user(host: str) -> str:
    """Who runs pgbouncer when we are root: the owner of the server's socket directory (the
    embedded PostgreSQL's user may reach its socket), else nobody."""
    if host.startswith("/"):
        owner = pwd.getpwuid(os.stat(host).st_uid).pw_name
        if owner != "root":
            return owner
    return "nobody"


@pytest.fixture(scope="module")
def pgbouncer(django_db_setup):
    if not os.path.exists(PGBOUNCER):
        message = (
            "The PgBouncer tests need pgbouncer: `apt-get install pgbouncer` (Debian) or set "
            "KAAJ_PGBOUNCER to a pgbouncer binary."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's tmp_path (root's own when we are root): pgbouncer's user reads it.
    directory = Path(tempfile.mkdtemp(prefix="kaaj-pgbouncer-"))
    directory.chmod(0o755)
    bouncer = PgBouncer(directory, connections[DEFAULT_DB_ALIAS].settings_dict)
    try:
        yield bouncer.start()
    finally:
        bouncer.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def through_pgbouncer(pgbouncer):
    """This thread's ``default`` connection goes through pgbouncer for the test (its setup
    and checks too); threads make their own with ``in_threads``."""
    direct = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = pgbouncer.connect()
    yield pgbouncer
    connections[DEFAULT_DB_ALIAS].close()
    connections[DEFAULT_DB_ALIAS] = direct


def in_threads(bouncer: PgBouncer, count: int, work) -> list:
    """``run_together`` with each thread's ``default`` connection through pgbouncer."""

    def through(index: int):
        connections[DEFAULT_DB_ALIAS] = bouncer.connect()
        return work(index)

    return run_together(count, through)


def outcomes(results) -> Counter:
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert unexpected == [], unexpected
    return Counter(r.code if isinstance(r, DomainError) else "ok" for r in results)


def test_the_claim_race_through_pgbouncer_sells_each_task_once(
    through_pgbouncer, employer, moderator
):
    bouncer = through_pgbouncer
    campaign = active_campaign(employer, moderator, positions=5)
    for worker in UserFactory.create_batch(2):
        task_claim(campaign=campaign, worker=worker)
    crowd = UserFactory.create_batch(12)
    before = bouncer.transactions()

    results = in_threads(bouncer, 12, lambda i: task_claim(campaign=campaign, worker=crowd[i]))

    assert outcomes(results) == {"ok": 3, "no_task_left": 9}, results
    won = {r.task_id for r in results if isinstance(r, Assignment)}
    assert len(won) == 3
    assert Task.objects.filter(campaign=campaign, status=TaskStatus.ASSIGNED).count() == 5
    assert Assignment.objects.filter(campaign=campaign).count() == 5
    assert ledger_violations() == []
    assert bouncer.transactions() - before >= 12  # the claims went through pgbouncer
    servers = bouncer.admin("SHOW SERVERS")
    assert len([s for s in servers if s["database"] == bouncer.name]) <= POOL_SIZE


def test_submissions_and_approvals_through_pgbouncer_pay_each_once(
    through_pgbouncer, employer, moderator
):
    bouncer = through_pgbouncer
    campaign = active_campaign(employer, moderator, positions=8, fund=20_000)
    workers = UserFactory.create_batch(8)

    def claim_and_submit(i: int) -> Assignment:
        assignment = task_claim(campaign=campaign, worker=workers[i])
        services.assignment_submit(
            assignment=assignment, worker=workers[i], answers={"username": f"w{i}"}, files={}
        )
        return assignment

    submitted = in_threads(bouncer, 8, claim_and_submit)
    assert outcomes(submitted) == {"ok": 8}, submitted

    # Every assignment approved twice at once: each is paid once.
    twice = [a for a in submitted for _ in range(2)]
    approved = in_threads(
        bouncer, 16, lambda i: services.submission_approve(assignment=twice[i], by=employer)
    )
    assert outcomes(approved) == {"ok": 8, "invalid_status": 8}, approved
    assert (
        Assignment.objects.filter(campaign=campaign, status=AssignmentStatus.APPROVED).count() == 8
    )
    assert {balances_of(w).available_cents for w in workers} == {campaign.reward_cents}
    assert ledger_violations() == []


def test_iterating_a_queryset_needs_the_pooling_setting(through_pgbouncer, employer, moderator):
    """A chunked ``.iterator()`` outside a transaction declares a WITH HOLD cursor in one
    server session and fetches from it in later transactions; once another client took that
    server connection, the cursor is not there. DATABASE_POOLING=transaction turns Django's
    server-side cursors off."""
    bouncer = through_pgbouncer
    for title in "ABCD":
        active_campaign(employer, moderator, title=title)
    campaigns = Campaign.objects.order_by("pk")

    def iterate_while_another_client_holds_a_transaction(connection) -> list[str]:
        other = psycopg2.connect(
            host="127.0.0.1", port=bouncer.port, dbname=bouncer.name, user=bouncer.primary["USER"]
        )
        titles = []
        try:
            connections[DEFAULT_DB_ALIAS] = connection
            for campaign in campaigns.iterator(chunk_size=1):
                titles.append(campaign.title)
                if len(titles) == 1:  # takes the server connection just freed
                    other.cursor().execute("SELECT 1")
            return titles
        finally:
            other.close()
            connection.close()

    pooled = iterate_while_another_client_holds_a_transaction(bouncer.connect("transaction"))
    assert pooled == list("ABCD")
    with pytest.raises((DatabaseError, psycopg2.Error), match="does not exist"):
        iterate_while_another_client_holds_a_transaction(bouncer.connect(""))

    with transaction.atomic():  # inside a transaction it works either way
        assert [c.title for c in campaigns.iterator(chunk_size=1)] == list("ABCD")


def test_the_pooling_setting_turns_server_side_cursors_off():
    assert database_pooling({"NAME": "kaaj"}, "transaction") == {
        "NAME": "kaaj",
        "DISABLE_SERVER_SIDE_CURSORS": True,
    }
    assert database_pooling({"NAME": "kaaj"}, "") == {"NAME": "kaaj"}
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOLING"):
        database_pooling({"NAME": "kaaj"}, "statement")
