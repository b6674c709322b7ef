import hashlib
import json
import sys

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_GET

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


# --- The installable web app: manifest, service worker, offline page ----------------------

# What the service worker keeps for a phone that loses its connection: the stylesheet, the
# scripts every page loads, the icons, and the offline page in each language.
OFFLINE_STATIC = [
    "css/kaaj.css",
    "js/register-sw.js",
    "img/favicon.svg",
    "img/icon-192.png",
]


@require_GET
def web_manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest, in the visitor's language: what a phone's "Add to home screen"
    installs (name, icons, start page, colours)."""
    icons = [
        {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("img/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    manifest = {
        "name": _("Kaaj: small tasks, fair pay"),
        "short_name": "Kaaj",
        "lang": get_language(),
        "start_url": reverse("workers:feed"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f6f8",
        "theme_color": "#0f766e",
        "icons": icons,
    }
    response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """marketplace/static/js/sw.js, served from the site's root so that its scope is the
    whole site, with what it should cache: the hashed static URLs of this deployment (a new
    deployment changes them, and so the worker's bytes, which makes browsers update it)."""
    cached = {
        "static": [static(name) for name in OFFLINE_STATIC],
        "offline": {code: reverse("offline", args=[code]) for code, _name in settings.LANGUAGES},
    }
    version = hashlib.sha256(json.dumps(cached, sort_keys=True).encode()).hexdigest()[:12]
    script = finders.find("js/sw.js") or ""
    with open(script, encoding="utf-8") as source:
        body = f"const KAAJ = {json.dumps({**cached, 'version': version})};\n{source.read()}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"  # browsers check for a new worker on each visit
    return response


@require_GET
def offline(request: HttpRequest, language: str) -> HttpResponse:
    """What the service worker shows when a page cannot be loaded: no user, no database."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(language):
        return HttpResponse(render_to_string("offline.html"))
