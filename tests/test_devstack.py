"""The embedded stack: real PostgreSQL and Redis that start, answer, keep data, and stop."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
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
    assert "Demo accounts ready (8 new)" in output
    assert "employer1@demo.kaaj.test" in output and "http://127.0.0.1" in output
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
    assert "Demo accounts ready" not in output
    time.sleep(0.5)
    assert _alive([process.pid, *tree, *servers]) == []
    assert _processes_using(var) == []
