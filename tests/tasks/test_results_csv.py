"""A campaign's results as CSV for its employer (GET /api/v1/campaigns/{id}/results.csv):
streamed, every assignment with its task's input, worker, times, reason and answers,
screenshots as links, formulas defused, in a number of queries that does not grow with the
campaign, and nobody else's."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks import services
from tasks.results import cell
from tests.factories import UserFactory
from workers.claims import task_claim

from .api_helpers import SHOT_FIELDS, png
from .helpers import active_campaign

pytestmark = pytest.mark.django_db

ROWS = ({"shop": "https://a.example"}, {"shop": "https://b.example"}, {"shop": "=HYPERLINK()"})


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def campaign(employer, moderator):
    return active_campaign(
        employer, moderator, proof_fields=SHOT_FIELDS, instructions="Visit {{shop}}.",
        task_inputs=ROWS, positions=3, max_tasks_per_worker=3,
    )  # fmt: skip


def work(campaign, worker, answer, shot=None):
    assignment = task_claim(campaign=campaign, worker=worker)
    files = {"screenshot": [png(shot)]} if shot is not None else {}
    services.assignment_submit(
        assignment=assignment, worker=worker, answers={"username": answer}, files=files
    )
    return assignment


def test_the_employer_downloads_every_assignment_with_answers_and_links(
    api_as, employer, worker, campaign
):
    done = work(campaign, worker, "karim", shot=1)
    services.submission_approve(assignment=done, by=employer)
    formula = work(campaign, worker, "-2+3", shot=2)
    response = api_as(employer).get(f"/api/v1/campaigns/{campaign.pk}/results.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert [r["assignment"] for r in rows] == [str(done.pk), str(formula.pk)]
    first, second = rows
    assert first["shop"] == "https://a.example" and first["status"] == "approved"
    assert first["username"] == "karim" and first["worker_name"] == "Karim"
    assert first["screenshot"].startswith("http://testserver/api/v1/screenshots/")
    assert first["check_task"] == "False" and first["reviewed_at"]
    assert second["username"] == "'-2+3"  # a worker's answer is never a formula
    shot = api_as(employer).get(first["screenshot"].removeprefix("http://testserver"))
    assert shot.status_code == 200


def test_the_download_is_the_employers_only_and_linked_from_the_campaign_page(
    api_as, client, employer, worker, campaign
):
    outsider = UserFactory(email="someone@example.com")
    url = f"/api/v1/campaigns/{campaign.pk}/results.csv"
    assert api_as(outsider).get(url).status_code == 404
    assert api_as(worker).get(url).status_code == 404
    client.force_login(employer)
    page = client.get(reverse("tasks:campaign_manage", args=[campaign.pk])).content.decode()
    assert url in page
    assert client.get(url).status_code == 200  # the page's session is enough


def test_the_number_of_queries_does_not_grow_with_the_campaign(
    api_as, employer, worker, outsider, moderator
):
    def count(campaign) -> int:
        client = api_as(employer)
        with CaptureQueriesContext(connection) as queries:
            rows_of(client.get(f"/api/v1/campaigns/{campaign.pk}/results.csv"))
        return len(queries)

    small = active_campaign(employer, moderator, title="Small", positions=3)
    work(small, worker, "one")
    big = active_campaign(employer, moderator, title="Big", positions=6, max_tasks_per_worker=3)
    for person in (worker, outsider):
        for n in range(3):
            work(big, person, f"answer {n}")
    assert count(big) == count(small)


@pytest.mark.parametrize(
    ("value", "written"),
    [("=1+1", "'=1+1"), ("+5", "'+5"), ("@SUM", "'@SUM"), ("plain", "plain"), (None, "")],
)
def test_cells_a_spreadsheet_would_run_are_defused(value, written):
    assert cell(value) == written
