"""What every benchmark starts with: a fresh database on the embedded `bench` cluster.

With DATABASE_URL (and REDIS_URL) set, the benchmark uses those servers instead and starts
nothing. Otherwise the `bench` stack under var/ (durable: fsync on, as in production) is
started for the run, its `kaaj` database dropped and created anew, and stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def bench_servers(*, redis: bool = False) -> Iterator[None]:
    """Point DATABASE_URL (and REDIS_URL when ``redis``) at servers for this run."""
    from marketplace import devstack

    postgres = not os.environ.get("DATABASE_URL")
    redis = redis and not os.environ.get("REDIS_URL")
    if not (postgres or redis):
        yield
        return
    stack = devstack.Stack(devstack.var_dir(), "bench")
    with devstack.embedded(stack, postgres=postgres, redis=redis, quiet=True):
        if postgres:
            _recreate_database(stack)
            socket = urllib.parse.quote(str(stack.socket_dir))
            os.environ["DATABASE_URL"] = f"postgres://postgres@/kaaj?host={socket}"
        if redis:
            os.environ["REDIS_URL"] = stack.redis_url
        yield


def _recreate_database(stack) -> None:
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", user="postgres", host=str(stack.socket_dir))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS kaaj")
        cursor.execute("CREATE DATABASE kaaj")
    connection.close()
