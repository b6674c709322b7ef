"""notify(): a row in the caller's transaction, a mail after commit, once."""

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from notifications import jobs
from notifications.models import Notification, NotificationKind
from notifications.services import notify, preferences_save
from notifications.texts import render_title

pytestmark = pytest.mark.django_db


def _rejected(user, **params):
    notify(
        user=user,
        kind=NotificationKind.CAMPAIGN_REJECTED,
        params={"campaign_id": 7, "campaign_title": "Like my page", "reason": "Spam", **params},
        url="/campaigns/7/",
    )


def test_notify_creates_a_row_and_mails_after_commit(
    employer, mail_jobs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _rejected(employer)
        assert Notification.objects.filter(user=employer).count() == 1
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [employer.email]
    assert "Like my page" in message.subject and "rejected" in message.subject
    assert "Reason: Spam" in message.body
    assert "http://localhost:8000/campaigns/7/" in message.body
    assert Notification.objects.get().emailed_at is not None


def test_a_rolled_back_transaction_leaves_no_notification_and_no_mail(employer, queued):
    with pytest.raises(RuntimeError), transaction.atomic():
        _rejected(employer)
        raise RuntimeError
    assert not Notification.objects.exists()
    assert queued == []


def test_email_job_run_twice_sends_one_mail(employer, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _rejected(employer)
    [pk] = queued
    assert jobs.notification_email.run(pk) is True
    assert jobs.notification_email.run(pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_send_releases_the_claim_so_a_retry_mails(
    employer, queued, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _rejected(employer)
    [pk] = queued

    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("notifications.services.send_mail", broken)
    with pytest.raises(OSError):
        jobs.notification_email.run(pk)
    assert Notification.objects.get().emailed_at is None
    monkeypatch.undo()
    assert jobs.notification_email.run(pk) is True
    assert len(mail.outbox) == 1


def test_no_mail_when_the_user_turned_the_kind_off(
    employer, queued, django_capture_on_commit_callbacks
):
    preferences_save(user=employer, email_kinds=[NotificationKind.CAMPAIGN_APPROVED])
    with django_capture_on_commit_callbacks(execute=True):
        _rejected(employer)
    assert Notification.objects.filter(user=employer).count() == 1
    assert queued == []


def test_kinds_off_by_default_are_not_mailed(worker, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=worker,
            kind=NotificationKind.SUBMISSION_APPROVED,
            params={"campaign_title": "X", "reward_cents": 50},
        )
    assert queued == []


def test_turning_a_kind_off_after_the_event_stops_the_pending_mail(
    employer, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _rejected(employer)
    preferences_save(user=employer, email_kinds=[])
    assert jobs.notification_email.run(queued[0]) is False
    assert mail.outbox == []


def test_mail_is_written_in_the_users_language(
    employer, queued, monkeypatch, django_capture_on_commit_callbacks
):
    employer.language = "bn"
    employer.save()
    seen = []
    real = render_title

    def spy(*args, **kwargs):
        seen.append(translation.get_language())
        return real(*args, **kwargs)

    monkeypatch.setattr("notifications.services.render_title", spy)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        _rejected(employer)
    with translation.override("en"):
        jobs.notification_email.run(queued[0])
    assert seen and set(seen) == {"bn"}
    assert len(mail.outbox) == 1


def test_a_dedupe_key_notifies_once(worker, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            notify(
                user=worker,
                kind=NotificationKind.DISPUTE_DECIDED,
                params={"campaign_title": "X"},
                dedupe_key="dispute_decided:1",
            )
    assert Notification.objects.filter(user=worker).count() == 1
    assert len(queued) == 1


def test_unknown_kind_is_refused(worker):
    with pytest.raises(ValueError):
        notify(user=worker, kind="nonsense")


def test_money_params_are_formatted_and_missing_params_do_not_break():
    assert render_title(NotificationKind.PAYOUT_PAID, {"amount_cents": 1250}) == (
        "Your payout of $12.50 was paid."
    )
    assert render_title(NotificationKind.CAMPAIGN_APPROVED, {}) == (
        "Your campaign “” was approved and is live."
    )


@pytest.mark.parametrize(
    ("outcome", "says"),
    [
        ("worker", "decided for the worker"),
        ("employer", "decided for the employer"),
        ("reversed", "took back the rejection"),
        ("", "A moderator decided the dispute"),
    ],
)
def test_a_dispute_decision_says_which_way_it_went(outcome, says):
    params = {"campaign_title": "X", "outcome": outcome}
    assert says in render_title(NotificationKind.DISPUTE_DECIDED, params)


def test_a_mail_whose_job_was_lost_is_sent_by_the_sweeper_once(employer, mail_jobs):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from notifications.services import notification_emails_sweep

    with transaction.atomic():  # committed, but its after-commit job never reaches a worker
        _rejected(employer)
    assert Notification.objects.get().email_due is True
    assert notification_emails_sweep() == 0  # too young: its own job may still be on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert notification_emails_sweep() == 1
        assert notification_emails_sweep() == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get().email_due is False


def test_the_sweeper_leaves_notifications_nobody_wants_by_mail(worker, mail_jobs):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from notifications.services import notification_emails_sweep

    notify(user=worker, kind=NotificationKind.SUBMISSION_APPROVED, params={"campaign_title": "A"})
    preferences_save(user=worker, email_kinds=[])
    notify(user=worker, kind=NotificationKind.SUBMISSION_REJECTED, params={"campaign_title": "B"})
    assert not Notification.objects.filter(email_due=True).exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert notification_emails_sweep() == 0
    assert mail.outbox == []
