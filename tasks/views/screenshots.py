"""Screenshots are never at a public URL: this view streams one to the three people who may
see it — the assignment's worker, the campaign's employer, a moderator — and 404s for
everybody else. The files live under MEDIA_ROOT/private/, which nothing serves."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.http import require_GET

from tasks.models import Screenshot


def _visible_screenshot(request: HttpRequest, pk: int) -> Screenshot:
    shot = get_object_or_404(
        Screenshot.objects.select_related("submission__assignment__campaign"), pk=pk
    )
    assignment = shot.submission.assignment
    user = request.user
    if user.pk not in (assignment.worker_id, assignment.campaign.employer_id) and (
        not user.is_moderator
    ):
        raise Http404
    return shot


@login_required
@require_GET
def screenshot(request: HttpRequest, pk: int) -> FileResponse:
    shot = _visible_screenshot(request, pk)
    response = FileResponse(shot.file.open("rb"), content_type=shot.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="screenshot-{shot.pk}.{shot.extension}"'
    return response


urlpatterns = [
    path("screenshots/<int:pk>/", screenshot, name="screenshot"),
]
