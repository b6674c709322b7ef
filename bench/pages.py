"""Each page of the worker's and the employer's journeys over HTTP, under gunicorn with the
production settings: server time p50/p95 at 1 and 4 clients, queries per page, bytes
compressed per page, the worker's whole journey in cycles per second, and memory per
gunicorn worker.

The worker's journey: feed → campaign page → claim (POST) → proof page → submit (POST,
multipart, with a screenshot) → my work. The employer's: campaign list → the campaign's
page with its review queue → approve (POST). Each client logs in through the login page and
keeps its cookies, as a browser does; times are taken at the client on loopback (the server's
time plus a fraction of a millisecond). Queries are counted in this process afterwards
(Django's test client and CaptureQueriesContext, the same database, one journey of each);
bytes are the page's HTML gzipped (level 6, as a proxy sends it). After each round's
journeys at one client, the floor under them: a signed-in request with nothing to do and a
page with nothing on it (``FLOOR``), and from them what a journey cannot cost less than. Last,
the server time to check one screenshot as phones send them (proof.js's WebP or JPEG, a
full-size PNG).

The world is a platform in use (``--history``, 20,000 by default; 0 for a fresh one): the
measured employer has that many reviewed tasks behind them, each measured worker 200 finished
ones, and the feed 30 more employers' live campaigns — what makes an employer's record, a
worker's history and the feed cost what they cost in production.

The figures come from ``--rounds`` rounds (3 by default): in each, every client count's
journeys run on each checkout in turn, the first of the two swapped from round to round, so
that a slow minute of a shared machine falls on both alike.

``--checkout PATH`` measures another checkout than this one (a worktree of a commit, so
that unfinished edits are not measured); ``--compare PATH`` measures a second checkout (a
worktree of an earlier commit, with a ``.venv`` link) in the same run, on a database of its
own on the same server, and prints the two side by side. Each checkout migrates, builds its
workload and collects its static files with its own code; both servers are up, idle in
turn, for the whole run.

    .venv/bin/python bench/pages.py [--clients 1 4] [--cycles 40] [--rounds 3] [--history 20000]
        [--checkout PATH] [--compare /tmp/wt12base]

Runs on the embedded `bench` PostgreSQL and Redis unless DATABASE_URL / REDIS_URL name
other servers (bench/_stack.py); it makes databases named after DATABASE_URL's with
``_pages_current`` and ``_pages_compare`` appended, dropped when it ends.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _stack import bench_servers, timed_threads  # noqa: E402  (bench/ is the script's folder)
from http_claims import PASSWORD, gunicorn, workload  # noqa: E402

WORKER_PAGES = ["feed", "campaign", "claim", "proof page", "submit", "my work"]
EMPLOYER_PAGES = ["campaign list", "manage", "approve"]
# The floor under every page: what a signed-in request costs with nothing to do (the same
# middleware, session and user; a GET of the claim's URL, answered 405 without a page), and a
# page with nothing on it (the frame, the header's unread count, an empty list: a worker's
# /blocks/). Timed at one client, after each round's journeys.
FLOOR = {"no page": ("/work/campaigns/{id}/claim/", 405), "empty page": ("/blocks/", 200)}
FLOOR_REQUESTS = 40
PROOF_FIELDS = [
    {"key": "answer", "label": "Prices", "kind": "text", "required": True},
    {"key": "shot", "label": "The menu", "kind": "screenshot", "required": True},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--cycles", type=int, default=40, help="worker journeys per run")
    parser.add_argument("--gunicorn-workers", type=int, default=3, help="as docker-compose (3)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--compare", type=Path, help="another checkout to measure as well")
    parser.add_argument(
        "--history",
        type=int,
        default=20_000,
        help="reviewed tasks behind the measured employer (0: a fresh platform)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of each client count per checkout, interleaved with the other checkout's",
    )
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)  # a child's checkout
    args = parser.parse_args()
    if args.code:
        child(args)
        return
    with bench_servers(redis=True):
        checkouts = {"current": args.checkout.resolve()}
        if args.compare:
            checkouts["compare"] = args.compare.resolve()
        results = measure(checkouts, args)
    print_table(results, args)


def measure(checkouts: dict[str, Path], args) -> dict:
    """Start one child per checkout (its database, workload and gunicorn ready, idle), then
    run the journeys in rounds, the checkouts taking turns and swapping who goes first each
    round, so that a slow minute of the machine falls on both alike. Each page's p50/p95 is
    over all its rounds' requests; journeys per second is the median of the rounds'."""
    children = {label: _child_start(code, label, args) for label, code in checkouts.items()}
    try:
        for label, (process, _database_name) in children.items():
            _child_read(process, label)  # ready
        runs: dict[str, dict[str, dict]] = {
            label: {str(n): {"times": {}, "rates": []} for n in args.clients} for label in children
        }
        for number in range(args.rounds):
            order = list(children) if number % 2 == 0 else list(reversed(children))
            for n in args.clients:
                for label in order:
                    process, _ = children[label]
                    process.stdin.write(json.dumps({"clients": n}) + "\n")
                    process.stdin.flush()
                    run = _child_read(process, label)
                    into = runs[label][str(n)]
                    into["rates"].append(run["rate"])
                    for page, values in run["times"].items():
                        into["times"].setdefault(page, []).extend(values)
            print(f"round {number + 1} of {args.rounds} done", file=sys.stderr, flush=True)
        results = {}
        for label, (process, _) in children.items():
            process.stdin.write(json.dumps({"finish": True}) + "\n")
            process.stdin.flush()
            result = _child_read(process, label)
            result["runs"] = {
                n: {
                    "times": {
                        page: [statistics.median(values), _p95(values)]
                        for page, values in run["times"].items()
                    },
                    "rate": statistics.median(run["rates"]),
                    "rates": run["rates"],
                }
                for n, run in runs[label].items()
            }
            result["commit"] = _commit(checkouts[label])
            results[label] = result
        return results
    finally:
        for process, database in children.values():
            if process.poll() is None:
                process.kill()
            process.wait()
            _database(os.environ["DATABASE_URL"], database, create=False)


def _child_start(code: Path, label: str, args) -> tuple[subprocess.Popen, str]:
    """This script as a child on ``code``'s checkout and a database of its own."""
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    database = f"{url.path.lstrip('/')}_pages_{label}"
    _database(os.environ["DATABASE_URL"], database, create=True)
    command = [
        sys.executable,
        __file__,
        "--code",
        str(code),
        "--cycles",
        str(args.cycles),
        "--rounds",
        str(args.rounds),
        "--gunicorn-workers",
        str(args.gunicorn_workers),
        "--history",
        str(args.history),
        "--clients",
        *map(str, args.clients),
    ]
    env = {
        **os.environ,
        "DATABASE_URL": urllib.parse.urlunsplit(url._replace(path=f"/{database}")),
        # A cache of its own: both checkouts number their rows alike.
        "REDIS_URL": _redis_database(os.environ["REDIS_URL"], 1 if label == "compare" else 0),
    }
    print(f"measuring {label}: {code} ({_commit(code)})", flush=True)
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    return process, database


def _redis_database(url: str, offset: int) -> str:
    """``url`` with its database number moved on by ``offset`` (redis:// or unix://)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "unix":
        query = dict(urllib.parse.parse_qsl(parts.query))
        query["db"] = str(int(query.get("db", 0)) + offset)
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    number = int(parts.path.strip("/") or 0) + offset
    return urllib.parse.urlunsplit(parts._replace(path=f"/{number}"))


def _child_read(process: subprocess.Popen, label: str) -> dict:
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"the {label} checkout's measurement ended (exit {process.wait()})")
    return json.loads(line)


def _commit(code: Path) -> str:
    head = subprocess.run(
        ["git", "-C", str(code), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(code), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return head[:60] + (" + uncommitted changes" if dirty else "")


def _database(url: str, name: str, *, create: bool) -> None:
    import psycopg2

    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    connection = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password or None,
        host=query.get("host") or parts.hostname,
        port=parts.port,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


# --- the child: one checkout's measurement ---------------------------------------------------


def child(args) -> None:
    """Measure the checkout at ``args.code`` with its own code (first on sys.path) and print
    the figures as one JSON line (the rest of the output goes to stderr)."""
    sys.path.insert(0, str(args.code))
    # Celery's app puts the working directory first on sys.path when it is imported.
    os.chdir(args.code)
    real_stdout, sys.stdout = sys.stdout, sys.stderr
    media = tempfile.mkdtemp(prefix="kaaj-pages-media-")
    static = tempfile.mkdtemp(prefix="kaaj-pages-static-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        DEBUG="false",
        STATIC_ROOT=static,
        MEDIA_ROOT=media,
        ALLOWED_HOSTS="127.0.0.1,testserver",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    for package in ("marketplace", "moderation", "tasks", "workers"):
        where = sys.modules[package].__file__
        if not Path(where).is_relative_to(args.code):
            raise SystemExit(f"{package} came from {where}, not {args.code}")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    clients = max(args.clients)
    positions = args.cycles * len(args.clients) * args.rounds + 10
    campaign_id, emails = workload(positions, clients, proof_fields=PROOF_FIELDS)
    employer_email = _employer_with_password(campaign_id)
    if args.history:
        history(campaign_id, emails, args.history)
    connection.close()

    def answer(result: dict) -> None:
        print(json.dumps(result), file=real_stdout, flush=True)

    with gunicorn(args.gunicorn_workers, media, root=args.code, static=static) as port:
        answer({"ready": True})
        # One run per line from the parent ({"clients": n}), then {"finish": true}.
        for line in sys.stdin:
            command = json.loads(line)
            if command.get("finish"):
                break
            n = command["clients"]
            workers = [Browser(port, email) for email in emails[:n]]
            SCREENSHOTS[:] = [_screenshot() for _ in range(args.cycles)]
            times, rate = run_clients(workers, args.cycles, worker_journey, campaign_id)
            employers = [Browser(port, employer_email) for _ in range(n)]
            approvals = min(args.cycles, _submitted(campaign_id))
            e_times, _ = run_clients(employers, approvals, employer_journey, campaign_id)
            floor = floor_times(workers[0], campaign_id) if n == min(args.clients) else {}
            answer({"times": {**times, **e_times, **floor}, "rate": rate})
        result = {
            "memory": worker_memory(port),
            "bytes": page_bytes(Browser(port, emails[0]), Browser(port, employer_email)),
        }
    result["queries"] = page_queries(campaign_id, emails[0], employer_email)
    result["screenshots"] = screenshot_checks()
    answer(result)


def history(campaign_id: int, emails: list[str], size: int) -> None:
    """A platform in use, not a fresh one: the measured campaign's employer has ``size``
    reviewed tasks behind them (a finished campaign, 1 in 20 rejected), each measured worker
    200 finished tasks of theirs, and the feed 30 more employers' live campaigns, each
    employer with ``size // 10`` reviewed tasks. Written straight into the tables (the past,
    not what is measured), with each checkout's own models."""
    import datetime as dt
    import random

    from django.utils import timezone

    from accounts.models import User
    from tasks.models import Assignment, AssignmentStatus, Campaign, CampaignStatus, Task

    rng = random.Random(12)  # noqa: S311  (a repeatable past, not a secret)
    now = timezone.now()
    measured = Campaign.objects.get(pk=campaign_id)
    past_workers = [
        User.objects.create_user(email=f"past-{uuid.uuid4().hex[:10]}@kaaj.test", country="BD")
        for _ in range(50)
    ]
    workers = list(User.objects.filter(email__in=emails))

    def past(employer, count: int, *, status: str, mine: int = 0, open_tasks: int = 0):
        campaign = Campaign.objects.get(pk=measured.pk)
        campaign.pk = None
        campaign.employer = employer
        campaign.status = status
        campaign.positions = count + mine * len(workers) + open_tasks
        campaign.save()
        Task.objects.bulk_create(
            [
                Task(campaign=campaign, number=n, status="paid" if n >= open_tasks else "open")
                for n in range(campaign.positions)
            ],
            batch_size=5000,
        )
        tasks = list(
            Task.objects.filter(campaign=campaign, status="paid").values_list("pk", flat=True)
        )
        holders = [rng.choice(past_workers) for _ in range(count)] + [
            worker for worker in workers for _ in range(mine)
        ]
        rows = []
        for task_id, holder in zip(tasks, holders, strict=True):
            submitted = now - dt.timedelta(minutes=rng.randint(60, 50 * 24 * 60))
            reviewed = submitted + dt.timedelta(minutes=rng.randint(5, 3000))
            rows.append(
                Assignment(
                    task_id=task_id,
                    campaign=campaign,
                    worker=holder,
                    status=AssignmentStatus.REJECTED
                    if rng.random() < 0.05
                    else AssignmentStatus.APPROVED,
                    claimed_at=submitted - dt.timedelta(minutes=10),
                    expires_at=submitted + dt.timedelta(minutes=50),
                    submitted_at=submitted,
                    review_due_at=submitted + dt.timedelta(hours=72),
                    reviewed_at=reviewed,
                    updated_at=reviewed,
                )
            )
        Assignment.objects.bulk_create(rows, batch_size=5000)

    past(measured.employer, size, status=CampaignStatus.COMPLETED, mine=200)
    for n in range(30):
        employer = User.objects.create_user(
            email=f"past-employer-{n}-{uuid.uuid4().hex[:6]}@kaaj.test", country="US"
        )
        past(employer, size // 10, status=CampaignStatus.COMPLETED)
        past(employer, 0, status=CampaignStatus.ACTIVE, open_tasks=50)


def _employer_with_password(campaign_id: int) -> str:
    from accounts.services import user_ensure_verified
    from tasks.models import Campaign

    email = Campaign.objects.select_related("employer").get(pk=campaign_id).employer.email
    user_ensure_verified(email=email, password=PASSWORD)
    return email


def _submitted(campaign_id: int) -> int:
    from django.db import connection

    from tasks.models import Assignment, AssignmentStatus

    count = Assignment.objects.filter(
        campaign_id=campaign_id, status=AssignmentStatus.SUBMITTED
    ).count()
    connection.close()
    return count


# Made before each run, so that the journeys per second count the server's work, not the
# client's drawing of pictures.
SCREENSHOTS: list[bytes] = []


def _screenshot() -> bytes:
    """A phone-sized PNG, different for every call (a new picture, not a duplicate)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 640), "white")
    draw = ImageDraw.Draw(image)
    seed = uuid.uuid4().int
    for n in range(24):
        bits = (seed >> (n * 5)) & 31
        draw.rectangle((20, 20 + n * 25, 20 + bits * 10, 38 + n * 25), fill=(bits * 8, 60, 90))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def screenshot_checks() -> dict[str, float]:
    """Server time (ms, median of 9) to check and re-encode one screenshot as a phone sends
    it: a 862 x 1600 picture as proof.js makes it (WebP, or JPEG where the browser has no
    WebP encoder) and a full-size 1080 x 2000 PNG sent without the script."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    from tasks.proofs import image_clean

    def picture(width: int, height: int, kind: str, **options) -> bytes:
        image = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(image)
        for top in range(0, height, 40):
            right = 20 + (top * 7919) % (width - 40)
            draw.rectangle((20, top, right, top + 18), fill=((top * 3) % 255, 60, 90))
            draw.text((30, top + 20), "Rice 120 tk, dal 60 tk, tea 15 tk " * 3, fill="black")
        out = io.BytesIO()
        image.save(out, kind, **options)
        return out.getvalue()

    times = {}
    for name, data in [
        ("webp 862x1600", picture(862, 1600, "WEBP", quality=80)),
        ("jpeg 862x1600", picture(862, 1600, "JPEG", quality=85)),
        ("png 1080x2000", picture(1080, 2000, "PNG")),
    ]:
        runs = []
        for _ in range(9):
            began = time.perf_counter()
            image_clean(SimpleUploadedFile("shot", data))
            runs.append((time.perf_counter() - began) * 1000)
        times[name] = statistics.median(runs)
    return times


class Browser:
    """One signed-in client on its own connection: cookies kept, CSRF token from its cookie."""

    def __init__(self, port: int, email: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.email = email
        self.cookies: dict[str, str] = {}
        self.request("GET", "/accounts/login/")
        status, _, _ = self.request(
            "POST", "/accounts/login/", {"login": email, "password": PASSWORD}
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login failed for {email}: {status}")

    def request(self, method: str, path: str, fields=None, files=None):
        """(status, Location, body) of one request, its cookies kept."""
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            fields = {**(fields or {}), "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            headers["Referer"] = f"http://127.0.0.1{path}"
            if files:
                body, headers["Content-Type"] = _multipart(fields, files)
            else:
                body = urllib.parse.urlencode(fields).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers.get("Location", ""), data


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    chunks = [part.encode() for part in parts]
    for name, (filename, content) in files.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _step(times: dict, name: str, browser: Browser, method: str, path: str, expect: int, **kw):
    began = time.perf_counter()
    status, location, body = browser.request(method, path, **kw)
    times.setdefault(name, []).append((time.perf_counter() - began) * 1000)
    if status != expect:
        raise RuntimeError(f"{name}: {method} {path} answered {status}, not {expect}")
    return location, body


def worker_journey(browser: Browser, campaign_id: int, times: dict, _n: int) -> None:
    _step(times, "feed", browser, "GET", "/work/", 200)
    _step(times, "campaign", browser, "GET", f"/work/campaigns/{campaign_id}/", 200)
    location, _ = _step(
        times, "claim", browser, "POST", f"/work/campaigns/{campaign_id}/claim/", 302
    )
    if "/work/assignments/" not in location:
        raise RuntimeError(f"claim went to {location}")
    proof = urllib.parse.urlsplit(location).path
    _step(times, "proof page", browser, "GET", proof, 200)
    location, _ = _step(
        times,
        "submit",
        browser,
        "POST",
        proof,
        302,
        fields={"answer": "Rice 120, dal 60, tea 15"},
        files={"shot": ("menu.png", SCREENSHOTS.pop())},
    )
    if not location.endswith("/work/mine/"):
        raise RuntimeError(f"submit went to {location}")
    _step(times, "my work", browser, "GET", "/work/mine/", 200)


def employer_journey(browser: Browser, campaign_id: int, times: dict, n: int) -> None:
    _step(times, "campaign list", browser, "GET", "/campaigns/", 200)
    _, body = _step(times, "manage", browser, "GET", f"/campaigns/{campaign_id}/", 200)
    waiting = [int(pk) for pk in re.findall(rb'action="/reviews/(\d+)/', body)]
    if not waiting:
        raise RuntimeError("the review queue shows nothing to review")
    # Clients take different submissions of the page, as employers on different rows would.
    pk = waiting[n % len(waiting)]
    _step(times, "approve", browser, "POST", f"/reviews/{pk}/", 302, fields={"action": "approve"})


def floor_times(browser: Browser, campaign_id: int) -> dict[str, list[float]]:
    """:data:`FLOOR`'s requests, one after the other, each ``FLOOR_REQUESTS`` times."""
    times: dict[str, list[float]] = {}
    for name, (path, status) in FLOOR.items():
        for _ in range(FLOOR_REQUESTS):
            _step(times, name, browser, "GET", path.format(id=campaign_id), status)
    return times


def run_clients(browsers: list[Browser], cycles: int, journey, campaign_id: int):
    """``cycles`` journeys over the clients, one thread each; each step's times (ms, every
    request's) and the journeys per second."""
    times: dict[str, list[float]] = {}
    shares = [cycles // len(browsers) + (n < cycles % len(browsers)) for n in range(len(browsers))]
    barrier = threading.Barrier(len(browsers) + 1)
    errors: list[str] = []
    lock = threading.Lock()

    def client(n: int, browser: Browser, count: int) -> None:
        barrier.wait()
        mine: dict[str, list[float]] = {}
        try:
            for cycle in range(count):
                journey(browser, campaign_id, mine, n + cycle * len(browsers))
        except (OSError, http.client.HTTPException, RuntimeError) as error:
            errors.append(repr(error))
        with lock:
            for name, values in mine.items():
                times.setdefault(name, []).extend(values)

    threads = [
        threading.Thread(target=client, args=(n, browser, share))
        for n, (browser, share) in enumerate(zip(browsers, shares, strict=True))
    ]
    elapsed = timed_threads(threads, barrier, errors)
    return times, cycles / elapsed


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def page_bytes(worker: Browser, employer: Browser) -> dict[str, int]:
    """Each GET page's HTML, gzipped."""
    from tasks.models import Assignment

    sizes = {}
    with_assignment = Assignment.objects.filter(worker__email=worker.email).latest("id")
    campaign_id = with_assignment.campaign_id
    for name, browser, path in [
        ("feed", worker, "/work/"),
        ("campaign", worker, f"/work/campaigns/{campaign_id}/"),
        ("proof page", worker, f"/work/assignments/{with_assignment.pk}/"),
        ("my work", worker, "/work/mine/"),
        ("campaign list", employer, "/campaigns/"),
        ("manage", employer, f"/campaigns/{campaign_id}/"),
    ]:
        _, _, body = browser.request("GET", path)
        sizes[name] = len(gzip.compress(body, compresslevel=6))
    return sizes


def page_queries(campaign_id: int, worker_email: str, employer_email: str) -> dict[str, int]:
    """Queries of each step of one journey of each, in this process (test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    counts: dict[str, int] = {}

    def count(name: str, client: Client, method: str, path: str, **data):
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(path, data, HTTP_HOST="127.0.0.1")
        counts[name] = len(queries)
        return response

    worker = Client()
    worker.force_login(User.objects.get(email=worker_email))
    count("feed", worker, "get", "/work/")
    count("campaign", worker, "get", f"/work/campaigns/{campaign_id}/")
    proof = count("claim", worker, "post", f"/work/campaigns/{campaign_id}/claim/")["Location"]
    count("proof page", worker, "get", proof)
    shot = io.BytesIO(_screenshot())
    shot.name = "menu.png"
    count("submit", worker, "post", proof, answer="Rice 120", shot=shot)
    count("my work", worker, "get", "/work/mine/")
    employer = Client()
    employer.force_login(User.objects.get(email=employer_email))
    count("campaign list", employer, "get", "/campaigns/")
    body = count("manage", employer, "get", f"/campaigns/{campaign_id}/").content
    pk = re.findall(rb'action="/reviews/(\d+)/', body)[0].decode()
    count("approve", employer, "post", f"/reviews/{pk}/", action="approve")
    return counts


def worker_memory(port: int) -> dict[str, float]:
    """Resident and proportional memory (MB) of each gunicorn worker serving ``port``, after
    the run: the processes whose parent is the gunicorn master with that port."""
    bind = f"127.0.0.1:{port}"
    processes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (entry / "status").read_text()
            rollup = (entry / "smaps_rollup").read_text()
        except OSError:
            continue
        if bind in command and "gunicorn" in command:
            fields = dict(re.findall(r"^(\w+):\s+(\d+)", status + rollup, re.M))
            processes[int(entry.name)] = fields
    workers = [f for f in processes.values() if int(f["PPid"]) in processes]
    return {
        "rss_mb": statistics.mean(int(f["VmRSS"]) for f in workers) / 1024,
        "pss_mb": statistics.mean(int(f["Pss"]) for f in workers) / 1024,
        "workers": len(workers),
    }


# --- the table ---------------------------------------------------------------------------------


def print_table(results: dict, args) -> None:
    labels = list(results)
    for label in labels:
        print(f"{label}: {results[label]['commit']}")
    print(
        f"gunicorn: {args.gunicorn_workers} sync workers, production settings; "
        f"{args.cycles} worker journeys and up to {args.cycles} approvals per client count"
    )
    header = f"{'page':<14}" + "".join(
        f" | {label[:7]:>7} p50/p95 @{n} ms" for n in args.clients for label in labels
    )
    header += "".join(f" | {label[:7]:>7} q" for label in labels)
    header += "".join(f" | {label[:7]:>7} gz B" for label in labels)
    print(header)
    print("-" * len(header))
    for page in WORKER_PAGES + EMPLOYER_PAGES:
        row = f"{page:<14}"
        for n in args.clients:
            for label in labels:
                p50, p95 = results[label]["runs"][str(n)]["times"][page]
                row += f" | {p50:9.1f} / {p95:8.1f}   "
        for label in labels:
            row += f" | {results[label]['queries'].get(page, '-'):>9}"
        for label in labels:
            row += f" | {results[label]['bytes'].get(page, '-'):>12}"
        print(row)
    for n in args.clients:
        rates = "  ".join(
            f"{label}: {results[label]['runs'][str(n)]['rate']:5.2f}" for label in labels
        )
        print(f"worker journeys/s @{n} client(s): {rates}", end="")
        if "compare" in results:
            ratio = (
                results["current"]["runs"][str(n)]["rate"]
                / results["compare"]["runs"][str(n)]["rate"]
            )
            print(f"  (current ÷ compare: {ratio:.2f} times)", end="")
        print()
        for label in labels:
            rounds = ", ".join(f"{rate:.2f}" for rate in results[label]["runs"][str(n)]["rates"])
            print(f"    {label} by round: {rounds}")
    print_floor(results, args)
    for label in labels:
        memory = results[label]["memory"]
        print(
            f"memory per gunicorn worker, {label}: RSS {memory['rss_mb']:.0f} MB, "
            f"PSS {memory['pss_mb']:.0f} MB ({memory['workers']} workers)"
        )
    for name in results[labels[0]]["screenshots"]:
        times = "  ".join(
            f"{label}: {results[label]['screenshots'][name]:6.1f}" for label in labels
        )
        print(f"checking one screenshot, {name}, ms: {times}")


def print_floor(results: dict, args) -> None:
    """The floor's p50s, the journey's floor (its four pages and two POSTs at the floor) and,
    against a compare checkout, the journey that 2.5 times its journeys per second needs."""
    n = str(min(args.clients))
    labels = list(results)
    floors = {label: results[label]["runs"][n]["times"] for label in labels}
    print(f"the floor @{n} client, p50 ms:")
    for name, (path, status) in FLOOR.items():
        values = "  ".join(f"{label}: {floors[label][name][0]:5.1f}" for label in labels)
        print(f"    {name} (GET {path}, {status}): {values}")
    pages = len(WORKER_PAGES) - 2  # claim and submit are POSTs answered with a redirect
    journey = "  ".join(
        f"{label}: {pages * floors[label]['empty page'][0] + 2 * floors[label]['no page'][0]:5.1f}"
        for label in labels
    )
    print(f"    a worker's journey at the floor ({pages} empty pages, 2 requests): {journey}")
    if "compare" in results:
        rate = results["compare"]["runs"][n]["rate"]
        target = 1000 / (2.5 * rate)
        print(f"    2.5 times compare's journeys/s @{n} is a journey of {target:.1f} ms")


if __name__ == "__main__":
    main()
