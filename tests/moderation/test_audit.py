"""Every moderator decision leaves one audit row, committed with the decision or not at all."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from accounts.models import ModerationAction
from accounts.services import audit_record
from payments.models import PayoutMethod
from payments.services import (
    adjustment_post,
    payout_mark_paid,
    payout_method_add,
    payout_reject,
    payout_request,
)
from tasks.services import campaign_create, campaign_launch, campaign_moderate
from tests.refusals import refused

from ..payments.helpers import give
from ..tasks.helpers import spec

pytestmark = pytest.mark.django_db


def only_row():
    row = ModerationAction.objects.select_related("target_type").get()
    return row, f"{row.target_type.app_label}.{row.target_type.model}"


def in_review(employer):
    give(employer, 10_000)
    return campaign_launch(campaign=campaign_create(employer=employer, spec=spec()), by=employer)


def manual_payout(worker, amount=400):
    give(worker, 1_000, key=f"payout-{amount}")
    method = PayoutMethod.objects.filter(user=worker).first() or payout_method_add(
        user=worker, kind="bkash", destination="01712345678", label=""
    )
    return payout_request(user=worker, method=method, amount_cents=amount)


@pytest.mark.parametrize(
    ("approve", "action"), [(True, "campaign.approve"), (False, "campaign.reject")]
)
def test_a_campaign_decision_is_audited(employer, moderator, approve, action):
    campaign = in_review(employer)
    campaign_moderate(
        campaign=campaign, by=moderator, approve=approve, reason="Looks fine" if approve else "Spam"
    )
    row, kind = only_row()
    assert (row.actor, row.action, kind, row.target_id) == (
        moderator,
        action,
        "tasks.campaign",
        str(campaign.pk),
    )
    assert row.target_repr == str(campaign)
    assert row.reason == ("Looks fine" if approve else "Spam")


def test_a_refused_campaign_decision_leaves_no_row(employer, moderator):
    campaign = in_review(employer)
    campaign_moderate(campaign=campaign, by=moderator, approve=True)
    with pytest.raises(Exception):  # noqa: B017  (decided already)
        campaign_moderate(campaign=campaign, by=moderator, approve=False, reason="Too late")
    assert list(ModerationAction.objects.values_list("action", flat=True)) == ["campaign.approve"]


def test_marking_a_payout_paid_is_audited(worker, moderator):
    payout = manual_payout(worker)
    payout_mark_paid(payout=payout, reference="TRX42", by=moderator)
    row, kind = only_row()
    assert (row.actor, row.action, kind, row.target_id, row.reason) == (
        moderator,
        "payout.mark_paid",
        "payments.payout",
        str(payout.pk),
        "TRX42",
    )
    assert row.details["amount_cents"] == 400 and row.details["user"] == worker.pk


def test_rejecting_a_payout_is_audited(worker, moderator):
    payout = manual_payout(worker)
    payout_reject(payout=payout, reason="Wrong number", by=moderator)
    row, _ = only_row()
    assert (row.action, row.reason, row.target_id) == (
        "payout.reject",
        "Wrong number",
        str(payout.pk),
    )


def test_a_refused_payout_decision_leaves_no_row(worker, moderator):
    first = manual_payout(worker, 300)
    second = manual_payout(worker, 200)
    payout_mark_paid(payout=first, reference="TRX1", by=moderator)
    with refused("reference_used"):
        payout_mark_paid(payout=second, reference="TRX1", by=moderator)
    assert ModerationAction.objects.count() == 1


def test_a_wallet_adjustment_is_audited_once_per_request(worker, moderator):
    request_id = uuid.uuid4()
    for _ in range(2):  # a double submit
        adjustment_post(
            user=worker,
            amount_cents=250,
            reason="Refund of a bug",
            by=moderator,
            request_id=request_id,
        )
    row, kind = only_row()
    assert (row.actor, row.action, kind, row.target_id, row.reason) == (
        moderator,
        "wallet.adjust",
        "accounts.user",
        str(worker.pk),
        "Refund of a bug",
    )
    assert row.details["amount_cents"] == 250


def test_decisions_on_the_pages_are_audited(client, employer, worker, moderator):
    campaign = in_review(employer)
    payout = manual_payout(worker)
    client.force_login(moderator)
    client.post(
        reverse("moderation:campaign_moderate", args=[campaign.pk]),
        {"action": "reject", "reason": "Spam"},
    )
    client.post(reverse("moderation:payout_reject", args=[payout.pk]), {"reason": "Wrong"})
    client.post(reverse("moderation:user_suspend", args=[worker.pk]), {"reason": "Fake proofs"})
    assert sorted(ModerationAction.objects.values_list("action", flat=True)) == [
        "campaign.reject",
        "payout.reject",
        "user.suspend",
    ]
    assert set(ModerationAction.objects.values_list("actor", flat=True)) == {moderator.pk}


def test_decisions_through_the_api_are_audited(api_as, employer, moderator):
    campaign = in_review(employer)
    response = api_as(moderator).post(f"/api/v1/moderation/campaigns/{campaign.pk}/approve/", {})
    assert response.status_code == 200
    assert ModerationAction.objects.get().action == "campaign.approve"


def test_an_audit_row_rolls_back_with_its_transaction(worker, moderator):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=moderator, action="test.thing", target=worker)
        raise RuntimeError
    assert not ModerationAction.objects.exists()


def test_a_system_decision_has_no_actor(worker):
    row = audit_record(actor=None, action="test.thing", target=worker, details={"n": 1})
    assert row.actor is None and row.details == {"n": 1} and row.target_repr == worker.email
