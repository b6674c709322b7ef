"""A proof screenshot, streamed to those who may see it (``tasks.files``), 404 for others."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.urls import path
from django.views.decorators.http import require_GET

from tasks.files import (
    kept_screenshot_for,
    kept_screenshot_response,
    screenshot_for,
    screenshot_response,
)


@login_required
@require_GET
def screenshot(request: HttpRequest, pk: int) -> FileResponse:
    return screenshot_response(screenshot_for(request.user, pk))


@login_required
@require_GET
def kept_screenshot(request: HttpRequest, pk: int) -> FileResponse:
    """A screenshot kept from a proof sent back with an error (``KeptScreenshot``)."""
    return kept_screenshot_response(kept_screenshot_for(request.user, pk))


urlpatterns = [
    path("screenshots/<int:pk>/", screenshot, name="screenshot"),
    path("screenshots/kept/<int:pk>/", kept_screenshot, name="kept_screenshot"),
]
