"""The API's request parsers: DRF's, with Kaaj's limits (``marketplace.limits``).

JSON bodies are read up to DATA_UPLOAD_MAX_MEMORY_SIZE (413 ``payload_too_large`` beyond),
nested at most JSON_MAX_DEPTH deep (400 ``json_too_deep``: Python's parser would otherwise
run out of stack on a document nested thousands deep), and hold no NUL character in any key
or string (400 ``null_character``). Form and multipart bodies are checked for NUL characters
in their field names and values.
"""

from __future__ import annotations

import io
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status

from .limits import NUL, PayloadTooLarge, has_nul, null_character_detail

# DRF's exceptions rather than core.errors.DomainError: DRF imports these parsers while
# marketplace.api is itself still importing DRF.


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def _too_deep(limit: int) -> exceptions.ParseError:
    detail = _("The JSON document is nested more than %(n)s levels deep.") % {"n": limit}
    return exceptions.ParseError(detail, code="json_too_deep")


def _null_character() -> exceptions.ParseError:
    return exceptions.ParseError(null_character_detail(), code="null_character")


def _surrogate() -> exceptions.ParseError:
    # JSON's "\\ud800" escapes decode to halves of UTF-16 pairs that no UTF-8 text (nor
    # PostgreSQL) can hold; DRF's CharField refuses them with this code, keys and JSON fields
    # are refused here.
    detail = _("The request contains an unpaired surrogate character (\\ud800 to \\udfff).")
    return exceptions.ParseError(detail, code="surrogate_characters_not_allowed")


SURROGATE = re.compile("[\ud800-\udfff]")


def json_check(data: object, *, max_depth: int) -> None:
    """Walks a parsed document without recursion: too deep, or a key or string that
    PostgreSQL cannot store (a NUL, an unpaired surrogate), raises the API's error."""
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                raise _null_character()
            if SURROGATE.search(value):
                raise _surrogate()
        elif isinstance(value, dict | list):
            if depth + 1 > max_depth:
                raise _too_deep(max_depth)
            if isinstance(value, dict):
                stack.extend((key, depth + 1) for key in value)
                value = value.values()
            stack.extend((item, depth + 1) for item in value)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise BodyTooLarge(PayloadTooLarge(limit).detail)
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:  # nested deeper than the interpreter's stack
            raise _too_deep(settings.JSON_MAX_DEPTH) from None
        json_check(data, max_depth=settings.JSON_MAX_DEPTH)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if has_nul(data):
            raise _null_character()
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if has_nul(parsed.data) or any(NUL in name for name in parsed.files):
            raise _null_character()
        return parsed
