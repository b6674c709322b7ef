"""The duplicate-screenshot check, counted by PostgreSQL (tasks.selectors)."""

import pytest
from django.utils import timezone

from tasks.models import Assignment, AssignmentStatus, Screenshot, Submission
from tasks.selectors import screenshot_duplicates

from .helpers import active_campaign

pytestmark = pytest.mark.django_db

NEGATIVE = -(1 << 63) + 12345  # hashes are signed 64-bit integers: the top bit set


def _shot(campaign, worker, phash: int) -> Screenshot:
    task = campaign.tasks.filter(status="open").order_by("number").first()
    task.status = "assigned"
    task.save(update_fields=["status"])
    assignment = Assignment.objects.create(
        task=task,
        campaign=campaign,
        worker=worker,
        status=AssignmentStatus.SUBMITTED,
        expires_at=timezone.now(),
    )
    submission = Submission.objects.create(assignment=assignment)
    return Screenshot.objects.create(
        submission=submission,
        field_key="shot",
        file="private/screenshots/x.png",
        content_type="image/png",
        width=1,
        height=1,
        phash=phash,
    )


def test_look_alikes_within_the_distance_are_found_and_others_are_not(
    employer, worker, outsider, moderator, settings
):
    settings.SCREENSHOT_DUPLICATE_DISTANCE = 3
    campaign = active_campaign(employer, moderator, positions=5)
    other = active_campaign(outsider, moderator, positions=2)
    first = _shot(campaign, worker, 0b1011)
    signed = _shot(campaign, worker, NEGATIVE)
    _shot(other, worker, 0)  # another campaign's screenshot is never a duplicate here

    found = screenshot_duplicates(
        campaign_id=campaign.pk,
        phashes=[
            0b1011,  # the same
            0b0100,  # all four low bits differ: distance 4
            0b0011,  # one bit differs
            NEGATIVE ^ 0b111,  # three bits differ, across the sign
            NEGATIVE ^ 0b1111,  # four
        ],
    )

    assert found == {0b1011: first.pk, 0b0011: first.pk, NEGATIVE ^ 0b111: signed.pk}


def test_no_hashes_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert screenshot_duplicates(campaign_id=1, phashes=[]) == {}
