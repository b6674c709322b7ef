"""The API's error handler: one error shape for every failure.

Every error the API returns is ``{"code": "...", "detail": "..."}`` with a 4xx status;
validation errors also carry ``errors``, the messages per field. Clients branch on
``code`` (stable, snake_case) and show ``detail`` (human, translated).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def _first_code(codes: object) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        codes = next(iter(codes.values()), "invalid")
        return _first_code(codes)
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    return "error"


def _flatten(detail: object, prefix: str = "") -> dict[str, list[str]]:
    """Field messages as ``{"field": [...], "nested.field": [...]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}"))
        return flat
    if isinstance(detail, list) and detail and isinstance(detail[0], dict | list):
        flat = {}
        for index, value in enumerate(detail):
            flat.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, with every error reshaped to ``{code, detail}``."""
    if isinstance(exc, RequestDataTooBig):  # a body over a limit while it was read: 413
        from .limits import too_large_detail

        exc = DomainError("payload_too_large", too_large_detail(exc), status=413)
    if isinstance(exc, DomainError):  # a service's refusal, from any app
        response = Response({"code": exc.code, "detail": exc.message}, status=exc.status)
        if exc.errors:
            response.data["errors"] = exc.errors
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # An unexpected exception: a bug, left to Django's 500 handling.
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        only = next(iter(errors.values()))[0] if len(errors) == 1 else None
        response.data = {
            "code": _first_code(exc.get_codes()) if len(errors) == 1 else "invalid",
            "detail": only or _("Some fields are not valid; see errors."),
            "errors": errors,
        }
        return response
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    response.data = {
        "code": _first_code(exc.get_codes())
        if isinstance(exc, exceptions.APIException)
        else "error",
        "detail": str(detail),
    }
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response.data["retry_after_seconds"] = int(exc.wait)
    return response


def error_response(status_code: int, code: str, detail: str) -> JsonResponse:
    """The API's error shape for responses Django itself produces (404s, 500s, CSRF)."""
    return JsonResponse({"code": code, "detail": detail}, status=status_code)


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None) -> JsonResponse:
    return error_response(status.HTTP_404_NOT_FOUND, "not_found", _("Not found."))


def server_error(request) -> JsonResponse:
    return error_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        "server_error",
        _("Something went wrong on our side. Please try again."),
    )


def bad_request(request, exception=None) -> JsonResponse:
    return error_response(status.HTTP_400_BAD_REQUEST, "bad_request", _("Bad request."))


def permission_denied(request, exception=None) -> JsonResponse:
    return error_response(
        status.HTTP_403_FORBIDDEN, "permission_denied", _("You do not have permission to do this.")
    )
