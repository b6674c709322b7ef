"""What every benchmark starts with: a fresh database on the embedded `bench` cluster.

With DATABASE_URL (and REDIS_URL) set, the benchmark uses those servers instead and starts
nothing. Otherwise the `bench` stack under var/ (durable: fsync on, as in production) is
started for the run, its `kaaj` database dropped and created anew, and stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketplace.devstack import Stack

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def bench_servers(*, redis: bool = False) -> Iterator[Stack | None]:
    """Point DATABASE_URL (and REDIS_URL when ``redis``) at servers for this run; yields the
    embedded stack when this run started its PostgreSQL, None when DATABASE_URL was given."""
    from marketplace import devstack

    postgres = not os.environ.get("DATABASE_URL")
    redis = redis and not os.environ.get("REDIS_URL")
    if not (postgres or redis):
        yield None
        return
    stack = devstack.Stack(devstack.var_dir(), "bench")
    with devstack.embedded(stack, postgres=postgres, redis=redis, quiet=True):
        if postgres:
            _recreate_database(stack)
            socket = urllib.parse.quote(str(stack.socket_dir))
            os.environ["DATABASE_URL"] = f"postgres://postgres@/kaaj?host={socket}"
        if redis:
            os.environ["REDIS_URL"] = stack.redis_url
        yield stack if postgres else None


def _recreate_database(stack) -> None:
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", user="postgres", host=str(stack.socket_dir))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS kaaj")
        cursor.execute("CREATE DATABASE kaaj")
    connection.close()


def hot_campaign(
    *,
    positions: int,
    max_tasks_per_worker: int = 1,
    prefix: str = "bench",
    proof_fields: list[dict] | None = None,
):
    """A funded, approved data-entry campaign, built through the services like any other;
    its proof is one text field unless ``proof_fields`` says otherwise."""
    import uuid

    from accounts.models import User
    from accounts.services import moderator_grant
    from core.money import fee_for
    from payments.models import AccountKind
    from payments.services.ledger import Leg, Posting, ledger_post, system_account, wallet_account
    from tasks.models import Category
    from tasks.services import CampaignSpec, campaign_create, campaign_launch, campaign_moderate

    run_id = uuid.uuid4().hex[:8]
    employer = User.objects.create_user(email=f"{prefix}-employer-{run_id}@kaaj.test", country="US")
    moderator = moderator_grant(
        user=User.objects.create_user(email=f"{prefix}-moderator-{run_id}@kaaj.test")
    )
    category = Category.objects.get(slug="data-entry")
    reward = 2 * category.min_reward_cents
    ledger_post(
        Posting(
            kind="deposit",
            idempotency_key=f"bench:{run_id}:deposit",
            reference=f"bench:{run_id}",
            legs=(
                Leg(
                    system_account(AccountKind.DEPOSITS, "bench"),
                    wallet_account(employer),
                    positions * (reward + fee_for(reward)),
                ),
            ),
        )
    )
    spec = CampaignSpec(
        title="Copy the prices from a menu photo",
        category=category,
        instructions="Open the photo and type the price of each dish.",
        proof_fields=proof_fields
        or [{"key": "answer", "label": "Prices", "kind": "text", "required": True}],
        reward_cents=reward,
        positions=positions,
        max_tasks_per_worker=max_tasks_per_worker,
    )
    campaign = campaign_launch(campaign=campaign_create(employer=employer, spec=spec), by=employer)
    return campaign_moderate(campaign=campaign, by=moderator, approve=True)


def timed_threads(threads: list[threading.Thread], barrier: threading.Barrier, errors: list):
    """Start ``threads``, release them together (each waits on ``barrier``, which counts
    this thread too), and return the seconds until the last one ends; stop the benchmark
    with the first of ``errors`` if any thread reported one."""
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{len(errors)} clients failed, first: {errors[0]}")
    return elapsed
