"""Suspending and reinstating accounts: who may, and what a suspension freezes."""

from __future__ import annotations

import pytest

from accounts.models import ModerationAction, Suspension
from accounts.selectors import is_suspended
from core.errors import DomainError
from moderation.services import user_reinstate, user_suspend
from notifications.models import Notification
from payments import jobs
from payments.models import Payout, PayoutStatus
from payments.selectors import balances_of, ledger_violations
from payments.services import payout_mark_paid, payout_method_add, payout_reject, payout_request
from tasks.models import CampaignEvent, CampaignStatus
from tasks.services import (
    campaign_create,
    campaign_launch,
    campaign_moderate,
    campaign_pause,
    campaign_resume,
)
from tests.factories import UserFactory
from tests.refusals import refused
from workers.claims import task_claim
from workers.selectors import feed

from ..payments.helpers import give, run_together
from ..tasks.helpers import active_campaign, spec
from .helpers import another_moderator

pytestmark = pytest.mark.django_db


def test_a_moderator_suspends_with_a_reason_and_it_is_audited_and_notified(worker, moderator):
    suspension = user_suspend(user=worker, by=moderator, reason="Fake proofs")

    assert is_suspended(worker) and suspension.by == moderator
    row = ModerationAction.objects.get()
    assert (row.actor, row.action, row.target_id, row.reason) == (
        moderator,
        "user.suspend",
        str(worker.pk),
        "Fake proofs",
    )
    assert Notification.objects.filter(user=worker, kind="account_suspended").count() == 1


def test_reinstating_lifts_the_suspension_keeps_history_audits_and_notifies(worker, moderator):
    user_suspend(user=worker, by=moderator, reason="Fake proofs")
    lifted = user_reinstate(user=worker, by=moderator, reason="Appeal accepted")

    assert not is_suspended(worker)
    assert (lifted.lifted_by, lifted.lift_reason) == (moderator, "Appeal accepted")
    assert lifted.lifted_at is not None and Suspension.objects.count() == 1
    assert list(ModerationAction.objects.values_list("action", flat=True)) == [
        "user.reinstate",
        "user.suspend",
    ]
    assert Notification.objects.filter(user=worker, kind="account_reinstated").count() == 1
    user_suspend(user=worker, by=moderator, reason="Again")  # a new one may follow
    assert Suspension.objects.filter(user=worker).count() == 2 and is_suspended(worker)


@pytest.mark.parametrize(
    ("who", "target", "code"),
    [
        ("worker", "outsider", "permission_denied"),
        ("employer", "worker", "permission_denied"),
        ("moderator", "second", "cannot_suspend_moderator"),
    ],
)
def test_who_may_suspend_whom(request, who, target, code, worker, employer, outsider, moderator):
    users = {"worker": worker, "employer": employer, "outsider": outsider}
    users.update(moderator=moderator, second=another_moderator())
    with pytest.raises(DomainError) as error:
        user_suspend(user=users[target], by=users[who], reason="Because")
    assert error.value.code == code
    assert not Suspension.objects.exists() and not ModerationAction.objects.exists()


def test_a_reason_is_required_both_ways(worker, moderator):
    with pytest.raises(DomainError) as error:
        user_suspend(user=worker, by=moderator, reason="  ")
    assert error.value.code == "reason_required"
    user_suspend(user=worker, by=moderator, reason="Fake proofs")
    with pytest.raises(DomainError) as error:
        user_reinstate(user=worker, by=moderator, reason="")
    assert error.value.code == "reason_required" and is_suspended(worker)


def test_suspending_twice_or_reinstating_nobody_is_refused(worker, moderator):
    user_suspend(user=worker, by=moderator, reason="One")
    with pytest.raises(DomainError) as error:
        user_suspend(user=worker, by=moderator, reason="Two")
    assert error.value.code == "already_suspended"
    user_reinstate(user=worker, by=moderator, reason="Fine")
    with pytest.raises(DomainError) as error:
        user_reinstate(user=worker, by=moderator, reason="Fine again")
    assert error.value.code == "not_suspended"
    assert ModerationAction.objects.count() == 2


def test_the_database_allows_one_active_suspension_per_user(worker, moderator):
    from django.db import IntegrityError, transaction

    Suspension.objects.create(user=worker, by=moderator, reason="One")
    with pytest.raises(IntegrityError), transaction.atomic():
        Suspension.objects.create(user=worker, by=moderator, reason="Two")


@pytest.mark.django_db(transaction=True)
def test_two_moderators_suspending_at_once_make_one_suspension(worker, moderator):
    second = another_moderator()
    results = run_together(
        2, lambda i: user_suspend(user=worker, by=(moderator, second)[i], reason=f"By {i}")
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and errors[0].code == "already_suspended", results
    assert Suspension.objects.filter(user=worker).count() == 1
    assert ModerationAction.objects.filter(action="user.suspend").count() == 1


# --- what a suspension does to a worker -----------------------------------------------------


def test_a_suspended_worker_cannot_claim_and_sees_an_empty_feed(employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    assert [c.pk for c in feed(worker=worker)] == [campaign.pk]
    user_suspend(user=worker, by=moderator, reason="Fake proofs")

    with pytest.raises(DomainError) as error:
        task_claim(campaign=campaign, worker=worker)
    assert (error.value.code, error.value.status) == ("account_suspended", 403)
    assert list(feed(worker=worker)) == []
    assert not campaign.assignments.exists()

    user_reinstate(user=worker, by=moderator, reason="Appeal accepted")
    assert task_claim(campaign=campaign, worker=worker).worker == worker


# --- what a suspension does to an employer --------------------------------------------------


def test_suspending_an_employer_pauses_their_active_campaigns_as_the_moderator(employer, moderator):
    live = active_campaign(employer, moderator, title="Live")
    paused = campaign_pause(
        campaign=active_campaign(employer, moderator, title="Paused"), by=employer
    )
    other = active_campaign(UserFactory(), moderator, title="Someone else's")

    user_suspend(user=employer, by=moderator, reason="Scam tasks")

    live.refresh_from_db()
    other.refresh_from_db()
    assert live.status == CampaignStatus.PAUSED and other.status == CampaignStatus.ACTIVE
    event = CampaignEvent.objects.filter(campaign=live).latest("id")
    assert (event.to_status, event.actor) == ("paused", moderator)
    details = ModerationAction.objects.get(action="user.suspend").details
    assert details["paused_campaigns"] == [live.pk]
    assert paused.pk not in details["paused_campaigns"]


def test_a_suspended_employer_cannot_resume_or_launch_until_reinstated(employer, moderator):
    live = active_campaign(employer, moderator)
    give(employer, 10_000, key="draft")
    draft = campaign_create(employer=employer, spec=spec(title="Draft"))
    user_suspend(user=employer, by=moderator, reason="Scam tasks")

    for service, campaign in ((campaign_resume, live), (campaign_launch, draft)):
        with pytest.raises(DomainError) as error:
            service(campaign=campaign, by=employer)
        assert error.value.code == "account_suspended"
        campaign.refresh_from_db()
    assert (live.status, draft.status) == ("paused", "draft")

    user_reinstate(user=employer, by=moderator, reason="Cleared")
    live.refresh_from_db()
    assert live.status == CampaignStatus.PAUSED  # stays paused: the employer decides
    assert campaign_resume(campaign=live, by=employer).status == CampaignStatus.ACTIVE
    assert campaign_launch(campaign=draft, by=employer).status == CampaignStatus.IN_REVIEW


def test_a_suspended_employers_campaign_in_review_cannot_be_approved(employer, moderator):
    give(employer, 10_000)
    campaign = campaign_launch(
        campaign=campaign_create(employer=employer, spec=spec()), by=employer
    )
    user_suspend(user=employer, by=moderator, reason="Scam tasks")
    with pytest.raises(DomainError) as error:
        campaign_moderate(campaign=campaign, by=moderator, approve=True)
    assert error.value.code == "employer_suspended"
    rejected = campaign_moderate(campaign=campaign, by=moderator, approve=False, reason="Scam")
    assert rejected.status == CampaignStatus.REJECTED


def test_only_a_moderator_pauses_someone_elses_campaign(employer, outsider, moderator):
    campaign = active_campaign(employer, moderator)
    with pytest.raises(DomainError) as error:
        campaign_pause(campaign=campaign, by=outsider, as_moderator=True)
    assert error.value.code == "permission_denied"
    with pytest.raises(DomainError):
        campaign_pause(campaign=campaign, by=moderator)  # without the keyword: owner only
    assert campaign_pause(campaign=campaign, by=moderator, as_moderator=True).status == "paused"


# --- money is frozen, never taken -----------------------------------------------------------


def bkash(user):
    return payout_method_add(user=user, kind="bkash", destination="01712345678", label="")


def test_a_suspension_keeps_the_balance_and_refuses_withdrawals_until_reinstated(worker, moderator):
    give(worker, 1_000)
    method = bkash(worker)
    before = balances_of(worker)
    user_suspend(user=worker, by=moderator, reason="Fake proofs")

    assert balances_of(worker) == before
    with refused("account_suspended") as error:
        payout_request(user=worker, method=method, amount_cents=500)
    assert error.value.code == "account_suspended"
    assert not Payout.objects.exists() and balances_of(worker) == before

    user_reinstate(user=worker, by=moderator, reason="Appeal accepted")
    payout = payout_request(user=worker, method=method, amount_cents=500)
    assert payout.status == PayoutStatus.REQUESTED
    assert balances_of(worker).available_cents == before.available_cents - 500


def test_a_manual_payout_waits_while_its_worker_is_suspended(worker, moderator):
    give(worker, 1_000)
    payout = payout_request(user=worker, method=bkash(worker), amount_cents=500)
    user_suspend(user=worker, by=moderator, reason="Fake proofs")

    with refused("account_suspended"):
        payout_mark_paid(payout=payout, reference="TRX1", by=moderator)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REQUESTED
    assert balances_of(worker).payout_cents == 500  # still the worker's, reserved

    user_reinstate(user=worker, by=moderator, reason="Cleared")
    assert payout_mark_paid(payout=payout, reference="TRX1", by=moderator).status == "paid"
    assert ledger_violations() == []


def test_a_rejected_manual_payout_of_a_suspended_worker_goes_back_to_their_wallet(
    worker, moderator
):
    give(worker, 1_000)
    payout = payout_request(user=worker, method=bkash(worker), amount_cents=500)
    user_suspend(user=worker, by=moderator, reason="Fake proofs")
    payout_reject(payout=payout, reason="Account under review", by=moderator)
    assert balances_of(worker).available_cents == 1_000


def test_the_jobs_hold_a_suspended_workers_stripe_payout_and_send_it_after(
    worker, moderator, settings, monkeypatch
):
    settings.PAYMENTS_PROVIDER = "sandbox"
    monkeypatch.setattr(jobs.payout_send_job, "delay", lambda payout_id: None)
    give(worker, 1_000)
    method = payout_method_add(user=worker, kind="stripe", destination="acct_1Kaaj2W", label="")
    payout = payout_request(user=worker, method=method, amount_cents=500)
    user_suspend(user=worker, by=moderator, reason="Fake proofs")

    assert jobs.payout_send_job(payout.pk) == "skipped"
    assert jobs.payouts_send_requested_job() == 0
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REQUESTED

    user_reinstate(user=worker, by=moderator, reason="Cleared")
    assert jobs.payouts_send_requested_job() == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
