"""PostgreSQL unreachable: the API and the pages answer 503 with Retry-After, never a 500."""

import contextlib
import logging
import socket
import time

import pytest
from django.db import connections
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from .factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


@contextlib.contextmanager
def postgresql_unreachable(*, hung: bool = False, connect_timeout: int | None = None):
    """Point the default connection at a loopback port nothing listens on (the shared
    server itself is left alone), or with ``hung`` at one that accepts connections and never
    answers; every query in the block fails to connect."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        if hung:
            probe.listen(16)
        connection = connections["default"]
        saved = {**connection.settings_dict, "OPTIONS": dict(connection.settings_dict["OPTIONS"])}
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(probe.getsockname()[1]))
        if connect_timeout is not None:
            connection.settings_dict["OPTIONS"]["connect_timeout"] = connect_timeout
        if not hung:
            probe.close()
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


def assert_unavailable_json(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["code"] == "unavailable" and body["detail"]


def assert_unavailable_page(response, heading="Back in a moment"):
    assert response.status_code == 503, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert heading in page and "Traceback" not in page and "Error" not in page
    assert "style=" not in page and "<script" not in page
    return page


@pytest.mark.django_db(transaction=True)
def test_api_and_pages_answer_503_with_retry_after_while_postgresql_is_unreachable(
    worker, settings, caplog
):
    settings.UNAVAILABLE_RETRY_AFTER_SECONDS = 30
    api = APIClient(raise_request_exception=False)
    token = api.post(TOKEN_URL, {"email": worker.email, "password": PASSWORD}).json()["token"]
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(worker)
    anonymous = Client(raise_request_exception=False)
    caplog.set_level(logging.ERROR, logger="django.request")

    with postgresql_unreachable():
        started = time.monotonic()
        assert_unavailable_json(api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}"))
        assert_unavailable_json(APIClient(raise_request_exception=False).get("/api/v1/categories/"))
        assert_unavailable_json(api.post(TOKEN_URL, {"email": worker.email, "password": PASSWORD}))
        # A signed-in page fails in a middleware already (the session lives in PostgreSQL).
        assert_unavailable_page(signed_in.get("/"))
        assert_unavailable_page(signed_in.get("/work/"))
        page = assert_unavailable_page(
            anonymous.post("/accounts/login/", {"login": worker.email, "password": PASSWORD})
        )
        assert '<html lang="en">' in page
        bengali = signed_in.get("/me/", HTTP_ACCEPT_LANGUAGE="bn")
        bengali_heading = translation.gettext_noop("Back in a moment")
        with translation.override("bn"):
            bengali_heading = translation.gettext(bengali_heading)
        assert bengali_heading != "Back in a moment"
        assert '<html lang="bn">' in assert_unavailable_page(bengali, heading=bengali_heading)
        elapsed = time.monotonic() - started

    assert elapsed < 5, f"seven requests took {elapsed:.2f} s"
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 7
    for record in records:
        assert record.levelno == logging.ERROR and record.exc_info is None
        assert "PostgreSQL unreachable" in record.getMessage()
    # And once it is back, the same requests are served again.
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert signed_in.get("/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_that_never_answers_is_a_503_after_the_connect_timeout():
    api = APIClient(raise_request_exception=False)
    with postgresql_unreachable(hung=True, connect_timeout=1):
        started = time.monotonic()
        assert_unavailable_json(api.get("/api/v1/categories/"))
        assert 1 <= time.monotonic() - started < 3


@pytest.mark.slow
def test_production_gives_up_connecting_to_postgresql_after_a_few_seconds():
    from .test_settings_deploy import COMPLETE_ENVIRONMENT, manage

    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    result = manage("shell", "-c", show, **COMPLETE_ENVIRONMENT)
    assert result.returncode == 0, result.stderr
    assert "'connect_timeout': 5" in result.stdout


@pytest.mark.django_db
def test_a_failed_statement_is_not_an_unreachable_database_but_a_killed_connection_is():
    from django.db import OperationalError

    from marketplace.unavailable import database_unreachable

    def error_of(sql: str, params=(), before=None):
        connection = connections.create_connection("default")
        try:
            with connection.cursor() as cursor:
                if before:
                    before(connection)
                cursor.execute(sql, params)
        except OperationalError as error:
            return error
        finally:
            connection.close()
        raise AssertionError(f"{sql} did not fail")

    timeout = error_of("SET statement_timeout = 1; SELECT pg_sleep(1)")
    assert timeout.__cause__.pgcode == "57014" and not database_unreachable(timeout)

    def terminate(victim):
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [victim.connection.info.backend_pid])

    killed = error_of("SELECT 1", before=terminate)
    assert database_unreachable(killed)
