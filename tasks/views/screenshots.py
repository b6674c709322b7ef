"""A proof screenshot, streamed to those who may see it (``tasks.files``), 404 for others."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.urls import path
from django.views.decorators.http import require_GET

from tasks.files import screenshot_for, screenshot_response


@login_required
@require_GET
def screenshot(request: HttpRequest, pk: int) -> FileResponse:
    return screenshot_response(screenshot_for(request.user, pk))


urlpatterns = [
    path("screenshots/<int:pk>/", screenshot, name="screenshot"),
]
