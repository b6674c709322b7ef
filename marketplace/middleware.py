"""The page side of :class:`core.errors.DomainError`: a refusal no view caught."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.errors import DomainError

from . import api


class DomainErrorMiddleware:
    """Views catch a service's refusal to show it beside the form that caused it. One that
    reaches here was not expected by its view: it is answered with its own status and
    message (the API's handler does the same for API views), never a 500."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if api.is_api_request(request):
            return api.error_response(exception.status, exception.code, exception.message)
        if exception.status == 404:  # what they may not see looks like what does not exist
            return render(request, "404.html", status=404)
        return render(request, "refused.html", {"error": exception}, status=exception.status)
