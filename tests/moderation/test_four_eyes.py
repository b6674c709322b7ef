"""Four eyes: no moderator decides their own case.

Every moderator action is tried by a moderator on their own case — their wallet, their bKash
payout, their campaign, a dispute they are party to (as worker or as employer), their own
account — through the service, the API and the page: each is refused (``OwnCase``; 403
``own_case``; a message on the page) and nothing changes (balances, statuses, ledger, audit
log). Another moderator may take the very same action, so the rule is no blanket ban.

The world (users, campaigns, payouts, disputes) is built once for the module inside one
transaction that is rolled back at the end; each test runs in a savepoint within it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ModerationAction, Suspension, User
from accounts.permissions import OwnCase
from accounts.services import moderator_grant
from moderation.services import user_reinstate, user_suspend
from payments.models import Account, Movement, Payout, PayoutEvent
from payments.selectors import ledger_violations
from payments.services import (
    adjustment_post,
    payout_mark_paid,
    payout_method_add,
    payout_reject,
    payout_request,
)
from tasks import services as tasks_services
from tasks.categories import categories_ensure
from tasks.models import Assignment, Campaign, CampaignEvent, Dispute
from tasks.services.disputes import dispute_resolve

from ..factories import UserFactory, two_step_on
from ..payments.helpers import give
from ..tasks.dispute_helpers import disputed
from ..tasks.helpers import spec

pytestmark = pytest.mark.django_db

API = "/api/v1"
NOT_YOURS = "another moderator must do it"
NOT_YOUR_ACCOUNT = "cannot act on your own account"


@dataclass
class World:
    moderator: User  # the one who tries their own cases
    other: User  # a second moderator, for whom none of these cases is their own
    employer: User
    worker: User
    payout: Payout  # the moderator's own bKash withdrawal, requested
    in_review: Campaign  # the moderator's own campaign, waiting for review
    live: Campaign  # the moderator's own campaign, active
    dispute_as_employer: Dispute  # a worker disputes the moderator's rejection
    dispute_as_worker: Dispute  # the moderator disputes an employer's rejection


def _build() -> World:
    moderator = two_step_on(moderator_grant(user=UserFactory(email="four.eyes@example.com")))
    other = two_step_on(moderator_grant(user=UserFactory(email="other.eyes@example.com")))
    employer = UserFactory(email="eyes.employer@example.com")
    worker = UserFactory(email="eyes.worker@example.com")
    give(moderator, 1_000, key="four-eyes")
    method = payout_method_add(user=moderator, kind="bkash", destination="01712345678", label="")
    payout = payout_request(user=moderator, method=method, amount_cents=600)
    give(moderator, 10_000, key="review")
    in_review = tasks_services.campaign_launch(
        campaign=tasks_services.campaign_create(
            employer=moderator, spec=spec(title="The moderator's own campaign")
        ),
        by=moderator,
    )
    as_employer = disputed(moderator, worker, other, title="The moderator employs")
    as_worker = disputed(employer, moderator, other, title="The moderator works")
    return World(
        moderator=moderator,
        other=other,
        employer=employer,
        worker=worker,
        payout=payout,
        in_review=in_review,
        live=as_employer.assignment.campaign,
        dispute_as_employer=as_employer,
        dispute_as_worker=as_worker,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        categories_ensure()
        ContentType.objects.clear_cache()
        built = _build()
        yield built
        transaction.set_rollback(True)


def state() -> tuple:
    """Everything a moderator action could change."""
    return (
        dict(Account.objects.values_list("key", "balance")),
        Movement.objects.count(),
        ModerationAction.objects.count(),
        Suspension.objects.count(),
        dict(Payout.objects.values_list("pk", "status")),
        PayoutEvent.objects.count(),
        dict(Campaign.objects.values_list("pk", "status")),
        CampaignEvent.objects.count(),
        dict(Dispute.objects.values_list("pk", "status")),
        dict(Assignment.objects.values_list("pk", "status")),
    )


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no cached is_moderator from an earlier test


# --- the actions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One moderator action on the moderator's own case: ``call(world, by)`` through the
    service; ``api(world)`` the request (path, body), None when there is no API for it;
    ``page(world)`` the form post (path, body); ``says`` what the page says."""

    call: Callable[[World, User], object]
    api: Callable[[World], tuple[str, dict]] | None
    page: Callable[[World], tuple[str, dict]]
    says: str = NOT_YOURS


def _adjustment_form(w: World) -> tuple[str, dict]:
    body = {
        "email": w.moderator.email,
        "amount": "100.00",
        "reason": "A bonus for me",
        "request_id": str(uuid.uuid4()),
    }
    return reverse("moderation:adjustments"), body


ACTIONS = {
    "adjust own wallet": Action(
        call=lambda w, by: adjustment_post(
            user=w.moderator,
            amount_cents=10_000,
            reason="A bonus for me",
            by=by,
            request_id=uuid.uuid4(),
        ),
        api=None,  # adjustments have no API
        page=_adjustment_form,
    ),
    "mark own payout paid": Action(
        call=lambda w, by: payout_mark_paid(payout=w.payout, reference="BK-7731", by=by),
        api=lambda w: (
            f"{API}/moderation/payouts/{w.payout.pk}/mark-paid/",
            {"reference": "BK-7731"},
        ),
        page=lambda w: (
            reverse("moderation:payout_mark_paid", args=[w.payout.pk]),
            {"reference": "BK-7731"},
        ),
    ),
    "reject own payout": Action(
        call=lambda w, by: payout_reject(payout=w.payout, reason="Wrong number", by=by),
        api=lambda w: (
            f"{API}/moderation/payouts/{w.payout.pk}/reject/",
            {"reason": "Wrong number"},
        ),
        page=lambda w: (
            reverse("moderation:payout_reject", args=[w.payout.pk]),
            {"reason": "Wrong number"},
        ),
    ),
    "approve own campaign": Action(
        call=lambda w, by: tasks_services.campaign_moderate(
            campaign=w.in_review, by=by, approve=True
        ),
        api=lambda w: (f"{API}/moderation/campaigns/{w.in_review.pk}/approve/", {"reason": ""}),
        page=lambda w: (
            reverse("moderation:campaign_moderate", args=[w.in_review.pk]),
            {"action": "approve", "reason": ""},
        ),
    ),
    "reject own campaign": Action(
        call=lambda w, by: tasks_services.campaign_moderate(
            campaign=w.in_review, by=by, approve=False, reason="Not mine to judge"
        ),
        api=lambda w: (
            f"{API}/moderation/campaigns/{w.in_review.pk}/reject/",
            {"reason": "Not mine to judge"},
        ),
        page=lambda w: (
            reverse("moderation:campaign_moderate", args=[w.in_review.pk]),
            {"action": "reject", "reason": "Not mine to judge"},
        ),
    ),
    "decide a dispute as its employer": Action(
        call=lambda w, by: dispute_resolve(
            dispute=w.dispute_as_employer, by=by, outcome="employer", reason="I was right."
        ),
        api=lambda w: (
            f"{API}/moderation/disputes/{w.dispute_as_employer.pk}/resolve/",
            {"outcome": "employer", "reason": "I was right."},
        ),
        page=lambda w: (
            reverse("moderation:dispute_resolve", args=[w.dispute_as_employer.pk]),
            {"outcome": "employer", "reason": "I was right."},
        ),
    ),
    "decide a dispute as its worker": Action(
        call=lambda w, by: dispute_resolve(
            dispute=w.dispute_as_worker, by=by, outcome="worker", reason="I did the work."
        ),
        api=lambda w: (
            f"{API}/moderation/disputes/{w.dispute_as_worker.pk}/resolve/",
            {"outcome": "worker", "reason": "I did the work."},
        ),
        page=lambda w: (
            reverse("moderation:dispute_resolve", args=[w.dispute_as_worker.pk]),
            {"outcome": "worker", "reason": "I did the work."},
        ),
    ),
    "suspend own account": Action(
        call=lambda w, by: user_suspend(user=w.moderator, by=by, reason="Testing"),
        api=lambda w: (f"{API}/moderation/users/{w.moderator.pk}/suspend/", {"reason": "Test"}),
        page=lambda w: (
            reverse("moderation:user_suspend", args=[w.moderator.pk]),
            {"reason": "Testing"},
        ),
        says=NOT_YOUR_ACCOUNT,
    ),
    "reinstate own account": Action(
        call=lambda w, by: user_reinstate(user=w.moderator, by=by, reason="Testing"),
        api=lambda w: (f"{API}/moderation/users/{w.moderator.pk}/reinstate/", {"reason": "T"}),
        page=lambda w: (
            reverse("moderation:user_reinstate", args=[w.moderator.pk]),
            {"reason": "Testing"},
        ),
        says=NOT_YOUR_ACCOUNT,
    ),
}
WITH_API = [name for name, action in ACTIONS.items() if action.api]
# What a second moderator may then do instead (a moderator cannot be suspended at all, so
# the sanctions are not among them; the sanction tests cover a moderator suspending others).
OTHERS_MAY = [name for name in ACTIONS if "account" not in name]


@pytest.mark.parametrize("name", list(ACTIONS))
def test_the_service_refuses_a_moderators_own_case_and_changes_nothing(world, name):
    before = state()
    with pytest.raises(OwnCase) as refused:
        ACTIONS[name].call(world, fresh(world.moderator))
    assert (refused.value.code, refused.value.status) == ("own_case", 403)
    assert refused.value.message
    assert state() == before
    assert ledger_violations() == []


@pytest.mark.parametrize("name", WITH_API)
def test_the_api_answers_403_own_case_and_changes_nothing(world, name):
    client = APIClient()
    client.force_authenticate(user=fresh(world.moderator))
    path, body = ACTIONS[name].api(world)
    before = state()
    response = client.post(path, body, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "own_case"
    assert ACTIONS[name].says in response.json()["detail"]
    assert state() == before


@pytest.mark.parametrize("name", list(ACTIONS))
def test_the_page_shows_why_and_changes_nothing(world, client, name):
    client.force_login(world.moderator)
    path, body = ACTIONS[name].page(world)
    before = state()
    response = client.post(path, body, follow=True)
    assert response.status_code in (200, 400)
    assert ACTIONS[name].says in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("name", OTHERS_MAY)
def test_another_moderator_may_take_the_same_action(world, name):
    before = state()
    ACTIONS[name].call(world, fresh(world.other))
    assert state() != before
    assert ledger_violations() == []


@pytest.mark.parametrize("name", [name for name in OTHERS_MAY if name in WITH_API])
def test_another_moderator_may_take_it_through_the_api(world, name):
    client = APIClient()
    client.force_authenticate(user=fresh(world.other))
    path, body = ACTIONS[name].api(world)
    assert client.post(path, body, format="json").status_code == 200


def test_a_moderator_pausing_campaigns_cannot_pause_their_own(world):
    """The pause a suspension makes (``as_moderator``) is a moderator action too."""
    before = state()
    with pytest.raises(OwnCase):
        tasks_services.campaign_pause(
            campaign=world.live, by=fresh(world.moderator), as_moderator=True
        )
    assert state() == before
    paused = tasks_services.campaign_pause(
        campaign=world.live, by=fresh(world.other), as_moderator=True
    )
    assert paused.status == "paused"


def test_the_suspensions_form_shows_the_refusal_next_to_the_email(world, client):
    client.force_login(world.moderator)
    response = client.post(
        reverse("moderation:suspensions"), {"email": world.moderator.email, "reason": "Test"}
    )
    assert response.status_code == 400
    assert NOT_YOUR_ACCOUNT in str(response.context["form"].errors["email"])
    assert not Suspension.objects.exists()


def test_the_adjustment_form_shows_the_refusal_next_to_the_email(world, client):
    client.force_login(world.moderator)
    path, body = _adjustment_form(world)
    response = client.post(path, body)
    assert response.status_code == 400
    assert NOT_YOURS in str(response.context["form"].errors["email"])
