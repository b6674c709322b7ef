"""Approvals per second: paying workers from escrow, one by one and in batches.

Each approval is one ledger movement: reward from the campaign's escrow to the worker's
wallet and the fee to Kaaj's fees account, exactly once per assignment. The benchmark runs
on its own embedded PostgreSQL cluster (``var/postgres-bench``, durable: fsync on, as in
production) unless DATABASE_URL names another server, then runs ``ledger_check``.

    .venv/bin/python bench/ledger_approvals.py [--single 2000] [--batched 20000] [--batch 500]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _stack import bench_servers  # noqa: E402  (bench/ is the script's folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=2000, help="approvals paid one by one")
    parser.add_argument("--batched", type=int, default=20000, help="approvals paid in batches")
    parser.add_argument("--batch", type=int, default=500, help="approvals per batch")
    parser.add_argument("--workers", type=int, default=200, help="distinct workers paid")
    args = parser.parse_args()

    with bench_servers():
        run(args)


def run(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.dev"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")  # not used by this benchmark
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from core.money import fee_for
    from payments import services
    from payments.models import AccountKind, Movement
    from payments.selectors import ledger_violations
    from payments.services.ledger import Leg, Posting, ledger_post, system_account, wallet_account

    call_command("migrate", verbosity=0)
    run_id = uuid.uuid4().hex[:8]
    employer = User.objects.create_user(email=f"bench-employer-{run_id}@kaaj.test")
    workers = User.objects.bulk_create(
        [User(email=f"bench-worker-{run_id}-{i}@kaaj.test") for i in range(args.workers)]
    )
    reward = 25
    fee = fee_for(reward)
    total = args.single + args.batched
    ledger_post(
        Posting(
            kind="deposit",
            idempotency_key=f"bench:{run_id}:deposit",
            reference=f"bench:{run_id}",
            legs=(
                Leg(
                    system_account(AccountKind.DEPOSITS, "bench"),
                    wallet_account(employer),
                    total * (reward + fee),
                ),
            ),
        )
    )
    campaign_id = int(time.time())
    services.escrow_fund(
        campaign_id=campaign_id,
        employer=employer,
        amount_cents=total * (reward + fee),
        event=f"bench:{run_id}",
        by=employer,
    )

    def approval(n: int) -> services.TaskPayment:
        return services.TaskPayment(
            assignment_id=campaign_id * 1_000_000 + n,
            campaign_id=campaign_id,
            employer=employer,
            worker=workers[n % len(workers)],
            reward_cents=reward,
            fee_cents=fee,
        )

    started = time.perf_counter()
    for n in range(args.single):
        services.escrow_pay(payment=approval(n), by=None)
    single_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for first in range(args.single, total, args.batch):
        last = min(first + args.batch, total)
        services.escrow_pay_many(payments=[approval(n) for n in range(first, last)], by=None)
    batch_seconds = time.perf_counter() - started

    started = time.perf_counter()
    replay = services.escrow_pay_many(payments=[approval(n) for n in range(args.batch)], by=None)
    replay_seconds = time.perf_counter() - started
    assert not any(created for _, created in replay), "a replayed approval paid again"

    started = time.perf_counter()
    violations = ledger_violations()
    check_seconds = time.perf_counter() - started
    paid = Movement.objects.filter(
        kind="task_payment", reference__startswith=f"assignment:{campaign_id}"
    ).count()

    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
    print(
        f"PostgreSQL {connection.pg_version // 10000}, fsync={fsync}; "
        f"reward {reward} + fee {fee} cents; {args.workers} workers, one campaign"
    )
    print(
        f"one by one: {args.single:6d} approvals in {single_seconds:6.2f} s = "
        f"{args.single / single_seconds:8.0f} approvals/s"
    )
    print(
        f"batched:    {args.batched:6d} approvals in {batch_seconds:6.2f} s = "
        f"{args.batched / batch_seconds:8.0f} approvals/s (batches of {args.batch})"
    )
    print(f"replayed batch of {args.batch}: paid nothing again, {replay_seconds * 1000:.0f} ms")
    print(
        f"paid movements: {paid} (expected {total}); "
        f"ledger_check: {violations or 'clean'} "
        f"in {check_seconds:.2f} s"
    )
    if violations or paid != total:
        sys.exit(1)


if __name__ == "__main__":
    main()
