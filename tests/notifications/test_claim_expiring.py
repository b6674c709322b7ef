"""Workers are warned once before a claim (or a revision) runs out."""

from datetime import timedelta

import pytest
from django.core import mail

from notifications.models import Notification, NotificationKind
from notifications.services import claims_warn_expiring
from tasks import services
from tests.payments.helpers import run_together
from tests.tasks.helpers import active_campaign
from workers.claims import task_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(employer, worker, moderator):
    campaign = active_campaign(employer, moderator, time_to_complete_minutes=60)
    return task_claim(campaign=campaign, worker=worker)


def test_a_claim_is_warned_once_within_the_lead_time(
    claim, worker, mail_jobs, django_capture_on_commit_callbacks
):
    soon = claim.expires_at - timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert claims_warn_expiring(now=soon) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert claims_warn_expiring(now=soon + timedelta(minutes=1)) == 0
    [notification] = Notification.objects.filter(kind=NotificationKind.CLAIM_EXPIRING)
    assert notification.user == worker
    assert notification.params["assignment_id"] == claim.pk
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [worker.email]


def test_no_warning_before_the_lead_time_or_after_the_deadline(claim, settings):
    settings.NOTIFICATIONS_CLAIM_EXPIRING_MINUTES = 10
    assert claims_warn_expiring(now=claim.expires_at - timedelta(minutes=11)) == 0
    assert claims_warn_expiring(now=claim.expires_at + timedelta(seconds=1)) == 0
    assert not Notification.objects.filter(kind=NotificationKind.CLAIM_EXPIRING).exists()


def test_a_short_task_is_warned_within_its_share_of_the_time(employer, worker, moderator):
    campaign = active_campaign(employer, moderator, time_to_complete_minutes=10)
    claim = task_claim(campaign=campaign, worker=worker)
    # 20% of 10 minutes: two minutes before, not ten.
    assert claims_warn_expiring(now=claim.expires_at - timedelta(minutes=3)) == 0
    assert claims_warn_expiring(now=claim.expires_at - timedelta(minutes=1)) == 1


def test_a_submitted_claim_is_not_warned(claim, worker):
    services.assignment_submit(
        assignment=claim, worker=worker, answers={"username": "karim"}, files={}
    )
    assert claims_warn_expiring(now=claim.expires_at - timedelta(minutes=5)) == 0


def test_a_revision_gets_its_own_warning(claim, employer, worker):
    claims_warn_expiring(now=claim.expires_at - timedelta(minutes=5))
    services.assignment_submit(
        assignment=claim, worker=worker, answers={"username": "karim"}, files={}
    )
    services.submission_request_revision(assignment=claim, by=employer, reason="Wrong name")
    claim.refresh_from_db()
    assert claims_warn_expiring(now=claim.expires_at - timedelta(minutes=5)) == 1
    assert Notification.objects.filter(kind=NotificationKind.CLAIM_EXPIRING).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_warn_once(employer, worker, moderator):
    campaign = active_campaign(employer, moderator, time_to_complete_minutes=60)
    claim = task_claim(campaign=campaign, worker=worker)
    soon = claim.expires_at - timedelta(minutes=5)
    results = run_together(4, lambda _i: claims_warn_expiring(now=soon))
    assert sorted(results) == [0, 0, 0, 1], results
    assert Notification.objects.filter(kind=NotificationKind.CLAIM_EXPIRING).count() == 1
