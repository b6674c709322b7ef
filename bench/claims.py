"""Claims per second on one hot campaign: the claim service beside the same statements as
raw SQL, in the same run.

Many distinct workers claim tasks of ONE campaign from 1, 4 and 8 threads at once, first
through ``workers.claims.task_claim`` (Django, with every eligibility check), then through
psycopg2 directly running the very statements the service runs
(``workers.claims.CLAIM_STATEMENTS``: advisory lock on the worker; the campaign ``FOR KEY
SHARE`` with the worker's standing, ``workers.eligibility.STANDING_SQL``; the first open task
taken ``FOR UPDATE SKIP LOCKED`` and marked assigned; the assignment and its event INSERTed in
one statement) with the same parameters, in one transaction, without the service's Python
(model instances, eligibility rules). The ratio service/raw is the figure (target ≥ 0.5).
It also counts the queries one service claim runs. Runs on its own embedded PostgreSQL cluster
(``var/postgres-bench``, durable) unless DATABASE_URL names another server; ends with
``ledger_check``.

    .venv/bin/python bench/claims.py [--tasks 5000] [--threads 1 4 8] [--show-queries]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _stack import bench_servers, hot_campaign  # noqa: E402  (bench/ is the script's folder)

ROUNDS = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000, help="positions of the hot campaign")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--show-queries", action="store_true", help="print one claim's SQL")
    args = parser.parse_args()

    with bench_servers():
        run(args)


def run(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.dev"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")  # not used by this benchmark
    os.environ["DEBUG"] = "false"  # as in production: no query log, no debug cursor
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from payments.selectors import ledger_violations
    from tasks.models import Assignment, AssignmentStatus, Task, TaskStatus
    from workers.claims import CLAIM_STATEMENTS

    call_command("migrate", verbosity=0)
    campaign = hot_campaign(positions=args.tasks)
    # Each run claims the same number of tasks through the service and then raw; every
    # claim comes from a worker who has claimed nothing yet (max 1 task per worker).
    per_run = args.tasks // (2 * len(args.threads))
    run_id = uuid.uuid4().hex[:8]
    workers = list(
        User.objects.bulk_create(
            [
                User(email=f"bench-claimer-{run_id}-{i}@kaaj.test", country="BD")
                for i in range(2 * per_run * len(args.threads) + 1)
            ],
            batch_size=2000,
        )
    )
    profile_worker = workers.pop()

    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
    print(
        f"PostgreSQL {connection.pg_version // 10000}, fsync={fsync}; one campaign of "
        f"{args.tasks} tasks; {per_run} claims per run, each by a different worker"
    )
    queries = _profile(campaign, profile_worker, args.show_queries)
    print(
        f"round trips per claim, BEGIN and COMMIT included: service {queries}, "
        f"raw SQL {len(CLAIM_STATEMENTS) + 2}"
    )

    for threads in args.threads:
        service_seconds = raw_seconds = 0.0
        # Service and raw take turns in a few rounds, so a busy moment of the machine
        # weighs on both alike.
        for turn in range(ROUNDS):
            size = per_run // ROUNDS + (turn < per_run % ROUNDS)
            chunk, workers = workers[:size], workers[size:]
            service_seconds += _measure(threads, chunk, _service_claimer(campaign))
            chunk, workers = workers[:size], workers[size:]
            raw_seconds += _measure(threads, chunk, _raw_claimer(campaign.pk))
        service_rate, raw_rate = per_run / service_seconds, per_run / raw_seconds
        ratio = service_rate / raw_rate
        print(
            f"{threads:2d} threads: service {service_rate:7.0f} claims/s, "
            f"raw SQL {raw_rate:7.0f} claims/s, ratio {ratio:.2f}"
            f"{'' if ratio >= 0.5 else '  (below the 0.5 target)'}"
        )

    claimed = Assignment.objects.filter(campaign=campaign, status=AssignmentStatus.CLAIMED)
    assigned = Task.objects.filter(campaign=campaign, status=TaskStatus.ASSIGNED).count()
    doubles = claimed.values("task").annotate(n=django.db.models.Count("id")).filter(n__gt=1)
    violations = ledger_violations()
    print(
        f"claims: {claimed.count()}, tasks assigned: {assigned}, sold twice: {doubles.count()}; "
        f"ledger_check: {violations or 'clean'}"
    )
    if violations or doubles.exists() or claimed.count() != assigned:
        sys.exit(1)


def _profile(campaign, worker, show: bool) -> int:
    """Run one service claim and count (optionally print) its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workers.claims import task_claim

    with CaptureQueriesContext(connection) as captured:
        task_claim(campaign=campaign, worker=worker, ip="127.0.0.1")
    if show:
        for query in captured.captured_queries:
            print(f"    {query['time']}s  {query['sql'][:150]}")
    return len(captured.captured_queries)


def _service_claimer(campaign):
    from workers.claims import task_claim

    def claim(worker) -> None:
        task_claim(campaign=campaign, worker=worker, ip="127.0.0.1")

    return lambda: claim, lambda: None


def _raw_claimer(campaign_id: int):
    import psycopg2
    from django.db import connection as django_connection

    from workers.claims import CLAIM_LOCK, CLAIM_STATEMENTS, CLAIM_VALUES
    from workers.eligibility import standing_values

    params = django_connection.get_connection_params()
    local = threading.local()

    def start():
        local.conn = psycopg2.connect(**params)
        return claim

    def claim(worker) -> None:
        now = datetime.now(UTC)
        values = {
            **CLAIM_VALUES,
            **standing_values(worker_id=worker.pk, scope=campaign_id, now=now),
            "lock": CLAIM_LOCK,
            "campaign": campaign_id,
            "now": now,
            "expires_at": now + timedelta(minutes=60),  # the campaign's time to complete
            "ip": "127.0.0.1",
        }
        lock, read, take, insert = CLAIM_STATEMENTS
        with local.conn, local.conn.cursor() as cursor:  # one transaction, committed on exit
            cursor.execute(lock, values)
            cursor.execute(read, values)
            if cursor.fetchone() is None:
                raise RuntimeError("no campaign")
            cursor.execute(take, values)
            row = cursor.fetchone()
            if row is None:
                raise RuntimeError("no task left")
            values["task"] = row[0]
            cursor.execute(insert, values)
            cursor.fetchone()

    def close() -> None:
        local.conn.close()

    return start, close


def _measure(threads: int, workers: list, claimer) -> float:
    """Seconds for ``threads`` threads sharing ``workers`` to claim (one claim each)."""
    from django.db import connection

    start, finish = claimer
    chunks = [workers[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work(chunk: list) -> None:
        try:
            claim = start()
            connection.ensure_connection()
            barrier.wait()
            for worker in chunk:
                claim(worker)
        except BaseException as error:  # reported after the run
            errors.append(error)
            barrier.abort()
        finally:
            try:
                finish()
            finally:
                connection.close()

    pool = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for thread in pool:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a failed start is reported below
        barrier.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{len(errors)} claims failed, first: {errors[0]!r}")
    return elapsed


if __name__ == "__main__":
    main()
