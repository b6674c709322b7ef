"""The moderation API: suspend, reinstate, the audit log; and the codes a suspended user
meets elsewhere in the API."""

from __future__ import annotations

import pytest

from accounts.models import ModerationAction, Suspension
from accounts.selectors import is_suspended
from accounts.services import audit_record
from moderation.services import user_suspend
from payments.services import payout_method_add
from tests.factories import UserFactory

from ..payments.helpers import give
from ..tasks.helpers import active_campaign
from .helpers import another_moderator

pytestmark = pytest.mark.django_db

API = "/api/v1"


def suspend_url(user) -> str:
    return f"{API}/moderation/users/{user.pk}/suspend/"


def reinstate_url(user) -> str:
    return f"{API}/moderation/users/{user.pk}/reinstate/"


def test_a_moderator_suspends_and_reinstates_through_the_api(api_as, worker, moderator):
    client = api_as(moderator)
    response = client.post(suspend_url(worker), {"reason": "Fake proofs"})
    assert response.status_code == 201
    body = response.json()
    assert (body["user"], body["active"], body["reason"], body["by"]) == (
        worker.pk,
        True,
        "Fake proofs",
        moderator.pk,
    )
    assert is_suspended(worker)

    response = client.post(reinstate_url(worker), {"reason": "Appeal accepted"})
    assert response.status_code == 200
    assert response.json()["active"] is False and response.json()["lifted_by"] == moderator.pk
    assert not is_suspended(worker)


@pytest.mark.parametrize(
    ("target", "url", "reason", "status", "code"),
    [
        ("worker", suspend_url, "", 400, "reason_required"),
        ("second", suspend_url, "Because", 403, "cannot_suspend_moderator"),
        ("moderator", suspend_url, "Because", 403, "own_case"),
        ("suspended", suspend_url, "Again", 409, "already_suspended"),
        ("worker", reinstate_url, "Nothing to lift", 409, "not_suspended"),
    ],
)
def test_api_sanction_errors_have_clear_codes(
    api_as, worker, outsider, moderator, target, url, reason, status, code
):
    user_suspend(user=outsider, by=moderator, reason="Earlier")
    users = {"worker": worker, "moderator": moderator, "suspended": outsider}
    users["second"] = another_moderator()
    response = api_as(moderator).post(url(users[target]), {"reason": reason})
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["detail"]
    assert Suspension.objects.count() == 1


def test_an_unknown_user_is_404(api_as, moderator):
    response = api_as(moderator).post(f"{API}/moderation/users/999999/suspend/", {"reason": "x"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("who", ["worker", "employer"])
def test_only_moderators_use_the_moderation_api(request, api_as, outsider, who):
    client = api_as(request.getfixturevalue(who))
    for url in (suspend_url(outsider), reinstate_url(outsider)):
        response = client.post(url, {"reason": "I do not like them"})
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert client.get(f"{API}/moderation/audit/").status_code == 403
    assert not Suspension.objects.exists()


def test_the_moderation_api_needs_a_login(api_client, outsider):
    response = api_client.post(suspend_url(outsider), {"reason": "x"})
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert api_client.get(f"{API}/moderation/audit/").status_code == 401


def test_the_audit_api_lists_newest_first_with_filters(
    api_as, worker, moderator, django_assert_max_num_queries
):
    second = another_moderator()
    karim = UserFactory(email="karim@example.com")
    audit_record(actor=moderator, action="user.suspend", target=karim, reason="Fakes")
    audit_record(actor=second, action="wallet.adjust", target=worker, details={"amount_cents": 5})
    client = api_as(moderator)

    # token, moderator group, two-step sign-in, count, page (all joined)
    with django_assert_max_num_queries(5):
        body = client.get(f"{API}/moderation/audit/").json()
    assert body["count"] == 2 and "next" in body and "previous" in body
    first = body["results"][0]
    assert first["action"] == "wallet.adjust"
    assert first["actor"] == {"id": second.pk, "email": second.email}
    assert first["target"] == {"type": "accounts.user", "id": str(worker.pk), "repr": worker.email}
    assert first["details"] == {"amount_cents": 5} and first["created_at"]

    def actions(**query):
        results = client.get(f"{API}/moderation/audit/", query).json()["results"]
        return [row["action"] for row in results]

    assert actions(action="user.suspend") == ["user.suspend"]
    assert actions(moderator=second.pk) == ["wallet.adjust"]
    assert actions(target="karim") == ["user.suspend"]
    assert actions(moderator="nonsense") == ["wallet.adjust", "user.suspend"]


def test_the_audit_api_query_count_does_not_grow(api_as, moderator, django_assert_max_num_queries):
    client = api_as(moderator)
    for _ in range(15):
        audit_record(actor=moderator, action="user.suspend", target=UserFactory())
    with django_assert_max_num_queries(5):  # token, moderator group, two-step, count, page
        body = client.get(f"{API}/moderation/audit/").json()
    assert len(body["results"]) == 15
    assert ModerationAction.objects.count() == 15


# --- what a suspended user meets in the rest of the API -------------------------------------


def test_a_suspended_worker_gets_account_suspended_on_claim_and_an_empty_feed(
    api_as, employer, worker, moderator
):
    campaign = active_campaign(employer, moderator)
    user_suspend(user=worker, by=moderator, reason="Fakes")
    client = api_as(worker)
    response = client.post(f"{API}/campaigns/{campaign.pk}/claim/")
    assert response.status_code == 403 and response.json()["code"] == "account_suspended"
    assert client.get(f"{API}/feed/").json()["results"] == []


def test_a_suspended_employer_gets_account_suspended_on_resume(api_as, employer, moderator):
    campaign = active_campaign(employer, moderator)
    user_suspend(user=employer, by=moderator, reason="Scam")
    response = api_as(employer).post(f"{API}/campaigns/{campaign.pk}/resume/")
    assert response.status_code == 403 and response.json()["code"] == "account_suspended"


def test_a_suspended_worker_gets_account_suspended_on_withdrawal(api_as, worker, moderator):
    give(worker, 1_000)
    method = payout_method_add(user=worker, kind="bkash", destination="01712345678", label="")
    user_suspend(user=worker, by=moderator, reason="Fakes")
    response = api_as(worker).post(f"{API}/payouts/", {"amount_cents": 500, "method": method.pk})
    assert response.status_code == 403 and response.json()["code"] == "account_suspended"
