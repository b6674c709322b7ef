"""Request and upload size limits (issue 9, item 12): a body over its limit is refused with 413
before it is read, a file over its limit as soon as it passes it, in the API's JSON shape or
on a page. Bodies are made on demand and count what the server reads of them."""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.test.client import RequestFactory

from marketplace.limits import LimitedUploadHandler, PayloadTooLarge
from tasks.models import AssignmentStatus
from workers.claims import task_claim

from .tasks.api_helpers import SHOT_FIELDS, png
from .tasks.helpers import active_campaign

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
TOKEN_URL = "/api/v1/auth/token/"
BOUNDARY = "kaajtestboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
CHUNK = 64 * 1024  # Django's upload chunk


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


class Body(io.RawIOBase):
    """A request body of ``len(head) + filler + len(tail)`` bytes, made while it is read;
    ``read_bytes`` is how much of it the server took."""

    def __init__(self, head: bytes, filler: int, tail: bytes = b"") -> None:
        self.head, self.filler, self.tail = head, filler, tail
        self.size = len(head) + filler + len(tail)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        left = self.size - self.read_bytes
        size = left if size is None or size < 0 else min(size, left)
        out = bytearray()
        position = self.read_bytes
        while len(out) < size:
            if position < len(self.head):
                piece = self.head[position : position + size - len(out)]
            elif position < len(self.head) + self.filler:
                piece = b"x" * min(size - len(out), len(self.head) + self.filler - position)
            else:
                offset = position - len(self.head) - self.filler
                piece = self.tail[offset : offset + size - len(out)]
            out += piece
            position += len(piece)
        self.read_bytes = position
        return bytes(out)


def file_part(name: str, filename: str = "junk.bin", *, first: bool = True) -> bytes:
    return (
        (b"" if first else b"\r\n")
        + f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )


def field_part(name: str, value: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


END = f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart_with_file(size: int, *, field: str = "junk", before: bytes = b"") -> Body:
    """A multipart body: ``before`` (fields), then one file of ``size`` bytes under ``field``."""
    return Body(before + file_part(field), size, END)


def post(client, url: str, body: Body, content_type: str, **extra):
    return client.generic(
        "POST",
        url,
        content_type=content_type,
        **{"wsgi.input": body, "CONTENT_LENGTH": str(body.size), "CONTENT_TYPE": content_type},
        **extra,
    )


def assert_too_large(response) -> dict:
    assert response.status_code == 413, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert isinstance(body["detail"], str) and "larger than" in body["detail"]
    return body


@pytest.fixture
def claimed(employer, worker, moderator):
    campaign = active_campaign(employer, moderator, proof_fields=SHOT_FIELDS)
    return task_claim(campaign=campaign, worker=worker)


# --- Refused before reading -----------------------------------------------------------------


def test_an_anonymous_200_mb_json_post_to_the_token_endpoint_is_not_read(api_client):
    body = Body(b'{"email": "', 200 * MB, b'"}')
    assert_too_large(post(api_client, TOKEN_URL, body, "application/json"))
    assert body.read_bytes == 0


def test_an_anonymous_200_mb_multipart_post_to_the_token_endpoint_is_not_read(api_client):
    body = multipart_with_file(200 * MB)
    assert_too_large(post(api_client, TOKEN_URL, body, MULTIPART))
    assert body.read_bytes == 0


def test_a_200_mb_file_under_an_unknown_field_is_refused_unread(api_as, worker, claimed):
    body = multipart_with_file(200 * MB, before=field_part("username", "karim"))
    url = f"/api/v1/assignments/{claimed.pk}/submit/"
    assert_too_large(post(api_as(worker), url, body, MULTIPART))
    assert body.read_bytes == 0
    claimed.refresh_from_db()
    assert claimed.status == AssignmentStatus.CLAIMED


def test_a_200_mb_page_post_gets_the_413_page_unread(client, worker, claimed):
    client.force_login(worker)
    body = multipart_with_file(200 * MB, field="shot")
    response = post(client, f"/work/assignments/{claimed.pk}/", body, MULTIPART)
    assert response.status_code == 413
    assert body.read_bytes == 0
    html = response.content.decode()
    assert "Too large to send" in html and "the most Kaaj accepts" in html
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)


@override_settings(UPLOAD_MAX_REQUEST_BYTES=100_000)
def test_the_request_limit_is_a_setting(api_as, worker, claimed):
    url = f"/api/v1/assignments/{claimed.pk}/submit/"
    body = multipart_with_file(100_000, before=field_part("username", "karim"))
    assert_too_large(post(api_as(worker), url, body, MULTIPART))
    assert body.read_bytes == 0
    small = multipart_with_file(90_000, before=field_part("username", "karim"))
    assert post(api_as(worker), url, small, MULTIPART).status_code == 200
    assert small.read_bytes == small.size


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_form_body_over_the_data_limit_is_not_read(client, worker):
    client.force_login(worker)
    body = Body(b"username=", 20_000)
    response = post(client, "/work/", body, "application/x-www-form-urlencoded")
    assert response.status_code == 413 and body.read_bytes == 0


# --- Refused while streaming --------------------------------------------------------------


@override_settings(UPLOAD_MAX_FILE_BYTES=1 * MB)
def test_a_file_over_the_file_limit_stops_the_upload_as_it_passes_it(api_as, worker, claimed):
    body = multipart_with_file(8 * MB, before=field_part("username", "karim"))
    url = f"/api/v1/assignments/{claimed.pk}/submit/"
    body_json = assert_too_large(post(api_as(worker), url, body, MULTIPART))
    assert "A file is larger than 1.0" in body_json["detail"]
    assert 1 * MB < body.read_bytes <= 1 * MB + 3 * CHUNK  # not the other 7 MB
    claimed.refresh_from_db()
    assert claimed.status == AssignmentStatus.CLAIMED


@override_settings(UPLOAD_MAX_FILE_BYTES=1 * MB)
def test_a_page_upload_over_the_file_limit_gets_the_413_page(client, worker, claimed):
    client.force_login(worker)
    body = multipart_with_file(8 * MB, field="shot", before=field_part("username", "karim"))
    response = post(client, f"/work/assignments/{claimed.pk}/", body, MULTIPART)
    assert response.status_code == 413
    assert "A file is larger than 1.0" in response.content.decode()
    assert body.read_bytes <= 1 * MB + 3 * CHUNK


@override_settings(UPLOAD_MAX_FILE_BYTES=1 * MB)
def test_every_file_is_held_to_the_limit_not_only_the_first(api_as, worker, claimed):
    first = file_part("screenshot", "a.bin") + b"y" * (MB - 10)
    second = file_part("junk", "b.bin", first=False)
    body = Body(field_part("username", "karim") + first + second, 2 * MB, END)
    url = f"/api/v1/assignments/{claimed.pk}/submit/"
    assert_too_large(post(api_as(worker), url, body, MULTIPART))
    assert body.read_bytes <= 2 * MB + 3 * CHUNK


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_djangos_own_request_data_too_big_is_a_413_in_the_api(api_as, worker, claimed):
    body = Body(field_part("username", "k" * 50_000), 0, f"--{BOUNDARY}--\r\n".encode())
    url = f"/api/v1/assignments/{claimed.pk}/submit/"
    assert_too_large(post(api_as(worker), url, body, MULTIPART))


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_djangos_own_request_data_too_big_is_a_413_page(client, worker, claimed):
    client.force_login(worker)
    body = Body(field_part("username", "k" * 50_000), 0, f"--{BOUNDARY}--\r\n".encode())
    response = post(client, f"/work/assignments/{claimed.pk}/", body, MULTIPART)
    assert response.status_code == 413
    assert "Too large to send" in response.content.decode()


# --- What stays as it was ---------------------------------------------------------------------


def test_a_screenshot_within_the_limits_is_still_accepted(api_as, worker, claimed):
    response = api_as(worker).post(
        f"/api/v1/assignments/{claimed.pk}/submit/",
        {"username": "karim", "screenshot": png(1)},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["screenshots"]) == 1


@override_settings(SCREENSHOT_MAX_BYTES=100, UPLOAD_MAX_FILE_BYTES=1 * MB)
def test_a_screenshot_a_little_over_its_own_limit_is_explained_next_to_its_field(
    api_as, worker, claimed
):
    response = api_as(worker).post(
        f"/api/v1/assignments/{claimed.pk}/submit/",
        {"username": "karim", "screenshot": png(1)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "screenshot" in response.json()["errors"]


def test_the_upload_handler_refuses_a_body_over_the_request_limit_on_any_way_in(settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1_000
    handler = LimitedUploadHandler(RequestFactory().post("/"))
    with pytest.raises(PayloadTooLarge):
        handler.handle_raw_input(io.BytesIO(), {}, 1_001, b"b")
    assert handler.handle_raw_input(io.BytesIO(), {}, 1_000, b"b") is None


def test_the_upload_handler_is_installed_first(settings):
    assert settings.FILE_UPLOAD_HANDLERS[0] == "marketplace.limits.LimitedUploadHandler"
