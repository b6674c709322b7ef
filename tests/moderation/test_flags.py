"""The moderators' flags: each finds the planted case and leaves the ordinary one alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.selectors import (
    flag_duplicate_screenshots,
    flag_rejected_workers,
    flag_rejecting_employers,
)
from tasks.models import AssignmentStatus
from tests.factories import UserFactory

from ..tasks.helpers import active_campaign
from .helpers import employer_with_reviews, reviewed, screenshot_of

pytestmark = pytest.mark.django_db

APPROVED, REJECTED = AssignmentStatus.APPROVED, AssignmentStatus.REJECTED


def test_an_employer_rejecting_far_more_than_the_platform_is_flagged(moderator, settings):
    settings.FLAG_EMPLOYER_MIN_REVIEWED = 20
    normal = employer_with_reviews(moderator, approved=57, rejected=3)
    harsh = employer_with_reviews(moderator, approved=8, rejected=12)  # 60 %
    employer_with_reviews(moderator, approved=0, rejected=5)  # 100 %, but too few reviews
    # Platform: 20 rejected of 85 = 24 %; 60 % is more than twice that and 20 points above.

    flagged = flag_rejecting_employers()

    assert [user.pk for user in flagged] == [harsh.pk]
    assert (flagged[0].reviewed_count, flagged[0].rejected_count) == (20, 12)
    assert (flagged[0].rejection_rate, flagged[0].platform_rate) == (60, 24)
    assert normal.pk not in [user.pk for user in flagged]


def test_an_employer_well_above_but_not_twice_the_platform_is_not_flagged(moderator, settings):
    settings.FLAG_EMPLOYER_MIN_REVIEWED = 20
    employer_with_reviews(moderator, approved=14, rejected=6)  # 30 %
    employer_with_reviews(moderator, approved=16, rejected=4)  # 20 %: platform 25 %
    assert flag_rejecting_employers() == []


def test_rejections_outside_the_window_do_not_count(moderator, settings):
    settings.FLAG_EMPLOYER_MIN_REVIEWED = 20
    employer_with_reviews(moderator, approved=60, rejected=0)
    old = UserFactory()
    campaign = active_campaign(old, moderator, positions=20, fund=2_000, title="Old")
    reviewed(campaign, [REJECTED] * 20, days_ago=settings.FLAG_WINDOW_DAYS + 1)
    assert flag_rejecting_employers() == []


def _rejected_by(worker, employers, moderator, *, days_ago=1):
    for n, employer in enumerate(employers):
        campaign = active_campaign(
            employer, moderator, positions=1, fund=100, title=f"{worker.pk}-{n}-{days_ago}"
        )
        reviewed(campaign, [REJECTED], workers=[worker], days_ago=days_ago)


def test_a_worker_rejected_by_many_employers_is_flagged(moderator, settings):
    settings.FLAG_WORKER_REJECTING_EMPLOYERS = 3
    many, one, recent_two = UserFactory(), UserFactory(), UserFactory()
    employers = [UserFactory() for _ in range(3)]
    _rejected_by(many, employers, moderator)
    _rejected_by(one, [employers[0]] * 3, moderator)  # three rejections, one employer
    _rejected_by(recent_two, employers[:2], moderator)
    _rejected_by(recent_two, employers[2:], moderator, days_ago=settings.FLAG_WINDOW_DAYS + 1)

    flagged = flag_rejected_workers()

    assert [user.pk for user in flagged] == [many.pk]
    assert (flagged[0].employer_count, flagged[0].rejected_count) == (3, 3)


def test_a_recent_duplicate_screenshot_is_flagged_with_both_sides(employer, moderator, settings):
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    campaign = active_campaign(employer, moderator, positions=3, fund=1_000)
    a, b, c = reviewed(campaign, [APPROVED, APPROVED, APPROVED], workers=[first, second, third])
    original = screenshot_of(a, phash=1, days_ago=settings.FLAG_WINDOW_DAYS + 5)
    copy = screenshot_of(b, phash=1, duplicate_of=original)
    screenshot_of(c, phash=99)  # its own picture
    screenshot_of(c, phash=1, duplicate_of=original, days_ago=settings.FLAG_WINDOW_DAYS + 1)

    flagged = flag_duplicate_screenshots()

    assert [shot.pk for shot in flagged] == [copy.pk]
    assert flagged[0].submission.assignment.worker == second
    assert flagged[0].duplicate_of.submission.assignment.worker == first


def test_the_flags_page_links_each_case_in_a_fixed_number_of_queries(
    client, employer, moderator, settings, django_assert_max_num_queries
):
    settings.FLAG_WORKER_REJECTING_EMPLOYERS = 1
    settings.FLAG_EMPLOYER_MIN_REVIEWED = 1
    settings.FLAG_EMPLOYER_REJECTION_POINTS = 0
    settings.FLAG_EMPLOYER_REJECTION_FACTOR = 1
    client.force_login(moderator)
    client.get(reverse("moderation:flags"))  # warm the session

    def plant(n):
        workers = [UserFactory() for _ in range(n)]
        campaign = active_campaign(employer, moderator, positions=n, fund=n * 100, title=f"x{n}")
        rows = reviewed(campaign, [REJECTED] * n, workers=workers)
        shots = [screenshot_of(row, phash=n) for row in rows]
        for shot in shots[1:]:
            shot.duplicate_of = shots[0]
            shot.save()
        return workers, shots

    workers, shots = plant(2)
    bound = 8  # session, user, moderator group, unread notifications; the four flags
    with django_assert_max_num_queries(bound):
        html = client.get(reverse("moderation:flags")).content.decode()
    assert reverse("tasks:screenshot", args=[shots[1].pk]) in html
    assert reverse("moderation:user", args=[workers[0].pk]) in html
    assert reverse("moderation:user", args=[employer.pk]) in html
    plant(12)
    with django_assert_max_num_queries(bound):
        html = client.get(reverse("moderation:flags")).content.decode()
    assert html.count("looks like") == 12
