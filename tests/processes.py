"""Kaaj as separate processes, for the tests that run it as a deployment does: gunicorn, Celery
workers and beat started as subprocesses on the test run's PostgreSQL server and Redis.

Each process logs to a file of its own and runs in a process group of its own;
:class:`Processes` stops every group it started (SIGTERM, then SIGKILL) however the test ends,
and prints the logs' last lines when it ends with an error, so a failure shows what the
processes said.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import redis
from django.conf import settings

from marketplace import celery_app
from marketplace.settings.base import redis_settings

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
QUEUES = tuple(queue.name for queue in settings.CELERY_TASK_QUEUES)
# What a process reads from the test run's environment is replaced, never inherited.
_OURS = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "KAAJ_VAR_DIR")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(**values: str) -> dict[str, str]:
    """The test run's environment without its Kaaj settings, plus ``values``."""
    env = {key: value for key, value in os.environ.items() if key not in _OURS}
    return {**env, "PYTHONUNBUFFERED": "1", **values}


# --- PostgreSQL ----------------------------------------------------------------------------


def database_url(server: dict[str, Any], name: str) -> str:
    """A DATABASE_URL for database ``name`` on the server Django's ``server`` settings name
    (a TCP host or, for the embedded test cluster, a socket directory)."""
    user = urllib.parse.quote(server.get("USER") or "", safe="")
    password = server.get("PASSWORD") or ""
    credentials = f"{user}:{urllib.parse.quote(password, safe='')}" if password else user
    host = server.get("HOST") or server.get("OPTIONS", {}).get("host") or ""
    port = server.get("PORT") or ""
    if host.startswith("/"):
        query = urllib.parse.urlencode({"host": host, **({"port": port} if port else {})})
        return f"postgres://{credentials}@/{name}?{query}"
    return f"postgres://{credentials}@{host or 'localhost'}{f':{port}' if port else ''}/{name}"


def _maintenance(server: dict[str, Any]):
    connection = psycopg2.connect(
        dbname="postgres",
        user=server.get("USER") or None,
        password=server.get("PASSWORD") or None,
        host=server.get("HOST") or None,
        port=server.get("PORT") or None,
    )
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def fresh_database(server: dict[str, Any], name: str) -> Iterator[str]:
    """An empty database ``name`` on the server (dropped first if a killed run left it),
    dropped again on exit; yields its DATABASE_URL."""
    connection = _maintenance(server)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield database_url(server, name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


def execute(url: str, statement: str, params: list) -> None:
    """One statement on the database ``url`` names, committed; the connection closed."""
    db = psycopg2.connect(url)
    try:
        with db, db.cursor() as cursor:
            cursor.execute(statement, params)
    finally:
        db.close()


# --- Redis as Celery's broker --------------------------------------------------------------


def broker_url() -> str:
    """Celery's broker on the test run's Redis, as the processes' settings derive it."""
    return str(redis_settings(settings.REDIS_URL)["CELERY_BROKER_URL"])


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def queued(queue: str) -> int:
    """How many jobs wait in ``queue`` (kombu keeps a Redis list per queue)."""
    return int(redis_client().llen(queue))


def broker_purge() -> None:
    """Forget every job in Kaaj's queues and every one a worker held unacknowledged: what a
    test run killed earlier may have left in the run's Redis."""
    redis_client().delete(*QUEUES, "unacked", "unacked_index")


@contextlib.contextmanager
def broker_on_redis() -> Iterator[None]:
    """Jobs this process queues go to the test run's Redis (test settings use memory://),
    for workers in other processes; purged before and after."""
    from kombu import pools

    def reset() -> None:
        # Celery keeps connections and producers in pools made for the first broker URL.
        pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = broker_url()
    reset()
    broker_purge()
    try:
        yield
    finally:
        broker_purge()
        celery_app.conf.broker_url = saved
        reset()


# --- Processes -----------------------------------------------------------------------------


def celery_worker(name: str, queues: tuple[str, ...], concurrency: int = 1) -> list[str]:
    """A Celery worker consuming ``queues``; its log says ``<name>@... ready.`` once it
    consumes."""
    return [
        *(PYTHON, "-m", "celery", "-A", "marketplace", "worker", "--loglevel", "INFO"),
        *("--hostname", f"{name}@%h", "--queues", ",".join(queues)),
        *("--concurrency", str(concurrency), "--without-gossip", "--without-mingle"),
        "--without-heartbeat",
    ]


def celery_beat(schedule: Path) -> list[str]:
    return [
        *(PYTHON, "-m", "celery", "-A", "marketplace", "beat", "--loglevel", "INFO"),
        *("--schedule", str(schedule)),
    ]


def gunicorn(port: int, workers: int = 2) -> list[str]:
    """gunicorn as the image runs it: sync workers, the app loaded once before forking."""
    return [
        str(Path(PYTHON).with_name("gunicorn")),
        "marketplace.wsgi:application",
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--preload"),
        *("--log-level", "warning", "--graceful-timeout", "5"),
    ]


class Processes:
    """Processes started for one test, stopped together when the ``with`` block ends."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.started: dict[str, subprocess.Popen] = {}

    def __enter__(self) -> Processes:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if error is not None:
            print(self.logs())  # pytest shows it with the failure
        self.stop_all()

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        with (self.log_dir / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**self.env, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started[name] = process
        return process

    def run(self, name: str, argv: list[str], timeout: float = 60) -> str:
        """Run a command to its end; its output, or an AssertionError with it."""
        result = subprocess.run(
            argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        output = result.stdout + result.stderr
        (self.log_dir / f"{name}.log").write_text(output)
        assert result.returncode == 0, f"{name} exited with {result.returncode}:\n{output}"
        return result.stdout

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self, lines: int = 60) -> str:
        parts = []
        for name in self.started:
            tail = "\n".join(self.log(name).splitlines()[-lines:])
            parts.append(f"--- {name} (last {lines} lines of {self.log_dir / name}.log)\n{tail}")
        return "\n".join(parts)

    def check_alive(self) -> None:
        for name, process in self.started.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}:\n{self.log(name)}")

    def wait_for(
        self, condition: Callable[[], Any], *, seconds: float, what: str, every: float = 0.1
    ) -> Any:
        """Poll ``condition`` every ``every`` seconds until it is true; fail if it is not
        within ``seconds`` or a process exits meanwhile."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            self.check_alive()
            time.sleep(every)
        raise AssertionError(f"timed out after {seconds} s waiting for {what}")

    def wait_until_ready(self, worker: str, seconds: float = 30) -> None:
        self.wait_for(
            lambda: f"{worker}@" in self.log(worker) and " ready." in self.log(worker),
            seconds=seconds,
            what=f"Celery worker {worker} to consume",
        )

    def stop_all(self, timeout: float = 15) -> None:
        """SIGTERM to every process group (gunicorn and Celery shut down gracefully), then
        SIGKILL to what is left after ``timeout``."""
        for process in self.started.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.started.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # children that outlived their parent
            process.wait()
