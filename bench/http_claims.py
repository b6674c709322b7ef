"""Claim + submit cycles per second over HTTP, under gunicorn, with 1, 4 and 16 clients.

Each client is a worker with its own token (``POST /api/v1/auth/token/``) who, in a loop,
claims a task of one big campaign (``POST /api/v1/campaigns/{id}/claim/``, 201) and submits
a JSON proof for it (``POST /api/v1/assignments/{id}/submit/``, 200). gunicorn runs the
production settings on 127.0.0.1 with a free port (sync workers, as many as
docker-compose.yml starts); clients are threads using http.client. Runs on its own embedded
PostgreSQL cluster and Redis (``var/postgres-bench``, ``var/redis-bench``) unless
DATABASE_URL / REDIS_URL name other servers; ends with ``ledger_check``.

    .venv/bin/python bench/http_claims.py [--clients 1 4 16] [--cycles 300] [--gunicorn-workers 3]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _stack import bench_servers, hot_campaign, timed_threads  # noqa: E402  (bench/ is the script's folder)

PASSWORD = "bench-" + secrets.token_hex(8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--cycles", type=int, default=300, help="claim + submit cycles per run")
    parser.add_argument("--gunicorn-workers", type=int, default=3, help="as docker-compose (3)")
    args = parser.parse_args()

    with bench_servers(redis=True):
        run(args)


def run(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.dev"
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from payments.selectors import ledger_violations
    from tasks.models import Assignment, AssignmentStatus

    call_command("migrate", verbosity=0)
    total = args.cycles * len(args.clients)
    campaign_id, emails = workload(total, max(args.clients))
    connection.close()

    with tempfile.TemporaryDirectory() as media, gunicorn(args.gunicorn_workers, media) as port:
        tokens = [api_token(port, email) for email in emails]
        print(
            f"gunicorn: {args.gunicorn_workers} sync workers, production settings, "
            f"127.0.0.1:{port}; campaign {campaign_id} with {total} tasks"
        )
        for clients in args.clients:
            rate, p50, p95 = measure([port], campaign_id, tokens[:clients], args.cycles)
            print(
                f"{clients:2d} clients: {args.cycles} cycles, {rate:6.1f} claim+submit cycles/s "
                f"(one cycle: p50 {p50:5.1f} ms, p95 {p95:5.1f} ms)"
            )
    submitted = Assignment.objects.filter(
        campaign_id=campaign_id, status=AssignmentStatus.SUBMITTED
    ).count()
    violations = ledger_violations()
    print(f"submitted: {submitted} (expected {total}); ledger_check: {violations or 'clean'}")
    if violations or submitted != total:
        sys.exit(1)


def workload(
    positions: int, clients: int, proof_fields: list[dict] | None = None
) -> tuple[int, list[str]]:
    """One funded, approved campaign (text proof unless ``proof_fields`` says otherwise, the
    highest per-worker cap, which the default runs never reach) and ``clients`` workers with
    a password, built through the services."""
    from accounts.services import user_ensure_verified

    run_id = uuid.uuid4().hex[:8]
    emails = [f"http-worker-{run_id}-{n}@kaaj.test" for n in range(clients)]
    for n, email in enumerate(emails):  # verified: the token endpoint requires it
        user_ensure_verified(
            email=email, password=PASSWORD, display_name=f"Bench Worker {n}", country="BD"
        )
    from tasks.limits import MAX_TASKS_PER_WORKER_MAX

    campaign = hot_campaign(
        positions=positions,
        max_tasks_per_worker=min(positions, MAX_TASKS_PER_WORKER_MAX),
        prefix="http",
        proof_fields=proof_fields,
    )
    return campaign.pk, emails


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers: int, media: str, root: Path = ROOT, static: str = ""):
    """gunicorn on loopback with the production settings and a complete environment, serving
    the code of the checkout at ``root`` (this one by default) and the static files collected
    in ``static`` (none by default: the API needs none); stopped (SIGTERM, then SIGKILL)
    whatever happens."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": media,
        "STATIC_ROOT": static or media,  # no collectstatic: the API serves no static files
        "DEBUG": "false",
        # The benchmark's deposits go through the sandbox: production settings run it in
        # demo mode only.
        "KAAJ_DEMO_MODE": "true",
        # The benchmark's clients are few and busy: no rate limit may slow them down.
        "API_THROTTLE_AUTH": "100000/minute",
        "API_THROTTLE_USER": "10000000/minute",
        "API_THROTTLE_ANON": "100000/minute",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "marketplace.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=root, env=env)
    try:
        _wait_until_up(port, server)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        with contextlib.suppress(OSError):
            status, _ = api_request(
                http.client.HTTPConnection("127.0.0.1", port), "GET", "/api/v1/categories/"
            )
            if status < 500:
                return
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def api_request(
    conn: http.client.HTTPConnection, method: str, path: str, body=None, token: str = ""
) -> tuple[int, dict]:
    headers = {"Accept": "application/json", "Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    try:
        return response.status, json.loads(raw) if raw else {}
    except ValueError:
        return response.status, {"raw": raw[:200]}


def api_token(port: int, email: str) -> str:
    status, body = api_request(
        http.client.HTTPConnection("127.0.0.1", port),
        "POST",
        "/api/v1/auth/token/",
        {"email": email, "password": PASSWORD},
    )
    if status != 200 or "token" not in body:
        raise SystemExit(f"login failed: {status} {body}")
    return body["token"]


def measure(ports: list[int], campaign_id: int, tokens: list[str], cycles: int, between=None):
    """Cycles per second with one thread per token, ``cycles`` in all, the threads spread
    over the web servers on ``ports`` in turn; and the p50/p95 of one cycle's time.
    ``between(conn, n)``, if given, runs after each cycle of client ``n`` on its connection
    (and counts in the rate, not in the cycle's time)."""
    shares = [cycles // len(tokens) + (n < cycles % len(tokens)) for n in range(len(tokens))]
    barrier = threading.Barrier(len(tokens) + 1)
    durations: list[float] = []
    errors: list[str] = []

    def client(n: int, token: str, count: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[n % len(ports)], timeout=60)
        barrier.wait()
        try:
            for _ in range(count):
                began = time.perf_counter()
                status, claim = api_request(
                    conn, "POST", f"/api/v1/campaigns/{campaign_id}/claim/", {}, token
                )
                if status != 201:
                    errors.append(f"claim: {status} {claim}")
                    return
                status, body = api_request(
                    conn,
                    "POST",
                    f"/api/v1/assignments/{claim['id']}/submit/",
                    {"answers": {"answer": "Rice 120, dal 60, tea 15"}},
                    token,
                )
                if status != 200:
                    errors.append(f"submit: {status} {body}")
                    return
                durations.append((time.perf_counter() - began) * 1000)
                if between is not None:
                    between(conn, n)
        except (OSError, http.client.HTTPException) as error:
            errors.append(repr(error))
        finally:
            conn.close()

    threads = [
        threading.Thread(target=client, args=(n, token, share))
        for n, (token, share) in enumerate(zip(tokens, shares, strict=True))
    ]
    elapsed = timed_threads(threads, barrier, errors)
    return (
        len(durations) / elapsed,
        statistics.median(durations),
        statistics.quantiles(durations, n=20)[-1],
    )


if __name__ == "__main__":
    main()
