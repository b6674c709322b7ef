"""Proof answers and screenshots are labelled with the employer's words for each proof field,
never the internal key, on the worker's, the employer's and the moderator's pages; kinds and
history statuses are words too."""

import pytest
from django.urls import reverse

from tasks import services
from tasks.services.disputes import dispute_open
from workers.claims import task_claim

from .api_helpers import png
from .helpers import active_campaign

pytestmark = pytest.mark.django_db

FIELDS = [
    {"key": "account", "label": "Name on your account", "kind": "text", "required": True},
    {"key": "shot", "label": "Picture of the welcome page", "kind": "screenshot", "required": True},
]


@pytest.fixture
def submitted(employer, worker, moderator):
    campaign = active_campaign(employer, moderator, proof_fields=FIELDS)
    assignment = task_claim(campaign=campaign, worker=worker)
    services.assignment_submit(
        assignment=assignment,
        worker=worker,
        answers={"account": "karim77"},
        files={"shot": [png(3)]},
    )
    return assignment


def _labelled(html: str) -> None:
    assert "<dt>Name on your account</dt><dd>karim77</dd>" in html
    assert 'alt="Picture of the welcome page"' in html
    assert "<dt>account</dt>" not in html and "Screenshot: shot" not in html


def test_the_employer_reads_the_labels(client, employer, submitted):
    client.force_login(employer)
    _labelled(
        client.get(reverse("tasks:campaign_manage", args=[submitted.campaign_id])).content.decode()
    )


def test_the_worker_reads_the_labels(client, worker, submitted):
    client.force_login(worker)
    _labelled(client.get(reverse("workers:assignment", args=[submitted.pk])).content.decode())


def test_the_moderator_and_the_employer_read_them_on_a_dispute(
    client, employer, worker, moderator, submitted
):
    services.submission_reject(assignment=submitted, by=employer, reason="Wrong name")
    dispute = dispute_open(assignment=submitted, by=worker, reason="That is my name.")
    client.force_login(moderator)
    html = client.get(reverse("moderation:dispute", args=[dispute.pk])).content.decode()
    _labelled(html)
    assert "(Text)" in html and "(text)" not in html  # the proof kinds asked for
    assert "Submitted → Rejected" in html and "submitted → rejected" not in html
    client.force_login(employer)
    _labelled(client.get(reverse("tasks:employer_dispute", args=[dispute.pk])).content.decode())
