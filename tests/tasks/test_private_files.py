"""Screenshots and dispute evidence answer the same way from a page and from the API: the
same people see them (the two sides and moderators; 404 for anybody else) with the same
headers (tasks.files)."""

import pytest
from django.urls import reverse

from tasks.services import submission_reject
from tasks.services.disputes import dispute_open

from .api_helpers import png, submitted

pytestmark = pytest.mark.django_db

HEADERS = ("Content-Type", "Cache-Control", "X-Content-Type-Options", "Content-Disposition")


def _both_ways(client, user, page: str, api: str) -> list:
    """Both responses, each body read at once (``body``) before the next request."""
    client.force_login(user)
    answers = []
    for url in (page, api):
        response = client.get(url)
        response.body = b"".join(response.streaming_content) if response.streaming else b""
        answers.append(response)
    return answers


def test_screenshots_and_evidence_answer_alike_on_pages_and_in_the_api(
    client, employer, worker, outsider, moderator
):
    assignment = submitted(employer, worker, moderator, shot=1)
    submission_reject(assignment=assignment, by=employer, reason="Wrong username")
    dispute = dispute_open(assignment=assignment, by=worker, reason="See", evidence=png(5))
    shot = assignment.submissions.get().screenshots.get()
    files = [
        (
            reverse("tasks:screenshot", args=[shot.pk]),
            f"/api/v1/screenshots/{shot.pk}/",
            f'inline; filename="screenshot-{shot.pk}.png"',
        ),
        (
            reverse("tasks:dispute_evidence", args=[dispute.pk]),
            f"/api/v1/disputes/{dispute.pk}/evidence/",
            f'inline; filename="dispute-{dispute.pk}.png"',
        ),
    ]
    for page, api, disposition in files:
        for user in (worker, employer, moderator):
            on_page, in_api = _both_ways(client, user, page, api)
            assert (on_page.status_code, in_api.status_code) == (200, 200), (user, page)
            assert [on_page[h] for h in HEADERS] == [in_api[h] for h in HEADERS]
            assert on_page["Content-Disposition"] == disposition
            assert on_page["Cache-Control"] == "private, max-age=3600"
            assert on_page.body.startswith(b"\x89PNG") and on_page.body == in_api.body
        on_page, in_api = _both_ways(client, outsider, page, api)
        assert (on_page.status_code, in_api.status_code) == (404, 404)
