"""New submissions: one growing notification per campaign, one digest mail per employer."""

import pytest
from django.core import mail
from django.db import transaction

from notifications import jobs
from notifications.models import Notification, NotificationKind
from notifications.services import (
    digest_send,
    notification_mark_read,
    notify,
    preferences_save,
)
from tests.payments.helpers import run_together

KIND = NotificationKind.SUBMISSIONS_TO_REVIEW


def arrived(user, campaign_id=7, title="Like my page"):
    notify(
        user=user,
        kind=KIND,
        params={"campaign_id": campaign_id, "campaign_title": title},
        url=f"/campaigns/{campaign_id}/",
    )


@pytest.mark.django_db
def test_ten_submissions_make_one_notification_and_one_digest_mail(employer, queued):
    for _ in range(10):
        arrived(employer)
    [notification] = Notification.objects.filter(user=employer)
    assert notification.count == 10
    assert queued == []  # batched kinds are not mailed one by one
    assert jobs.send_digests.run() == 1
    assert jobs.send_digests.run() == 0
    assert len(mail.outbox) == 1
    assert "10 new submissions to review" in mail.outbox[0].subject
    assert "10 new submissions to review on “Like my page”." in mail.outbox[0].body


@pytest.mark.django_db
def test_a_digest_tells_only_what_arrived_since_the_last_one(employer):
    for _ in range(3):
        arrived(employer)
    arrived(employer, campaign_id=8, title="Watch my video")
    jobs.send_digests.run()
    arrived(employer)
    jobs.send_digests.run()
    assert len(mail.outbox) == 2
    first, second = (m.body for m in mail.outbox)
    assert "3 new submissions" in first and "1 new submission to review on “Watch" in first
    assert "1 new submission to review on “Like my page”" in second
    assert "Watch my video" not in second
    assert Notification.objects.get(user=employer, batch_key="campaign:7").count == 4


@pytest.mark.django_db
def test_each_employer_gets_their_own_digest(employer, outsider):
    arrived(employer)
    arrived(outsider, campaign_id=9, title="Theirs")
    assert jobs.send_digests.run() == 2
    assert sorted(m.to[0] for m in mail.outbox) == [employer.email, outsider.email]


@pytest.mark.django_db
def test_reading_the_notification_starts_a_new_batch(employer):
    arrived(employer)
    arrived(employer)
    first = Notification.objects.get(user=employer)
    notification_mark_read(notification=first, by=employer)
    arrived(employer)
    second = Notification.objects.exclude(pk=first.pk).get(user=employer)
    assert second.count == 1 and second.read_at is None
    assert jobs.send_digests.run() == 1
    assert "1 new submission" in mail.outbox[0].subject


@pytest.mark.django_db
def test_no_digest_for_an_employer_who_turned_it_off(employer):
    preferences_save(user=employer, email_kinds=[])
    arrived(employer)
    assert jobs.send_digests.run() == 0
    assert mail.outbox == []
    assert Notification.objects.get(user=employer).count == 1


@pytest.mark.django_db
def test_a_failed_digest_is_sent_again_next_time(employer, monkeypatch):
    arrived(employer)
    arrived(employer)

    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("notifications.services.send_mail", broken)
    with pytest.raises(OSError):
        digest_send(user_id=employer.pk)
    monkeypatch.undo()
    assert jobs.send_digests.run() == 1
    assert "2 new submissions" in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_add_up_on_one_notification(employer):
    def submit(_index):
        with transaction.atomic():
            arrived(employer)

    results = run_together(10, submit)
    assert results == [None] * 10
    [notification] = Notification.objects.filter(user=employer)
    assert notification.count == 10
    assert jobs.send_digests.run() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_digests_mail_once(employer):
    for _ in range(5):
        arrived(employer)
    results = run_together(4, lambda _i: digest_send(user_id=employer.pk))
    assert sorted(results) == [0, 0, 0, 5]
    assert len(mail.outbox) == 1


def test_the_beat_runs_the_digest_and_the_expiring_claims_sweeper(settings):
    from marketplace.celery import app

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"notifications.send_digests", "notifications.warn_expiring_claims"} <= tasks
    app.loader.import_default_modules()
    assert {"notifications.send_digests", "notifications.warn_expiring_claims"} <= set(app.tasks)
