"""The work loop's services emit webhook events to the campaign's employer, and only when
somebody listens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks import services
from tasks.models import Assignment
from webhooks.models import Delivery
from webhooks.services import webhook_emit
from workers.claims import task_claim

from ..tasks.helpers import active_campaign, spec
from .helpers import endpoint_for

pytestmark = pytest.mark.django_db


def events_of(endpoint) -> list[str]:
    return list(endpoint.deliveries.order_by("id").values_list("event", flat=True))


def payload_of(endpoint, event):
    return endpoint.deliveries.get(event=event).payload


def submitted(campaign, worker):
    assignment = task_claim(campaign=campaign, worker=worker)
    services.assignment_submit(
        assignment=assignment, worker=worker, answers={"username": "karim"}, files={}
    )
    assignment.refresh_from_db()
    return assignment


def test_submit_and_approve_reach_the_employer_with_the_assignment(
    employer, worker, outsider, moderator
):
    mine = endpoint_for(employer)
    theirs = endpoint_for(outsider)
    campaign = active_campaign(employer, moderator)
    assignment = submitted(campaign, worker)
    services.submission_approve(assignment=assignment, by=employer)

    assert events_of(mine) == ["campaign.approved", "assignment.submitted", "assignment.approved"]
    assert events_of(theirs) == []
    sent = payload_of(mine, "assignment.submitted")
    assert sent["type"] == "assignment.submitted" and sent["id"] and sent["created"]
    assert sent["data"]["assignment"] == {
        "id": assignment.pk,
        "status": "submitted",
        "campaign": campaign.pk,
        "task": assignment.task_id,
        "worker": worker.pk,
        "submitted_at": assignment.submitted_at.isoformat(),
        "reviewed_at": None,
        "review_reason": "",
        "answers": {"username": "karim"},
        "check_task": False,
    }
    approved = payload_of(mine, "assignment.approved")["data"]["assignment"]
    assert approved["status"] == "approved" and approved["answers"] == {"username": "karim"}
    assert approved["reviewed_at"] is not None


def test_reject_and_revision_requests_are_emitted_with_the_reason(employer, worker, moderator):
    endpoint = endpoint_for(employer)
    campaign = active_campaign(employer, moderator, max_tasks_per_worker=2)
    first, second = submitted(campaign, worker), submitted(campaign, worker)
    services.submission_reject(assignment=first, by=employer, reason="Wrong username")
    services.submission_request_revision(assignment=second, by=employer, reason="Add a link")

    rejected = payload_of(endpoint, "assignment.rejected")["data"]["assignment"]
    assert (rejected["id"], rejected["status"]) == (first.pk, "rejected")
    assert rejected["review_reason"] == "Wrong username"
    revision = payload_of(endpoint, "assignment.revision_requested")["data"]["assignment"]
    assert (revision["id"], revision["status"]) == (second.pk, "revision_requested")


def test_campaign_approval_and_rejection_are_emitted(employer, moderator):
    endpoint = endpoint_for(employer)
    approved = active_campaign(employer, moderator)
    refused = services.campaign_launch(
        campaign=services.campaign_create(employer=employer, spec=spec(title="Another")),
        by=employer,
    )
    services.campaign_moderate(campaign=refused, by=moderator, approve=False, reason="Spam")

    assert payload_of(endpoint, "campaign.approved")["data"] == {
        "campaign": {
            "id": approved.pk,
            "title": approved.title,
            "status": "active",
            "decision_reason": "",
        }
    }
    assert payload_of(endpoint, "campaign.rejected")["data"]["campaign"] == {
        "id": refused.pk,
        "title": "Another",
        "status": "rejected",
        "decision_reason": "Spam",
    }


def test_completion_and_expiry_by_the_clock_are_emitted(employer, worker, moderator):
    endpoint = endpoint_for(employer, events=["campaign.completed", "campaign.expired"])
    done = active_campaign(employer, moderator, positions=1)
    services.submission_approve(assignment=submitted(done, worker), by=employer)
    ending = active_campaign(
        employer, moderator, title="Ends soon", ends_at=timezone.now() + timedelta(days=1)
    )
    assert services.campaigns_complete_due() == 1
    assert services.campaigns_expire_due(now=timezone.now() + timedelta(days=2)) == 1

    assert events_of(endpoint) == ["campaign.completed", "campaign.expired"]
    assert payload_of(endpoint, "campaign.completed")["data"]["campaign"]["id"] == done.pk
    assert payload_of(endpoint, "campaign.expired")["data"]["campaign"]["status"] == "expired"
    assert payload_of(endpoint, "campaign.expired")["data"]["campaign"]["id"] == ending.pk


def test_auto_approval_emits_one_event_per_assignment_to_its_employer(
    employer, outsider, worker, moderator
):
    campaign = active_campaign(employer, moderator, max_tasks_per_worker=3)
    others = active_campaign(outsider, moderator, title="Other employer")
    mine = [submitted(campaign, worker) for _ in range(3)]
    theirs = submitted(others, worker)
    endpoint = endpoint_for(employer, events=["assignment.approved"])

    later = timezone.now() + timedelta(days=4)
    assert services.submissions_auto_approve_due(now=later) == 4
    approved = endpoint.deliveries.filter(event="assignment.approved")
    assert sorted(d.payload["data"]["assignment"]["id"] for d in approved) == [a.pk for a in mine]
    assert all(d.payload["data"]["assignment"]["status"] == "approved" for d in approved)
    assert not Delivery.objects.filter(payload__data__assignment__id=theirs.pk).exists()


def test_auto_approval_queries_do_not_grow_with_the_batch(
    employer, worker, moderator, django_assert_num_queries
):
    """The webhook part of a batch: one query for endpoints, two for the data, one insert."""
    from webhooks.payloads import assignment_events
    from webhooks.services import webhook_emit_many

    campaign = active_campaign(employer, moderator, max_tasks_per_worker=3)
    ids = [submitted(campaign, worker).pk for _ in range(3)]
    batch = list(Assignment.objects.select_related("campaign").filter(pk__in=ids))
    endpoint_for(employer)
    with django_assert_num_queries(4):
        webhook_emit_many(events=assignment_events(batch, "assignment.approved"))
    assert Delivery.objects.filter(event="assignment.approved").count() == 3


def test_without_endpoints_emitting_costs_one_query_and_records_nothing(
    employer, outsider, django_assert_num_queries
):
    endpoint_for(outsider)
    endpoint_for(employer, is_active=False)
    built = []
    with django_assert_num_queries(1):
        webhook_emit(
            employer=employer, event="assignment.submitted", data=lambda: built.append(1) or {}
        )
    assert built == [] and not Delivery.objects.exists()


def test_only_subscribed_endpoints_get_an_event_and_all_share_its_id(employer):
    everything = endpoint_for(employer, url="https://a.example.com/hook")
    approvals = endpoint_for(
        employer, url="https://b.example.com/hook", events=["assignment.approved"]
    )
    campaigns = endpoint_for(
        employer, url="https://c.example.com/hook", events=["campaign.completed"]
    )
    webhook_emit(employer=employer, event="assignment.approved", data={"x": 1})
    assert events_of(everything) == events_of(approvals) == ["assignment.approved"]
    assert events_of(campaigns) == []
    assert len(set(Delivery.objects.values_list("event_id", flat=True))) == 1


def test_an_emitted_event_rolls_back_with_its_transaction(employer):
    from django.db import transaction

    endpoint_for(employer)
    with pytest.raises(RuntimeError), transaction.atomic():
        webhook_emit(employer=employer, event="campaign.completed", data={})
        raise RuntimeError
    assert not Delivery.objects.exists()
