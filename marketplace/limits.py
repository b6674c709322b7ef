"""What a request may carry, checked before and while its body is read.

Size. A body over its limit is refused with 413 ``payload_too_large`` before a byte of it is
read, from its Content-Length (``RequestLimitsMiddleware``): a multipart body may carry up to
UPLOAD_MAX_REQUEST_BYTES, any other body (JSON, a form's fields) up to Django's
DATA_UPLOAD_MAX_MEMORY_SIZE. Multipart bodies are counted again while they stream
(``LimitedUploadHandler``, the first of FILE_UPLOAD_HANDLERS): reading stops as soon as one
file passes UPLOAD_MAX_FILE_BYTES. (Django never reads past a body's Content-Length, so the
check before reading bounds the whole body.) Django's own ``RequestDataTooBig`` (form fields
over DATA_UPLOAD_MAX_MEMORY_SIZE) is a 413 as well.

NUL characters. PostgreSQL's text and jsonb cannot hold U+0000, so it is refused with 400
``null_character`` where text comes in: query strings, cookies and the pages' form bodies
here, the API's bodies in its parsers (``marketplace.parsers``), uploaded CSV files in their
reader.

The API answers in its JSON error shape; pages answer with a short page in the reader's
language that, like the refusal itself, needs neither the session nor the database.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class PayloadTooLarge(RequestDataTooBig):
    """A body, or one file in it, over its limit (``limit``, in bytes)."""

    def __init__(self, limit: int, *, what: str = "request") -> None:
        self.limit = limit
        self.what = what
        super().__init__(f"The {what} is larger than {limit} bytes.")

    @property
    def detail(self) -> str:
        size = filesizeformat(self.limit)
        if self.what == "file":
            return _("A file is larger than %(size)s, the most Kaaj accepts.") % {"size": size}
        return _("The request is larger than %(size)s, the most Kaaj accepts.") % {"size": size}


def too_large_detail(error: RequestDataTooBig) -> str:
    """The human message for any body over a limit, Django's own ``RequestDataTooBig`` too."""
    if isinstance(error, PayloadTooLarge):
        return error.detail
    return PayloadTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0).detail


def null_character_detail() -> str:
    return _("The request contains a NUL character (U+0000), which Kaaj does not accept.")


def body_limit(request: HttpRequest) -> int | None:
    """The most bytes this request's body may have (None: no limit)."""
    if request.content_type == "multipart/form-data":
        return settings.UPLOAD_MAX_REQUEST_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def content_length(request: HttpRequest) -> int:
    """The announced body size; Django reads nothing of a body without a valid one."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def has_nul(data: QueryDict | MultiValueDict) -> bool:
    """Whether any key or value of a query string or form body holds a NUL character."""
    return any(
        NUL in key or any(isinstance(value, str) and NUL in value for value in values)
        for key, values in data.lists()
    )


def refusal(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    """The API's ``{code, detail}``, or a page saying the same."""
    from . import api  # not at the top: DRF's settings import the parsers, which import this

    if api.is_api_request(request):
        return api.error_response(status, code, detail)
    template = "413.html" if status == 413 else "bad_request.html"
    return HttpResponse(render_to_string(template, {"detail": detail}), status=status)


def too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return refusal(request, 413, "payload_too_large", too_large_detail(error))


class RequestLimitsMiddleware:
    """Refuses a request whose body is too large before reading it, and NUL characters in
    query strings, cookies (a session key with one would reach PostgreSQL) and the pages'
    form bodies (the API's parsers check its bodies).

    Runs before the session middleware, so that a refusal costs no session or database work,
    and before CsrfViewMiddleware, so that it is the first to read a page's form body and sees
    a body that grows too large while it streams. Its messages are in the language of the
    reader's cookie or browser (the profile's language needs the session).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with translation.override(translation.get_language_from_request(request)):
            refused = self.check(request)
        return refused or self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        limit = body_limit(request)
        if limit is not None and content_length(request) > limit:
            return too_large(request, PayloadTooLarge(limit))
        if has_nul(request.GET) or any(NUL in k + v for k, v in request.COOKIES.items()):
            return refusal(request, 400, "null_character", null_character_detail())
        if (
            request.method == "POST"
            and request.content_type in FORM_TYPES
            and not request.path.startswith("/api/")  # DRF authenticates, then reads bodies
        ):
            try:
                if has_nul(request.POST) or any(NUL in name for name in request.FILES):
                    return refusal(request, 400, "null_character", null_character_detail())
            except RequestDataTooBig as error:
                return too_large(request, error)
            except UnreadablePostError:  # the client went away while sending
                return refusal(request, 400, "bad_request", _("The request was cut short."))
        return None


class LimitedUploadHandler(FileUploadHandler):
    """Refuses a multipart body over UPLOAD_MAX_REQUEST_BYTES before parsing it, and counts
    each uploaded file's bytes as they arrive: the upload stops (413) as soon as one passes
    UPLOAD_MAX_FILE_BYTES, without reading the rest of the body.

    Install it first in FILE_UPLOAD_HANDLERS: it passes every chunk on unchanged to the
    handlers after it, which store the file.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The middleware has checked already; this holds for any other way in (a test's
        # RequestFactory, a view that parses a body of its own).
        if content_length > settings.UPLOAD_MAX_REQUEST_BYTES:
            raise PayloadTooLarge(settings.UPLOAD_MAX_REQUEST_BYTES)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        # ``start``: the bytes of this file before this chunk.
        if start + len(raw_data) > settings.UPLOAD_MAX_FILE_BYTES:
            raise PayloadTooLarge(settings.UPLOAD_MAX_FILE_BYTES, what="file")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file
