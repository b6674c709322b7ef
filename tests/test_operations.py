"""Operations: the probes (/healthz, /readyz), Prometheus metrics, Sentry reports, JSON logs."""

import contextlib
import gzip
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from marketplace import urls as marketplace_urls
from marketplace.settings.base import prometheus_middleware, redis_settings

from . import processes
from .factories import PASSWORD
from .test_database_down import postgresql_unreachable
from .test_settings_deploy import COMPLETE_ENVIRONMENT, ROOT, manage

ALL_OK = {"postgresql": "ok", "redis": "ok", "storage": "ok"}
METRICS_TOKEN = "kaaj-metrics-" + "7" * 32


@contextlib.contextmanager
def listening_silently():
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- /healthz --------------------------------------------------------------------------------


def test_healthz_answers_any_host_over_http_without_touching_the_database(settings):
    # No django_db mark: a query would raise here and make the answer a 500.
    settings.SECURE_SSL_REDIRECT = True
    client = Client(raise_request_exception=False)
    for host in ("10.0.3.7:8000", "localhost", "[::1]:8000"):
        response = client.get("/healthz", HTTP_HOST=host)
        assert response.status_code == 200, (host, response.content)
        assert response.json() == {"status": "ok"}
        assert response["Cache-Control"] == "no-store"
        assert not response.cookies
    assert client.head("/healthz", HTTP_HOST="10.0.3.7").status_code == 200
    # The same host and scheme anywhere else: refused, or sent to HTTPS.
    assert client.get("/", HTTP_HOST="10.0.3.7:8000").status_code == 400
    assert client.get("/", HTTP_HOST="localhost").status_code == 301


@pytest.mark.django_db(transaction=True)
def test_healthz_stays_ok_while_postgresql_is_unreachable():
    client = Client(raise_request_exception=False)
    with postgresql_unreachable():
        response = client.get("/healthz")
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert client.get("/api/v1/categories/").status_code == 503  # the generic answer


# --- /readyz ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_checks_postgresql_redis_and_storage(client):
    response = client.get("/readyz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": ALL_OK}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db(transaction=True)
def test_readyz_names_postgresql_when_it_is_unreachable(client, caplog):
    with postgresql_unreachable():
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "failing",
        "failing": ["postgresql"],
        "checks": {**ALL_OK, "postgresql": "OperationalError"},
    }
    assert elapsed < 1
    # One line for the operator, with PostgreSQL's own words; no error for Sentry to repeat.
    [record] = [r for r in caplog.records if r.name == "marketplace.probes"]
    assert "postgresql failing" in record.getMessage() and "127.0.0.1" in record.getMessage()
    assert not [r for r in caplog.records if r.name == "django.request"]
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_readyz_gives_up_on_a_postgresql_that_never_answers(client, settings):
    settings.READYZ_TIMEOUT_SECONDS = 0.5
    with postgresql_unreachable(hung=True):
        for _ in range(3):
            started = time.monotonic()
            response = client.get("/readyz")
            assert time.monotonic() - started < 1.5
            assert response.status_code == 503
            assert response.json()["checks"] == {**ALL_OK, "postgresql": "no answer within 0.5 s"}
        # The later probes waited for the first one's check rather than starting more.
        checking = [t for t in threading.enumerate() if t.name == "readyz-postgresql"]
        assert len(checking) == 1
    checking[0].join(timeout=5)
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_names_redis_when_it_refuses_or_hangs(client, settings):
    settings.CACHES = redis_settings(f"redis://127.0.0.1:{closed_port()}/0")["CACHES"]
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["redis"]
    assert response.json()["checks"]["redis"] == "ConnectionError"
    with listening_silently() as port:
        settings.CACHES = redis_settings(f"redis://127.0.0.1:{port}/0")["CACHES"]
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 1.5  # the cache's own 0.3 s timeout
    assert response.json()["checks"] == {**ALL_OK, "redis": "TimeoutError"}


@pytest.mark.django_db
def test_readyz_names_storage_when_uploads_cannot_be_kept(client, settings, tmp_path):
    not_a_directory = tmp_path / "media"
    not_a_directory.write_text("a file where the uploads should go")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(not_a_directory)},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "failing": ["storage"],
        "checks": {**ALL_OK, "storage": "MEDIA_ROOT is not a writable directory"},
    }
    assert str(tmp_path) not in response.content.decode()


# --- /metrics --------------------------------------------------------------------------------


def test_metrics_are_a_404_when_off(settings):
    assert settings.PROMETHEUS_METRICS is False
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {settings.METRICS_TOKEN or 'x'}"}
    assert client.get("/metrics", **headers).status_code == 404
    assert client.get("/metrics").status_code == 404


@pytest.fixture
def metrics_on(settings):
    settings.PROMETHEUS_METRICS = True
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.MIDDLEWARE = prometheus_middleware(settings.MIDDLEWARE)
    return settings


@pytest.mark.django_db
def test_metrics_need_the_bearer_token(metrics_on):
    client = Client()
    assert client.get("/").status_code == 200  # one request counted
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {METRICS_TOKEN}").status_code == 401
    for wrong in ("nope", METRICS_TOKEN[:-1], METRICS_TOKEN + "7"):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {wrong}")
        assert response.status_code == 403
        assert b"django_http" not in response.content
    # Prometheus scrapes each process by its own address, over plain HTTP.
    served = client.get(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}", HTTP_HOST="10.0.3.7:8000"
    )
    assert served.status_code == 200
    assert served["Content-Type"].startswith("text/plain")
    body = served.content.decode()
    assert 'django_http_requests_total_by_method_total{method="GET"}' in body
    assert "django_http_responses_total_by_status_total" in body


@pytest.mark.django_db
def test_metrics_are_refused_to_everyone_while_no_token_is_set(metrics_on):
    metrics_on.METRICS_TOKEN = ""
    client = Client()
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 403


def test_production_refuses_metrics_without_a_token():
    result = manage("check", **COMPLETE_ENVIRONMENT, PROMETHEUS_METRICS="on")
    assert result.returncode != 0
    assert "PROMETHEUS_METRICS is on: set METRICS_TOKEN" in result.stderr.splitlines()[-1]
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **COMPLETE_ENVIRONMENT,
        PROMETHEUS_METRICS="on",
        METRICS_TOKEN=METRICS_TOKEN,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.slow
def test_metrics_add_up_every_gunicorn_worker(tmp_path):
    """Two workers, each answering some of the requests: every scrape, whichever worker
    answers it, counts them all (gunicorn.conf.py, PROMETHEUS_MULTIPROC_DIR)."""
    port = closed_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # from an earlier run: removed
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in COMPLETE_ENVIRONMENT and not key.startswith(("PROMETHEUS", "KAAJ"))
    }
    environment.update(
        COMPLETE_ENVIRONMENT,
        ALLOWED_HOSTS="127.0.0.1",
        PROMETHEUS_METRICS="on",
        METRICS_TOKEN=METRICS_TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "marketplace.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "1"),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("w"),
    )
    try:
        deadline = time.monotonic() + 30
        # Both workers up (each writes its metrics files as it loads the application), after
        # gunicorn emptied the directory.
        while (metrics_dir / "counter_1.db").exists() or len(responses_by_worker(metrics_dir)) < 2:
            assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        # A form posted slowly: the worker reading its body can take no other request, so
        # the other worker takes the next ones. (Refused without a CSRF token; counted.)
        requests = 20

        def fetch():
            with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
                client.sendall(SLOW_POST)
                time.sleep(0.1)
                client.sendall(b"more")
                assert client.recv(100).startswith(b"HTTP/1.1 403 ")

        threads = [threading.Thread(target=fetch) for _ in range(requests)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Both workers answered some of them (each writes its own file)...
        by_worker = responses_by_worker(metrics_dir)
        assert len(by_worker) == 2 and min(by_worker.values()) > 0, by_worker
        assert sum(by_worker.values()) == requests
        # ... and every scrape gives the whole count, whichever worker answers it.
        for _ in range(6):
            status, body = _get(
                f"http://127.0.0.1:{port}/metrics", Authorization=f"Bearer {METRICS_TOKEN}"
            )
            assert status == 200
            assert f"django_http_responses_before_middlewares_total {requests}.0" in body
    finally:
        server.terminate()
        server.wait(timeout=30)


SLOW_POST = (
    b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n"
    b"Connection: close\r\n\r\nlogin="
)


def responses_by_worker(directory) -> dict[str, float]:
    """Each worker's own count of responses, from the files it wrote."""
    from prometheus_client.mmap_dict import MmapedDict

    counts = {}
    for file in directory.glob("counter_*.db"):
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(file)):
            if json.loads(key)[1] == "django_http_responses_before_middlewares_total":
                counts[file.stem.partition("_")[2]] = value
    return counts


# --- Sentry ----------------------------------------------------------------------------------


CLIENT_IP = "203.0.113.9"


@csrf_exempt  # posted straight to the WSGI application below, without a form
def raising_view(request: HttpRequest):
    request.POST.get("email")  # the body is read, the user loaded
    assert request.user.is_authenticated
    raise RuntimeError("kaaj-sentry-probe")


urlpatterns = [path("boom/", raising_view), *marketplace_urls.urlpatterns]


class Collector(http.server.ThreadingHTTPServer):
    """A loopback HTTP server that keeps what the Sentry SDK sends it."""

    def __init__(self) -> None:
        self.envelopes: list[str] = []
        super().__init__(("127.0.0.1", 0), CollectorHandler)


class CollectorHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append(body.decode())
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


def _database_url() -> str:
    return processes.database_url(connection.settings_dict, connection.settings_dict["NAME"])


SENTRY_SCRIPT = """
import io
import os
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import sentry_sdk
from django.core.wsgi import get_wsgi_application
from django.test import Client, override_settings

from accounts.models import User

signed_in = Client()
signed_in.force_login(User.objects.get(email=os.environ["PROBE_EMAIL"]))
form = {"email": os.environ["PROBE_EMAIL"], "password": os.environ["PROBE_PASSWORD"]}
body = urlencode(form).encode()
environ = {
    "REQUEST_METHOD": "POST",
    "PATH_INFO": "/boom/",
    "QUERY_STRING": urlencode({"q": os.environ["PROBE_EMAIL"]}),
    "CONTENT_TYPE": "application/x-www-form-urlencoded",
    "CONTENT_LENGTH": str(len(body)),
    "wsgi.input": io.BytesIO(body),
    "HTTP_HOST": "testserver",
    "HTTP_COOKIE": "sessionid=" + signed_in.cookies["sessionid"].value,
    "REMOTE_ADDR": os.environ["PROBE_CLIENT_IP"],
}
setup_testing_defaults(environ)
statuses = []
with override_settings(ROOT_URLCONF="tests.test_operations"):
    application = get_wsgi_application()  # through Sentry's WSGI middleware, as under gunicorn
    b"".join(application(environ, lambda status, headers, *_: statuses.append(status)))
assert statuses == ["500 Internal Server Error"], statuses
sentry_sdk.flush(timeout=10)
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_exception_in_a_view_reaches_sentry_without_the_users_email_or_password(worker):
    collector = Collector()
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    try:
        result = manage(
            "shell",
            "-c",
            SENTRY_SCRIPT,
            PROBE_EMAIL=worker.email,
            PROBE_PASSWORD=PASSWORD,
            PROBE_CLIENT_IP=CLIENT_IP,
            DJANGO_SETTINGS_MODULE="marketplace.settings.test",
            DATABASE_URL=_database_url(),
            REDIS_URL=os.environ.get("REDIS_URL", ""),
            SENTRY_DSN=f"http://publickey@127.0.0.1:{collector.server_address[1]}/42",
            SENTRY_ENVIRONMENT="ops-test",
            SENTRY_RELEASE="kaaj@1.2.3",
        )
    finally:
        collector.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    events = [
        json.loads(line)
        for envelope in collector.envelopes
        for line in envelope.splitlines()
        if '"exception"' in line
    ]
    assert len(events) == 1, collector.envelopes
    [event] = events
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError" and exception["value"] == "kaaj-sentry-probe"
    assert event["environment"] == "ops-test" and event["release"] == "kaaj@1.2.3"
    assert event["request"]["url"].endswith("/boom/") and event["request"]["method"] == "POST"
    sent = "\n".join(collector.envelopes)
    for private in (worker.email, quote(worker.email), PASSWORD, CLIENT_IP):
        assert private not in sent
    assert "user" not in event


# --- JSON logs -------------------------------------------------------------------------------

LOG_SCRIPT = """
import logging
from django.db import OperationalError

try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("kaaj.ops").exception("json-log-probe %s", "done")
try:
    raise OperationalError("connection refused")
except OperationalError as error:
    logging.getLogger("django.request").error(
        "Internal Server Error: %s", "/work/", exc_info=(type(error), error, None)
    )
"""


def _shell(script: str, **environment: str) -> subprocess.CompletedProcess:
    return manage(
        "shell",
        "-c",
        script,
        DJANGO_SETTINGS_MODULE="marketplace.settings.test",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/kaaj"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        **environment,
    )


def test_json_logs_are_one_json_object_a_line():
    result = _shell(LOG_SCRIPT, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(records) == 2, result.stderr
    assert len(lines) == 2, "the traceback stays inside its record"
    probe, unreachable = records
    assert {"timestamp", "level", "logger", "message", "exc_info"} <= probe.keys()
    assert probe["level"] == "ERROR" and probe["logger"] == "kaaj.ops"
    assert probe["message"] == "json-log-probe done"
    assert probe["timestamp"].endswith("+00:00")
    assert "ZeroDivisionError" in probe["exc_info"]
    # The one-line filter still applies to an unreachable database.
    assert unreachable["logger"] == "django.request" and "exc_info" not in unreachable
    assert "(PostgreSQL unreachable: connection refused)" in unreachable["message"]


def test_plain_logs_stay_the_default_and_other_formats_are_refused():
    result = _shell(LOG_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert " ERROR kaaj.ops: json-log-probe done" in result.stderr
    assert "Traceback" in result.stderr and not result.stderr.lstrip().startswith("{")
    refused = manage("check", **COMPLETE_ENVIRONMENT, LOG_FORMAT="xml")
    assert refused.returncode != 0
    assert "LOG_FORMAT is 'xml': set it to plain or json." in refused.stderr
