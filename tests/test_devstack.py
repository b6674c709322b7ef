"""The embedded stack: real PostgreSQL and Redis that start, answer, keep data, and stop."""

import contextlib
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import psycopg2
import pytest

from marketplace import devstack

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _alive(pids) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _processes_using(path: Path) -> list[int]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(path) in cmdline and process.info["pid"] != os.getpid():
            found.append(process.info["pid"])
    return _alive(found)


def _postmaster_pid(stack) -> int:
    return int((stack.pgdata / "postmaster.pid").read_text().split()[0])


def test_embedded_stack_starts_answers_a_query_and_stops_leaving_no_process(tmp_path):
    stack = devstack.Stack(tmp_path / "var", "probe")
    with devstack.embedded(stack, quiet=True):
        connection = psycopg2.connect(dbname="kaaj", user="postgres", host=str(stack.socket_dir))
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT 6 * 7, current_setting('server_version_num')::int")
            answer, version = cursor.fetchone()
            cursor.execute("CREATE TABLE kept (value text); INSERT INTO kept VALUES ('still here')")
        connection.close()
        redis = devstack._redis_client(stack)
        assert redis.ping()
        redis.set("greeting", "kaaj")
        pids = [_postmaster_pid(stack), devstack.redis_pid(stack)]
        assert len(_alive(pids)) == 2
    assert answer == 42
    assert version >= 160000
    assert _alive(pids) == []
    assert _processes_using(stack.pgdata) == []
    assert not devstack.postgres_running(stack) and not devstack.redis_running(stack)

    # Started again, it finds the same data.
    with devstack.embedded(stack, quiet=True):
        connection = psycopg2.connect(dbname="kaaj", user="postgres", host=str(stack.socket_dir))
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT value FROM kept")
            assert cursor.fetchone() == ("still here",)
        connection.close()
        assert devstack._redis_client(stack).get("greeting") == b"kaaj"
    assert _processes_using(stack.pgdata) == []


def test_an_inner_user_of_a_running_stack_leaves_it_running(tmp_path):
    stack = devstack.Stack(tmp_path / "var", "shared")
    with devstack.embedded(stack, quiet=True):
        with devstack.embedded(stack, quiet=True):
            pass
        assert devstack.postgres_running(stack) and devstack.redis_running(stack)
    assert not devstack.postgres_running(stack) and not devstack.redis_running(stack)


def test_a_long_data_path_gets_a_short_socket_directory(tmp_path):
    stack = devstack.Stack(tmp_path / ("deep" * 30), "dev")
    assert len(str(stack.socket_dir / ".s.PGSQL.5432")) < 108
    assert stack.socket_dir == devstack.Stack(tmp_path / ("deep" * 30), "dev").socket_dir


def test_commands_use_what_the_environment_names(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")
    monkeypatch.setenv("DATABASE_URL", "postgres://elsewhere/kaaj")
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:6379/0")
    context = devstack.for_command(["manage.py", "migrate"])
    assert not hasattr(context, "gen")  # a null context: nothing embedded starts
    monkeypatch.delenv("REDIS_URL")
    assert hasattr(devstack.for_command(["manage.py", "migrate"]), "gen")


# --- make run, end to end ----------------------------------------------------------------


# Data folders a first ``make run`` migrated and seeded, then stopped cleanly: a start from a
# copy skips the ten seconds of migrations and demo data that the later runs never test.
_MIGRATED_AND_SEEDED: list[Path] = []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_runstack(var: Path, port: int) -> subprocess.Popen:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(KAAJ_VAR_DIR=str(var), KAAJ_PORT=str(port))
    return subprocess.Popen(
        [sys.executable, "manage.py", "runstack"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_for_page(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"runstack exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("the home page never answered")


def _log_in(base: str, email: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/accounts/login/") as response:
        html = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "login": email, "password": password}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    with opener.open(request) as response:
        return response.read().decode()


def _stop(process: subprocess.Popen, sig: int, group: bool) -> str:
    if group:
        os.killpg(process.pid, sig)  # what Ctrl-C does: the whole foreground group
    else:
        process.send_signal(sig)
    output, _ = process.communicate(timeout=60)
    return output


def test_run_serves_demo_logins_and_stops_everything_on_ctrl_c_or_sigterm(tmp_path):
    var = tmp_path / "var"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    stack = devstack.Stack(var, "dev")

    process = _start_runstack(var, port)
    try:
        _wait_for_page(base + "/", process)
        page = _log_in(base, "employer1@demo.kaaj.test", "kaaj-demo-pass")
        assert "Demo Employer 1" in page
        tree = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
        servers = [_postmaster_pid(stack), devstack.redis_pid(stack)]
    finally:
        output = _stop(process, signal.SIGINT, group=True)
    assert process.returncode == 0, output  # Ctrl-C is how make run is meant to end
    assert "Demo accounts ready (8 new)" in output
    assert "employer1@demo.kaaj.test" in output and "http://127.0.0.1" in output
    # The address and the logins come after the processes' start-up lines, and no e-mail is
    # printed: they are files under var/mail/, their links to this run's port.
    summary = output.index("Demo logins:")
    assert output.index(f"Kaaj is running at {base}/") > summary > output.index("web started")
    assert f"E-mails the site sends are files in {var / 'mail'}/" in output
    assert "Content-Transfer-Encoding" not in output
    time.sleep(0.5)
    assert _alive([process.pid, *tree, *servers]) == []
    assert _processes_using(var) == []

    # Again, stopped with SIGTERM this time: same data, no second seeding.
    process = _start_runstack(var, port)
    try:
        _wait_for_page(base + "/", process)
        tree = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
        servers = [_postmaster_pid(stack), devstack.redis_pid(stack)]
    finally:
        output = _stop(process, signal.SIGTERM, group=False)
    assert process.returncode == 0, output
    assert "Demo accounts ready" not in output
    time.sleep(0.5)
    assert _alive([process.pid, *tree, *servers]) == []
    assert _processes_using(var) == []
    _MIGRATED_AND_SEEDED.append(var)  # stopped cleanly: the runs below may start from a copy


# --- The supervisor ------------------------------------------------------------------------


class _Lines:
    """A thread-safe output for a Supervisor, read while it runs."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self.lines.extend(text.splitlines())

    def flush(self) -> None:
        pass

    def matching(self, pattern: str) -> list[str]:
        with self._lock:
            return [line for line in self.lines if re.search(pattern, line)]


def _until(condition, seconds: float = 20, what: str = "the condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def _supervising(programs, tmp_path, **options):
    out = _Lines()
    supervisor = devstack.Supervisor(programs, pid_dir=tmp_path / "pids", out=out, **options)
    returned = []
    thread = threading.Thread(target=lambda: returned.append(supervisor.run()), daemon=True)
    thread.start()
    try:
        yield out
    finally:
        supervisor.stop()
        thread.join(timeout=30)
    assert returned == [0]


def _python(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def test_backoff_doubles_from_one_second_up_to_thirty():
    assert [devstack.Backoff().delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_process_that_keeps_crashing_is_restarted_after_growing_waits_each_logged(tmp_path):
    crashing = devstack.Program("worker", _python("import sys; print('hello'); sys.exit(3)"))
    backoff = devstack.Backoff(first=0.1, maximum=0.4, stable_after=60)
    with _supervising([crashing], tmp_path, backoff=backoff) as out:
        _until(lambda: len(out.matching("worker exited")) >= 5, what="five exits")
    exits = out.matching(r"kaaj +\| worker exited with code 3 after [\d.]+ s; restarting in")
    waits = [line.rsplit("restarting in ", 1)[1] for line in exits[:5]]
    assert waits == ["0.1 s", "0.2 s", "0.4 s", "0.4 s", "0.4 s"]
    assert out.matching(r"kaaj +\| worker restarted \(restart 4\), pid \d+")
    assert out.matching(r"worker +\| hello")


def test_a_process_that_stayed_up_a_while_is_restarted_after_the_first_wait_again(tmp_path):
    program = devstack.Program("beat", _python("import time, sys; time.sleep(0.4); sys.exit(1)"))
    backoff = devstack.Backoff(first=0.1, maximum=5, stable_after=0.3)
    with _supervising([program], tmp_path, backoff=backoff) as out:
        _until(lambda: len(out.matching("beat exited")) >= 3, what="three exits")
    assert all(line.endswith("restarting in 0.1 s") for line in out.matching("beat exited"))


def test_stopping_ends_every_process_group_and_removes_the_pid_files(tmp_path):
    # A parent with a child of its own (as Celery's pool), and one that ignores SIGTERM.
    with_child = "import subprocess, sys, time; subprocess.Popen(['sleep', '60']); time.sleep(60)"
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    programs = [
        devstack.Program("web", _python(with_child)),
        devstack.Program("beat", _python(stubborn)),
    ]
    pid_dir = tmp_path / "pids"
    with _supervising(programs, tmp_path, stop_timeout=1) as out:
        web = _until(lambda: devstack.recorded_process(pid_dir / "web.pid"), what="web")
        beat = _until(lambda: devstack.recorded_process(pid_dir / "beat.pid"), what="beat")
        grandchild = _until(lambda: web.children(), what="web's child")[0]
        time.sleep(0.3)  # let beat ignore SIGTERM before it comes
    assert _alive([web.pid, beat.pid, grandchild.pid]) == []
    assert list(pid_dir.iterdir()) == []
    assert out.matching(r"beat did not stop within 1 s: killing it")
    assert out.matching(r"web was killed by SIGTERM")


def test_everything_is_stopped_even_when_the_output_reader_is_gone(tmp_path):
    # `make run | tee log`: Ctrl-C ends tee too, and every later line meets a closed pipe.
    read_end, write_end = os.pipe()
    os.close(read_end)
    pid_dir = tmp_path / "pids"
    with open(write_end, "w") as out:
        supervisor = devstack.Supervisor(
            [devstack.Program("web", _python("import time; time.sleep(60)"))],
            pid_dir=pid_dir,
            out=out,
        )
        returned = []
        thread = threading.Thread(target=lambda: returned.append(supervisor.run()), daemon=True)
        thread.start()
        web = _until(lambda: devstack.recorded_process(pid_dir / "web.pid"), what="web")
        supervisor.stop()
        thread.join(timeout=30)
    assert returned == [0]
    assert _alive([web.pid]) == []


# --- Leftovers of a run killed hard, the web port, one run per data folder -----------------


def test_leftovers_are_stopped_through_their_pid_files_and_stale_ones_removed(tmp_path):
    stack = devstack.Stack(tmp_path / "var", "dev")
    leftover = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        devstack.write_pid_file(stack.pid_dir / "worker.pid", leftover.pid)
        # A pid file naming a live process that is not the one recorded (the pid was reused):
        # this test's own pid with another start time. It must be left alone.
        (stack.pid_dir / "beat.pid").write_text(f"{os.getpid()}\n12345.0\n")
        # And one naming a process that is gone.
        dead = subprocess.Popen(["true"])
        dead.wait()
        (stack.pid_dir / "web.pid").write_text(f"{dead.pid}\n12345.0\n")

        assert devstack.stop_leftovers(stack, quiet=True, timeout=5) == ["worker"]
        assert leftover.wait(timeout=5) == -signal.SIGTERM
        assert list(stack.pid_dir.iterdir()) == []
    finally:
        leftover.kill()
        leftover.wait()


def test_a_port_in_use_is_detected_and_a_free_one_is_not():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert devstack.port_in_use("127.0.0.1", port)
    assert not devstack.port_in_use("127.0.0.1", port)


def test_run_with_the_port_in_use_says_so_in_one_line_and_starts_nothing(tmp_path):
    var = tmp_path / "var"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "runstack"],
            cwd=ROOT,
            env=_runstack_environment(var, port),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"CommandError: Port {port} on 127.0.0.1 is already in use: stop what listens there, "
        f"or run on another port (KAAJ_PORT={port + 1} make run)."
    ]
    assert not devstack.Stack(var, "dev").pgdata.exists()
    assert _processes_of(var) == []


def test_a_second_run_on_the_same_data_folder_is_refused_in_one_line(tmp_path):
    var = tmp_path / "var"
    with devstack.run_claim(devstack.Stack(var, "dev")):
        result = subprocess.run(
            [sys.executable, "manage.py", "runstack"],
            cwd=ROOT,
            env=_runstack_environment(var, _free_port()),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"CommandError: Kaaj is already running on {var} (pid {os.getpid()}): stop it first, "
        "or give this one a data folder of its own with KAAJ_VAR_DIR."
    ]


# --- make run: a crashed process comes back; a hard-killed run is cleaned up after -----------


def _runstack_environment(var: Path, port: int) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(KAAJ_VAR_DIR=str(var), KAAJ_PORT=str(port))
    return environment


def _processes_of(var: Path) -> list[int]:
    """Every live process of this data folder: named in its command line or environment."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            mine = str(var) in " ".join(process.info["cmdline"] or []) or (
                process.environ().get("KAAJ_VAR_DIR") == str(var)
            )
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if mine and process.pid != os.getpid():
            found.append(process.pid)
    return _alive(found)


class _Runs:
    """``manage.py runstack`` processes on one data folder, output to a file each; whatever
    happens in the test, nothing of that folder is left running afterwards."""

    def __init__(self, var: Path) -> None:
        self.var = var
        self.stack = devstack.Stack(var, "dev")
        self.port = _free_port()
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self) -> tuple[subprocess.Popen, Path]:
        log = self.var.parent / f"run-{len(self.started)}.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "runstack"],
                cwd=ROOT,
                env=_runstack_environment(self.var, self.port),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))
        return process, log

    def wait_for_page(self, process: subprocess.Popen, log: Path) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"runstack exited early:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2) as page:
                    if page.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"the home page never answered:\n{log.read_text()}")

    def pid(self, name: str) -> int:
        process = devstack.recorded_process(self.stack.pid_dir / f"{name}.pid")
        assert process is not None, f"no live {name}"
        return process.pid

    def clean_up(self) -> None:
        """Kill the runs, their processes and servers: gently where possible, then surely."""
        try:
            for process, _ in self.started:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            for path in self.stack.pid_dir.glob("*.pid"):
                if (leftover := devstack.recorded_process(path)) is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(leftover.pid, signal.SIGKILL)
            devstack.redis_stop(self.stack)
            devstack.postgres_stop(self.stack)
        finally:
            for pid in _processes_of(self.var):
                with contextlib.suppress(psutil.NoSuchProcess):
                    psutil.Process(pid).kill()


@pytest.fixture(scope="module")
def run_var(tmp_path_factory) -> Path:
    """One data folder for the runs below: a copy (owners kept, for PostgreSQL's user) of
    the one the first ``make run`` test left, migrated and seeded, when it ran; else it is
    migrated and seeded once, by whichever run is first (ten seconds saved or spent)."""
    var = tmp_path_factory.mktemp("runstack") / "var"
    if _MIGRATED_AND_SEEDED:
        subprocess.run(["cp", "-a", str(_MIGRATED_AND_SEEDED[-1]), str(var)], check=True)
    return var


@pytest.fixture
def runs(run_var):
    runs = _Runs(run_var)
    yield runs
    runs.clean_up()
    assert _processes_of(run_var) == []


def _wait_for_line(log: Path, pattern: str, seconds: float = 30) -> str:
    def found():
        return next((line for line in log.read_text().splitlines() if re.search(pattern, line)), "")

    try:
        return _until(found, seconds, what=pattern)
    except AssertionError:
        raise AssertionError(f"no line matching {pattern!r} in:\n{log.read_text()}") from None


def test_a_killed_worker_is_restarted_and_the_restart_logged(runs):
    process, log = runs.start()
    runs.wait_for_page(process, log)
    worker = runs.pid("worker")
    os.kill(worker, signal.SIGKILL)
    _wait_for_line(log, r"kaaj +\| worker was killed by SIGKILL after [\d.]+ s; restarting in 1 s")
    line = _wait_for_line(log, r"kaaj +\| worker restarted \(restart 1\), pid \d+")
    restarted = int(line.rsplit("pid ", 1)[1])
    assert restarted != worker and runs.pid("worker") == restarted
    assert "celery" in " ".join(psutil.Process(restarted).cmdline())
    tree = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
    servers = [_postmaster_pid(runs.stack), devstack.redis_pid(runs.stack)]

    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
    assert process.wait(timeout=60) == 0
    time.sleep(0.5)
    assert _alive([*tree, *servers]) == []
    assert _processes_of(runs.var) == []


def test_after_a_hard_kill_the_next_run_stops_the_leftovers_and_reuses_the_servers(runs):
    first, log = runs.start()
    runs.wait_for_page(first, log)
    left = {name: runs.pid(name) for name in ("web", "worker", "beat")}
    postgres, redis = _postmaster_pid(runs.stack), devstack.redis_pid(runs.stack)

    first.kill()  # SIGKILL: no chance to stop anything
    first.wait()
    assert len(_alive([*left.values(), postgres, redis])) == 5

    second, log = runs.start()
    _wait_for_line(log, r"kaaj +\| web started", seconds=120)  # the old web answers till then
    runs.wait_for_page(second, log)
    output = log.read_text()
    # Web held the port. Worker and beat may have died on their own by now (their output
    # went to the killed run), so each was stopped or gone; none survives either way.
    stopped = re.findall(
        r"\[kaaj\] Stopping (\w+) \(pid (\d+)\), left running by an earlier", output
    )
    assert ("web", str(left["web"])) in stopped, output
    assert set(stopped) <= {(name, str(pid)) for name, pid in left.items()}, output
    assert f"[kaaj] Reusing embedded PostgreSQL (pid {postgres})" in output
    assert f"[kaaj] Reusing embedded Redis (pid {redis})" in output
    assert _alive(left.values()) == []
    assert _alive([postgres, redis]) == [postgres, redis]
    assert all(runs.pid(name) not in left.values() for name in left)

    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=60) == 0
    time.sleep(0.5)
    assert _alive([postgres, redis]) == []
    assert _processes_of(runs.var) == []
    assert sorted(p.name for p in runs.stack.pid_dir.glob("*.pid")) == []


# --- make check-deploy ---------------------------------------------------------------------


def _make_recipe(target: str) -> str:
    """The command ``make TARGET`` runs (its last recipe line), without running it."""
    lines = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return lines[-1]


def test_check_deploy_passes_with_the_example_environment_and_no_servers():
    recipe = _make_recipe("check-deploy")
    assert recipe == ".venv/bin/python deploy/check.py deploy/env.example"
    # The database and Redis the example names do not exist: nothing may try to reach them.
    result = subprocess.run(
        [sys.executable, *recipe.split()[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert result.stderr == ""


def test_check_deploy_fails_on_an_environment_that_is_not_ready(tmp_path):
    example = (ROOT / "deploy" / "env.example").read_text()
    insecure = tmp_path / "insecure.env"
    insecure.write_text(example + "SECURE_SSL_REDIRECT=false\n")
    result = subprocess.run(
        [sys.executable, "deploy/check.py", str(insecure)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr


# --- make run's terminal: Ctrl-C ends make cleanly; the address and logins come last -------

_CTRL_C_CHILD = """
import signal, sys, time
from marketplace.devstack import terminal_foreground
with terminal_foreground():
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))  # as the Supervisor stops and returns
    print("ready", flush=True)
    time.sleep(30)
"""


def _make_in_a_terminal(tmp_path: Path, child: str) -> tuple[int, str]:
    """Run ``make run`` (a recipe running ``child``) on a pseudo-terminal, press Ctrl-C once
    the child is up, and return make's exit status and everything the terminal showed."""
    import pty

    (tmp_path / "child.py").write_text(child)
    (tmp_path / "Makefile").write_text(f"run:\n\t{sys.executable} child.py\n")
    pid, terminal = pty.fork()
    if pid == 0:  # the child: make leads the terminal's session and its foreground, as in a shell
        os.chdir(tmp_path)
        os.environ["PYTHONPATH"] = str(ROOT)
        os.execvp("make", ["make", "--no-print-directory", "run"])  # noqa: S606
    shown = b""
    deadline = time.monotonic() + 30
    while b"ready" not in shown and time.monotonic() < deadline:
        shown += os.read(terminal, 1024)
    os.write(terminal, b"\x03")  # Ctrl-C
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the terminal is gone with its last process
            break
        if not chunk:
            break
        shown += chunk
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_ctrl_c_ends_make_run_cleanly(tmp_path):
    code, shown = _make_in_a_terminal(tmp_path, _CTRL_C_CHILD)
    assert code == 0, shown
    assert "Interrupt" not in shown and "Error" not in shown


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_without_the_terminal_of_its_own_make_reports_the_interrupt(tmp_path):
    """What terminal_foreground() is for: the same child without it, and make fails."""
    child = _CTRL_C_CHILD.replace("with terminal_foreground():", "if True:")
    code, shown = _make_in_a_terminal(tmp_path, child)
    assert code != 0, shown  # killed by SIGINT with the recipe: "Interrupt" or "Error 130"


def test_run_writes_emails_to_files_with_links_to_its_own_address(monkeypatch, tmp_path):
    from marketplace.management.commands.runstack import Command, site_url

    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setenv("KAAJ_VAR_DIR", str(tmp_path))  # the dev stack's folder, mail/ in it
    command = Command()
    programs = command.programs("127.0.0.1", 8123, reload=False)
    for program in programs:
        assert program.env["SITE_URL"] == "http://127.0.0.1:8123"
        assert program.env["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
        assert program.env["EMAIL_FILE_PATH"] == str(tmp_path / "mail")
    monkeypatch.setenv("SITE_URL", "https://kaaj.example.com")
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    web = command.programs("127.0.0.1", 8123, reload=False)[0]
    assert web.env["SITE_URL"] == "https://kaaj.example.com"  # what the environment says wins
    assert web.env["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert "EMAIL_FILE_PATH" not in web.env
    assert site_url("0.0.0.0", 80) == "http://localhost:80"  # noqa: S104
    assert site_url("::1", 8000) == "http://[::1]:8000"
