"""Each event of the work loop and of payouts notifies the right user, once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.errors import DomainError
from notifications.models import Notification, NotificationKind
from payments.services import payout_mark_paid, payout_method_add, payout_reject, payout_request
from payments.services.payouts import payout_send
from payments.transfers import Outcome
from tasks import services
from tests.payments.helpers import give
from tests.tasks.helpers import active_campaign, spec
from workers.claims import task_claim

pytestmark = pytest.mark.django_db


def of(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind))


def submitted(employer, worker, moderator, **overrides):
    campaign = active_campaign(employer, moderator, **overrides)
    assignment = task_claim(campaign=campaign, worker=worker)
    services.assignment_submit(
        assignment=assignment, worker=worker, answers={"username": "karim"}, files={}
    )
    return assignment


def test_the_employer_hears_that_the_campaign_was_approved(
    employer, moderator, mail_jobs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        campaign = active_campaign(employer, moderator, title="Like my page")
    [notification] = of(employer, NotificationKind.CAMPAIGN_APPROVED)
    assert notification.params["campaign_id"] == campaign.pk
    assert notification.url == f"/campaigns/{campaign.pk}/"
    assert [m.to for m in mail.outbox] == [[employer.email]]
    assert "Like my page" in mail.outbox[0].subject


def test_the_employer_hears_why_the_campaign_was_rejected(employer, moderator):
    give(employer, 1000)
    campaign = services.campaign_create(employer=employer, spec=spec())
    campaign = services.campaign_launch(campaign=campaign, by=employer)
    services.campaign_moderate(campaign=campaign, by=moderator, approve=False, reason="Spam")
    [notification] = of(employer, NotificationKind.CAMPAIGN_REJECTED)
    assert notification.params["reason"] == "Spam"
    assert not of(employer, NotificationKind.CAMPAIGN_APPROVED)


def test_a_submission_is_batched_to_the_employer(employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    [notification] = of(employer, NotificationKind.SUBMISSIONS_TO_REVIEW)
    assert notification.count == 1
    assert notification.params["campaign_id"] == assignment.campaign_id
    assert not Notification.objects.filter(user=worker).exists()


def test_ten_workers_submitting_make_one_notification_and_one_digest(employer, moderator):
    from notifications import jobs
    from tests.factories import UserFactory

    campaign = active_campaign(employer, moderator, positions=10)
    for _ in range(10):
        worker = UserFactory()
        claim = task_claim(campaign=campaign, worker=worker)
        services.assignment_submit(
            assignment=claim, worker=worker, answers={"username": "x"}, files={}
        )
    [notification] = of(employer, NotificationKind.SUBMISSIONS_TO_REVIEW)
    assert notification.count == 10
    mail.outbox.clear()
    assert jobs.send_digests.run() == 1
    assert len(mail.outbox) == 1 and "10 new submissions" in mail.outbox[0].subject


def test_the_worker_hears_of_an_approval(employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    services.submission_approve(assignment=assignment, by=employer)
    [notification] = of(worker, NotificationKind.SUBMISSION_APPROVED)
    assert notification.params["reward_cents"] == 50
    assert notification.url == f"/work/assignments/{assignment.pk}/"


def test_the_worker_hears_why_the_work_was_rejected(employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    services.submission_reject(assignment=assignment, by=employer, reason="Wrong username")
    [notification] = of(worker, NotificationKind.SUBMISSION_REJECTED)
    assert notification.params["reason"] == "Wrong username"


def test_the_worker_hears_what_to_revise(employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    services.submission_request_revision(assignment=assignment, by=employer, reason="Add more")
    [notification] = of(worker, NotificationKind.REVISION_REQUESTED)
    assert notification.params["reason"] == "Add more"


def test_a_review_that_loses_the_race_notifies_nobody(employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    services.submission_approve(assignment=assignment, by=employer)
    with pytest.raises(DomainError):
        services.submission_reject(assignment=assignment, by=employer, reason="late")
    assert len(of(worker, NotificationKind.SUBMISSION_APPROVED)) == 1
    assert not of(worker, NotificationKind.SUBMISSION_REJECTED)


def test_auto_approval_notifies_each_worker_once(employer, worker, outsider, moderator):
    submitted(employer, worker, moderator, title="A")
    submitted(employer, outsider, moderator, title="B")
    when = timezone.now() + timedelta(hours=72, minutes=1)
    assert services.submissions_auto_approve_due(now=when) == 2
    assert services.submissions_auto_approve_due(now=when) == 0
    assert len(of(worker, NotificationKind.SUBMISSION_APPROVED)) == 1
    assert len(of(outsider, NotificationKind.SUBMISSION_APPROVED)) == 1


@pytest.fixture
def funded_worker(worker):
    give(worker, 1_000)
    return worker


def test_the_worker_hears_a_manual_payout_was_paid(funded_worker, moderator):
    method = payout_method_add(user=funded_worker, kind="bkash", destination="01712345678")
    payout = payout_request(user=funded_worker, method=method, amount_cents=400)
    payout_mark_paid(payout=payout, reference="TX123", by=moderator)
    [notification] = of(funded_worker, NotificationKind.PAYOUT_PAID)
    assert notification.params == {"payout_id": payout.pk, "amount_cents": 400}


def test_the_worker_hears_why_a_payout_was_rejected(funded_worker, moderator):
    method = payout_method_add(user=funded_worker, kind="bkash", destination="01712345678")
    payout = payout_request(user=funded_worker, method=method, amount_cents=400)
    payout_reject(payout=payout, reason="Wrong number", by=moderator)
    [notification] = of(funded_worker, NotificationKind.PAYOUT_FAILED)
    assert notification.params["reason"] == "Wrong number"


class Refusing:
    def send(self, payout):
        return Outcome.failed("No such account")


class Paying:
    def send(self, payout):
        return Outcome.paid(f"tr_{payout.pk}")


@pytest.mark.parametrize(
    ("provider", "kind"),
    [(Paying(), NotificationKind.PAYOUT_PAID), (Refusing(), NotificationKind.PAYOUT_FAILED)],
)
def test_a_stripe_payout_outcome_is_notified_once(funded_worker, provider, kind):
    method = payout_method_add(user=funded_worker, kind="stripe", destination="acct_1Kaaj2Worker3")
    payout = payout_request(user=funded_worker, method=method, amount_cents=300)
    payout_send(payout_id=payout.pk, provider=provider)
    payout_send(payout_id=payout.pk, provider=provider)
    assert len(of(funded_worker, kind)) == 1
