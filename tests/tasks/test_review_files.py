"""Reviewing by file: a CSV of ``assignment, decision, reason`` is checked line by line (the
preview changes nothing), then applied through the page's own review services, each line's
result shown; lines that cannot be applied are left out with the reason."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payments.selectors import balances_of, ledger_violations
from tasks.models import Assignment, AssignmentStatus
from tasks.services.reviews import review_rows_apply, review_rows_check, row_values
from tests.factories import UserFactory
from workers.claims import task_claim

from ..refusals import refused
from .api_helpers import submitted
from .helpers import active_campaign

pytestmark = pytest.mark.django_db
A = AssignmentStatus


@pytest.fixture
def queue(employer, worker, moderator):
    """Three submissions waiting on one campaign, and one claim still being worked on."""
    campaign = active_campaign(employer, moderator, positions=5, max_tasks_per_worker=5)
    others = [UserFactory(email=f"w{n}@example.com") for n in range(2)]
    sent = [
        submitted(employer, person, moderator, campaign=campaign) for person in [worker, *others]
    ]
    working = task_claim(campaign=campaign, worker=UserFactory(email="busy@example.com"))
    return campaign, sent, working


def csv_file(lines: list[str]) -> SimpleUploadedFile:
    body = "\n".join(["assignment,decision,reason", *lines]).encode()
    return SimpleUploadedFile("review.csv", body, content_type="text/csv")


def test_the_check_says_what_each_line_would_do(employer, queue, outsider):
    campaign, (first, second, third), working = queue
    rows = [
        {"assignment": str(first.pk), "decision": "approve", "reason": ""},
        {"assignment": str(second.pk), "decision": "Reject", "reason": "Wrong username"},
        {"assignment": str(third.pk), "decision": "revision", "reason": ""},
        {"assignment": str(working.pk), "decision": "approve", "reason": ""},
        {"assignment": str(first.pk), "decision": "reject", "reason": "Again"},
        {"assignment": "99999", "decision": "approve", "reason": ""},
        {"assignment": str(third.pk), "decision": "maybe", "reason": ""},
    ]
    checked = review_rows_check(campaign=campaign, by=employer, rows=rows)
    assert [(r.line, r.action) for r in checked] == [
        (2, "approve"), (3, "reject"), (4, None), (5, None), (6, None), (7, None), (8, None)
    ]  # fmt: skip
    assert checked[2].problem == "Give the worker a reason."
    assert checked[3].problem == "Not waiting for review."
    assert checked[4].problem == "This submission came earlier in the file."
    assert checked[5].problem == "Not a submission of this campaign."
    assert Assignment.objects.filter(status=A.SUBMITTED).count() == 3  # nothing changed
    with refused("not_found"):
        review_rows_check(campaign=campaign, by=outsider, rows=rows)


def test_applying_goes_through_the_review_services_and_checks_again(employer, worker, queue):
    campaign, (first, second, _third), _working = queue
    checked = review_rows_check(
        campaign=campaign,
        by=employer,
        rows=[
            {"assignment": str(first.pk), "decision": "approve"},
            {"assignment": str(second.pk), "decision": "reject", "reason": "Wrong username"},
        ],
    )
    results = review_rows_apply(
        campaign=campaign, by=employer, rows=[row_values(r) for r in checked]
    )
    assert [result for _row, result in results] == ["done", "done"]
    assert Assignment.objects.get(pk=first.pk).status == A.APPROVED
    rejected = Assignment.objects.get(pk=second.pk)
    assert (rejected.status, rejected.review_reason) == (A.REJECTED, "Wrong username")
    assert balances_of(worker).available_cents == campaign.reward_cents
    again = review_rows_apply(campaign=campaign, by=employer, rows=[row_values(r) for r in checked])
    assert [result for _row, result in again] == ["Not waiting for review."] * 2
    assert ledger_violations() == []


def test_the_page_previews_then_applies_and_says_how_each_line_went(client, employer, queue):
    campaign, (first, second, third), working = queue
    client.force_login(employer)
    url = reverse("tasks:review_file", args=[campaign.pk])
    manage = client.get(reverse("tasks:campaign_manage", args=[campaign.pk])).content.decode()
    assert url in manage
    upload = csv_file(
        [f"{first.pk},approve,", f"{second.pk},reject,Blurry screenshot", f"{working.pk},approve,"]
    )
    preview = client.post(url, {"file": upload})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Blurry screenshot" in page and "Not waiting for review." in page
    assert Assignment.objects.get(pk=first.pk).status == A.SUBMITTED  # a preview changes nothing
    carried = preview.context["carried"]
    assert [row["assignment"] for row in json.loads(carried)] == [first.pk, second.pk]
    applied = client.post(url, {"apply": "1", "rows": carried})
    assert applied.status_code == 200 and applied.context["done"] == 2
    assert Assignment.objects.get(pk=second.pk).status == A.REJECTED
    assert Assignment.objects.get(pk=third.pk).status == A.SUBMITTED


def test_a_bad_file_is_explained_next_to_the_field(client, employer, queue):
    campaign, *_rest = queue
    client.force_login(employer)
    url = reverse("tasks:review_file", args=[campaign.pk])
    wrong = SimpleUploadedFile("x.csv", b"id,what\n1,approve\n", content_type="text/csv")
    response = client.post(url, {"file": wrong})
    assert response.status_code == 400
    assert "must name the columns assignment and decision" in response.content.decode()
    junk = client.post(url, {"apply": "1", "rows": "not json"})
    assert junk.status_code == 200 and junk.context["done"] == 0


def test_another_employers_campaign_does_not_exist_here(client, outsider, queue):
    campaign, *_rest = queue
    client.force_login(outsider)
    assert client.get(reverse("tasks:review_file", args=[campaign.pk])).status_code == 404
