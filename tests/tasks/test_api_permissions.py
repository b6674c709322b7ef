"""Who may call each work-loop endpoint: the owner, another employer, the worker, a
moderator, and anonymous clients. Objects a user may not see answer 404 (their existence
never leaks); anonymous callers get 401; moderator-only endpoints 403 for everybody else.
A refused call changes nothing."""

from types import SimpleNamespace

import pytest

from accounts.models import User
from accounts.services import moderator_grant
from tasks.models import Assignment, Campaign
from tasks.services import campaign_create, campaign_launch
from workers.claims import task_claim

from ..factories import UserFactory, two_step_on
from ..module_db import module_transaction
from .api_helpers import SHOT_FIELDS, campaign_body, submitted
from .helpers import active_campaign, spec

pytestmark = pytest.mark.django_db

API = "/api/v1"
ROLES = ["owner", "other_employer", "worker", "moderator", "anonymous"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The owner's campaigns in several states; the worker's submitted proof (with a
    screenshot) on one, and an open claim on another. Built once for the module (the
    matrix has over a hundred cases); each case runs in a savepoint rolled back after it,
    and only ids are kept here, so no case sees another's writes."""
    with module_transaction(django_db_blocker):
        employer = UserFactory(email="employer@example.com", display_name="Rahim Traders")
        worker = UserFactory(email="worker@example.com", display_name="Karim")
        outsider = UserFactory(email="outsider@example.com", display_name="Someone Else")
        moderator = two_step_on(moderator_grant(user=UserFactory(email="moderator@example.com")))
        active = active_campaign(employer, moderator, title="Active", proof_fields=SHOT_FIELDS)
        proof = submitted(employer, worker, moderator, campaign=active, shot=1)
        other = active_campaign(employer, moderator, title="Other")
        claim = task_claim(campaign=other, worker=worker)
        draft = campaign_create(employer=employer, spec=spec(title="Draft"))
        review = campaign_launch(
            campaign=campaign_create(employer=employer, spec=spec(title="Review")), by=employer
        )
        shot = proof.submissions.get().screenshots.get()
        yield SimpleNamespace(
            users={
                "owner": employer.pk,
                "other_employer": outsider.pk,
                "worker": worker.pk,
                "moderator": moderator.pk,
            },
            active=active.pk,
            draft=draft.pk,
            review=review.pk,
            proof=proof.pk,
            claim=claim.pk,
            shot=shot.pk,
        )


@pytest.fixture
def client_as(api_client, api_as, world):
    def login(role):
        if role == "anonymous":
            return api_client
        return api_as(User.objects.get(pk=world.users[role]))

    return login


def expect(owner, other_employer, worker, moderator, anonymous=401):
    return {
        "owner": owner,
        "other_employer": other_employer,
        "worker": worker,
        "moderator": moderator,
        "anonymous": anonymous,
    }


# (method, path with {names} from the world, body, expected status per role)
ENDPOINTS = {
    "categories": ("get", "categories/", None, expect(200, 200, 200, 200, anonymous=200)),
    "campaign list": ("get", "campaigns/", None, expect(200, 200, 200, 200)),
    "campaign create": ("post", "campaigns/", campaign_body(), expect(201, 201, 201, 201)),
    "campaign read": ("get", "campaigns/{draft}/", None, expect(200, 404, 404, 404)),
    "campaign edit": (
        "patch",
        "campaigns/{draft}/",
        {"title": "Renamed"},
        expect(200, 404, 404, 404),
    ),
    "launch": ("post", "campaigns/{draft}/launch/", None, expect(200, 404, 404, 404)),
    "pause": ("post", "campaigns/{active}/pause/", None, expect(200, 404, 404, 404)),
    # The owner passes the permission check and meets the lifecycle: an active campaign
    # cannot be resumed.
    "resume": ("post", "campaigns/{active}/resume/", None, expect(409, 404, 404, 404)),
    "cancel": ("post", "campaigns/{active}/cancel/", None, expect(200, 404, 404, 404)),
    "add positions": (
        "post",
        "campaigns/{active}/add-positions/",
        {"count": 1},
        expect(200, 404, 404, 404),
    ),
    "review queue": ("get", "campaigns/{active}/assignments/", None, expect(200, 404, 404, 404)),
    # Anybody may claim from a live campaign but its owner; the worker already did (cap 1).
    "claim": ("post", "campaigns/{active}/claim/", None, expect(403, 201, 409, 201)),
    "claim a draft": ("post", "campaigns/{draft}/claim/", None, expect(409, 404, 404, 404)),
    "feed": ("get", "feed/", None, expect(200, 200, 200, 200)),
    "my assignments": ("get", "assignments/", None, expect(200, 200, 200, 200)),
    "submit": (
        "post",
        "assignments/{claim}/submit/",
        {"answers": {"username": "karim"}},
        expect(404, 404, 200, 404),
    ),
    "release": ("post", "assignments/{claim}/release/", None, expect(404, 404, 200, 404)),
    "approve": ("post", "assignments/{proof}/approve/", None, expect(200, 404, 404, 404)),
    "reject": (
        "post",
        "assignments/{proof}/reject/",
        {"reason": "Wrong"},
        expect(200, 404, 404, 404),
    ),
    "request revision": (
        "post",
        "assignments/{proof}/request-revision/",
        {"reason": "Blurry"},
        expect(200, 404, 404, 404),
    ),
    "bulk review": (
        "post",
        "assignments/bulk-review/",
        {"ids": ["{proof}"], "action": "approve"},
        expect(200, 200, 200, 200),
    ),
    "screenshot": ("get", "screenshots/{shot}/", None, expect(200, 404, 200, 200)),
    "moderation queue": ("get", "moderation/campaigns/", None, expect(403, 403, 403, 200)),
    "moderation approve": (
        "post",
        "moderation/campaigns/{review}/approve/",
        None,
        expect(403, 403, 403, 200),
    ),
    "moderation reject": (
        "post",
        "moderation/campaigns/{review}/reject/",
        {"reason": "Spam"},
        expect(403, 403, 403, 200),
    ),
}


def _fill(value, world):
    names = vars(world)
    if isinstance(value, str):
        return int(value.format(**names)) if value.startswith("{") else value.format(**names)
    if isinstance(value, list):
        return [_fill(item, world) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, world) for key, item in value.items()}
    return value


def _state():
    return (
        sorted(Campaign.objects.values_list("pk", "status", "title", "positions")),
        sorted(Assignment.objects.values_list("pk", "status")),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_each_endpoint_answers_each_role(endpoint, role, world, client_as):
    method, path, body, expected = ENDPOINTS[endpoint]
    url = f"{API}/{_fill(path, world)}"
    before = _state()
    response = getattr(client_as(role), method)(url, _fill(body, world), format="json")
    assert response.status_code == expected[role], getattr(response, "data", response)
    if response.status_code >= 400:
        assert response.json()["code"] and response.json()["detail"]
        assert _state() == before  # a refusal changes nothing


def test_bulk_review_of_somebody_elses_work_changes_nothing(world, client_as):
    for role in ("other_employer", "worker", "moderator"):
        response = client_as(role).post(
            f"{API}/assignments/bulk-review/", {"ids": [world.proof], "action": "approve"}
        )
        assert response.json() == {"results": [{"id": world.proof, "result": "not_found"}]}
    assert Assignment.objects.get(pk=world.proof).status == "submitted"


def test_lists_hold_only_the_callers_own_rows(world, client_as):
    owners = {c["id"] for c in client_as("owner").get(f"{API}/campaigns/").json()["results"]}
    assert {world.active, world.draft, world.review} <= owners
    assert client_as("other_employer").get(f"{API}/campaigns/").json()["results"] == []
    mine = {a["id"] for a in client_as("worker").get(f"{API}/assignments/").json()["results"]}
    assert mine == {world.proof, world.claim}
    assert client_as("owner").get(f"{API}/assignments/").json()["results"] == []


def test_the_worker_never_finds_the_owners_drafts_in_the_feed(world, client_as):
    ids = {c["id"] for c in client_as("other_employer").get(f"{API}/feed/").json()["results"]}
    assert world.active in ids
    assert world.draft not in ids and world.review not in ids
