import sys

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

from . import api, unavailable


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


# Django's own error pages, except under /api/, where every error is JSON.
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if api.is_api_request(request):
        return api.not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the exception is being handled: an unreachable database is a 503.
    unavailable_response = unavailable.response_for(request, sys.exc_info()[1])
    if unavailable_response is not None:
        return unavailable_response
    if api.is_api_request(request):
        return api.server_error(request)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if api.is_api_request(request):
        return api.bad_request(request, exception)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if api.is_api_request(request):
        return api.permission_denied(request, exception)
    return defaults.permission_denied(request, exception)
