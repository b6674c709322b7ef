"""The feed and the review queue cost a fixed number of queries per page, whatever the
number of rows on it: the same bound holds for 2 rows and for 20."""

import pytest

from tasks.services import assignment_submit, submission_approve
from workers.claims import task_claim

from ..factories import UserFactory
from .api_helpers import SHOT_FIELDS, png
from .helpers import active_campaign

pytestmark = pytest.mark.django_db

API = "/api/v1"
FEED_QUERIES = 4  # token, the worker's standing, the page, its employers' records
# token, campaign, count, page, submissions, screenshots, and the screenshots they look like
QUEUE_QUERIES = 7


@pytest.mark.parametrize("rows", [2, 20])
def test_feed_queries_do_not_grow_with_its_rows(
    rows, api_as, worker, moderator, django_assert_max_num_queries
):
    for n in range(rows):
        employer = UserFactory()
        campaign = active_campaign(employer, moderator, title=f"Campaign {n}")
        if n % 2:  # some employers with a track record, so the stats are computed
            someone = UserFactory()
            assignment = task_claim(campaign=campaign, worker=someone)
            assignment_submit(
                assignment=assignment, worker=someone, answers={"username": "x"}, files={}
            )
            submission_approve(assignment=assignment, by=employer)
    client = api_as(worker)
    with django_assert_max_num_queries(FEED_QUERIES):
        response = client.get(f"{API}/feed/")
    assert response.status_code == 200
    items = response.json()["results"]
    assert len(items) == rows
    assert {item["employer"]["approval_rate"] for item in items} == {None, 100}


@pytest.mark.parametrize("rows", [2, 20])
def test_review_queue_queries_do_not_grow_with_its_rows(
    rows, api_as, employer, moderator, settings, django_assert_max_num_queries
):
    settings.MAX_OPEN_CLAIMS = 100
    campaign = active_campaign(
        employer,
        moderator,
        positions=rows,
        max_tasks_per_worker=rows,
        proof_fields=SHOT_FIELDS,
        fund=100_000,
    )
    worker = UserFactory()
    for n in range(rows):
        assignment = task_claim(campaign=campaign, worker=worker)
        assignment_submit(
            assignment=assignment,
            worker=worker,
            answers={"username": f"user{n}"},
            files={"screenshot": [png(n)]},
        )
    client = api_as(employer)
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(f"{API}/campaigns/{campaign.pk}/assignments/?status=submitted")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == rows
    assert all(len(row["screenshots"]) == 1 for row in results)
    assert all(row["answers"]["username"].startswith("user") for row in results)


@pytest.mark.parametrize("rows", [2, 20])
def test_my_assignments_queries_do_not_grow_with_its_rows(
    rows, api_as, employer, worker, moderator, settings, django_assert_max_num_queries
):
    settings.MAX_OPEN_CLAIMS = 100
    campaign = active_campaign(
        employer, moderator, positions=rows, max_tasks_per_worker=rows, fund=100_000
    )
    for _n in range(rows):
        task_claim(campaign=campaign, worker=worker)
    client = api_as(worker)
    with django_assert_max_num_queries(5):  # token, count, page, submissions, screenshots
        response = client.get(f"{API}/assignments/")
    assert len(response.json()["results"]) == rows
