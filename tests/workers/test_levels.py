"""Worker levels: earned from the record (approved work, success rate, an account's age),
recomputed after approvals and by the clock, announced when they rise, required by
campaigns through the eligibility rules, and explained on a public page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification, NotificationKind
from tasks.models import AssignmentStatus, Campaign
from tasks.services import submission_approve
from workers.claims import task_claim
from workers.levels import Record, level_for, levels_recompute
from workers.selectors import feed

from ..refusals import refused
from ..tasks.api_helpers import submitted
from ..tasks.helpers import active_campaign
from .helpers import past

pytestmark = pytest.mark.django_db

A = AssignmentStatus


@pytest.mark.parametrize(
    ("record", "level"),
    [
        (Record(0, None, 400), 0),
        (Record(10, 80, 7), 1),
        (Record(10, 79, 7), 0),  # the rate a point short
        (Record(10, 80, 6), 0),  # a day too young
        (Record(9, 100, 400), 0),  # one approval short
        (Record(50, 90, 30), 2),
        (Record(199, 100, 400), 2),
        (Record(200, 95, 90), 3),
        (Record(500, 94, 400), 2),  # level 3's rate missed: level 2 still holds
    ],
)
def test_a_level_needs_every_one_of_its_thresholds(record, level):
    assert level_for(record) == level


def _aged(user, days: int) -> None:
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=days))


def test_the_clock_sets_levels_from_the_record_and_announces_only_a_rise(
    worker, outsider, employer, django_capture_on_commit_callbacks
):
    _aged(worker, 40)
    past(worker, employer, approved=50, rejected=4, status=AssignmentStatus.CLOSED)  # 50 / 54 = 93%
    _aged(outsider, 3)
    past(outsider, employer, approved=20)  # too young for level 1
    with django_capture_on_commit_callbacks(execute=True):
        assert levels_recompute() == 1
    worker.refresh_from_db()
    outsider.refresh_from_db()
    assert (worker.level, outsider.level) == (2, 0)
    told = Notification.objects.get(user=worker, kind=NotificationKind.LEVEL_UP)
    assert told.params == {"level": 2}
    with django_capture_on_commit_callbacks(execute=True):
        assert levels_recompute() == 0  # nothing changed: nothing written, nothing told
    # Old rejections leave the window, new ones come in: the level falls, silently.
    past(worker, employer, approved=0, rejected=10, status=AssignmentStatus.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        levels_recompute(worker_ids=[worker.pk])
    worker.refresh_from_db()
    assert worker.level == 0  # 50 / 64 = 78%: under level 1's 80%
    assert Notification.objects.filter(user=worker, kind=NotificationKind.LEVEL_UP).count() == 1


def test_an_approval_recomputes_its_workers_level(
    worker, employer, moderator, django_capture_on_commit_callbacks
):
    _aged(worker, 10)
    past(worker, employer, approved=9)
    assignment = submitted(employer, worker, moderator)
    with django_capture_on_commit_callbacks(execute=True):
        submission_approve(assignment=assignment, by=employer)
    worker.refresh_from_db()
    assert worker.level == 1
    assert Notification.objects.filter(user=worker, kind=NotificationKind.LEVEL_UP).exists()


def test_a_campaign_for_a_level_is_for_workers_at_it(worker, outsider, employer, moderator):
    campaign = active_campaign(employer, moderator)
    Campaign.objects.filter(pk=campaign.pk).update(min_level=2)
    campaign.refresh_from_db()
    User.objects.filter(pk=worker.pk).update(level=2)
    User.objects.filter(pk=outsider.pk).update(level=1)
    worker.refresh_from_db()
    outsider.refresh_from_db()
    assert feed(worker=worker).filter(pk=campaign.pk).exists()
    assert not feed(worker=outsider).filter(pk=campaign.pk).exists()
    with refused("level_required", match="level 2 or above"):
        task_claim(campaign=campaign, worker=outsider)
    assert task_claim(campaign=campaign, worker=worker).worker == worker


def test_the_levels_page_is_public_and_shows_the_readers_record(client, worker, employer):
    page = client.get(reverse("workers:levels")).content.decode()
    assert "Level 3" in page and "at least 200 tasks approved" in page
    _aged(worker, 8)
    past(worker, employer, approved=12)
    client.force_login(worker)
    page = client.get(reverse("workers:levels")).content.decode()
    assert "You: Level 1" in page and "12 tasks approved" in page and "8 days on Kaaj" in page


def test_campaigns_take_a_minimum_level_on_the_page_and_in_the_api(client, api_as, employer):
    from ..tasks.api_helpers import campaign_body
    from ..tasks.test_pages_employer import form_data

    created = api_as(employer).post("/api/v1/campaigns/", campaign_body(min_level=2), format="json")
    assert created.status_code == 201 and created.json()["min_level"] == 2
    too_high = api_as(employer).post("/api/v1/campaigns/", campaign_body(min_level=4))
    assert too_high.status_code == 400 and "min_level" in too_high.json()["errors"]
    client.force_login(employer)
    assert client.post(reverse("tasks:campaign_new"), form_data(min_level="3")).status_code == 302
    assert sorted(Campaign.objects.values_list("min_level", flat=True)) == [2, 3]


def test_employers_see_a_workers_level_and_workers_their_own(client, worker, employer, moderator):
    assignment = submitted(employer, worker, moderator)
    User.objects.filter(pk=worker.pk).update(level=2)
    client.force_login(employer)
    queue = client.get(reverse("tasks:campaign_manage", args=[assignment.campaign_id]))
    assert f'{worker.public_name} <small class="muted">Level 2</small>' in queue.content.decode()
    client.force_login(worker)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "Level 2" in profile and reverse("workers:levels") in profile
