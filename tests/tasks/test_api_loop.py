"""The work loop through the REST API: an employer's campaign from draft to paid work, the
error shapes clients branch on, bulk review, and the OpenAPI schema."""

import io

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from PIL import Image

from payments.selectors import balances_of, ledger_violations
from tasks.models import Assignment, AssignmentStatus, Campaign, CampaignStatus, Category
from tasks.selectors import escrow_violations
from tasks.services import verification_code
from workers.claims import task_claim

from ..payments.helpers import give
from .api_helpers import campaign_body, png, submitted
from .helpers import active_campaign

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_a_campaign_goes_from_draft_to_paid_work_through_the_api(
    api_as, employer, worker, outsider, moderator
):
    give(employer, 10_000, key="loop")
    client = api_as(employer)
    created = client.post(f"{API}/campaigns/", campaign_body(uses_verification_code=True))
    assert created.status_code == 201, created.json()
    draft = created.json()
    assert draft["status"] == "draft" and draft["fee_cents"] == 5 and draft["cost_cents"] == 110
    assert "task_inputs" not in draft

    launched = client.post(f"{API}/campaigns/{draft['id']}/launch/")
    assert launched.status_code == 200 and launched.json()["status"] == "in_review"
    assert balances_of(employer).escrow_cents == 110

    queue = api_as(moderator).get(f"{API}/moderation/campaigns/").json()["results"]
    assert [c["id"] for c in queue] == [draft["id"]]
    approved = api_as(moderator).post(f"{API}/moderation/campaigns/{draft['id']}/approve/")
    assert approved.json()["status"] == "active"

    client = api_as(worker)
    feed = client.get(f"{API}/feed/").json()["results"]
    assert [item["id"] for item in feed] == [draft["id"]]
    assert feed[0]["open_tasks"] == 2
    assert feed[0]["employer"] == {
        "id": employer.pk,
        "name": "Rahim Traders",
        "approval_rate": None,
        "average_time_to_rate_hours": None,
        "overturned_rejections": 0,
        "rating_average": None,
        "rating_count": 0,
    }

    claim = client.post(f"{API}/campaigns/{draft['id']}/claim/", REMOTE_ADDR="10.1.2.3")
    assert claim.status_code == 201
    body = claim.json()
    assert set(body) == {"id", "status", "expires_at", "campaign", "task", "verification_code"}
    assert body["status"] == "claimed" and body["campaign"] == draft["id"]
    assignment = Assignment.objects.get(pk=body["id"])
    assert assignment.client_ip == "10.1.2.3"
    assert body["verification_code"] == verification_code(
        campaign=assignment.campaign, task_id=body["task"]["id"], worker_id=worker.pk
    )

    sent = client.post(
        f"{API}/assignments/{body['id']}/submit/", {"answers": {"username": "karim"}}
    )
    assert sent.status_code == 200 and sent.json()["status"] == "submitted"

    client = api_as(employer)
    queue = client.get(f"{API}/campaigns/{draft['id']}/assignments/?status=submitted").json()
    assert queue["count"] == 1
    row = queue["results"][0]
    assert row["answers"] == {"username": "karim"} and row["screenshots"] == []
    assert row["verification_code"] is None  # the worker's alone
    revise = client.post(
        f"{API}/assignments/{body['id']}/request-revision/", {"reason": "Add the screenshot"}
    )
    assert revise.json()["status"] == "revision_requested"

    resent = api_as(worker).post(
        f"{API}/assignments/{body['id']}/submit/",
        {"username": "karim2", "screenshot": png(1)},
        format="multipart",
    )
    assert resent.status_code == 200, resent.json()
    shots = resent.json()["screenshots"]
    assert resent.json()["answers"] == {"username": "karim2"}
    assert len(shots) == 1 and shots[0]["key"] == "screenshot"
    assert "/media/" not in shots[0]["url"]

    client = api_as(employer)
    picture = client.get(shots[0]["url"])
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(picture.streaming_content))).size == (120, 90)

    paid = client.post(f"{API}/assignments/{body['id']}/approve/")
    assert paid.status_code == 200 and paid.json()["status"] == "approved"

    second = api_as(outsider).post(f"{API}/campaigns/{draft['id']}/claim/").json()
    api_as(outsider).post(
        f"{API}/assignments/{second['id']}/submit/", {"answers": {"username": "x"}}
    )
    rejected = api_as(employer).post(
        f"{API}/assignments/{second['id']}/reject/", {"reason": "No such user"}
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["review_reason"] == "No such user"

    assert balances_of(worker).available_cents == 50
    assert balances_of(employer).available_cents == 10_000 - 110
    assert balances_of(employer).escrow_cents == 55  # the rejected task's, until the window
    assert ledger_violations() == []
    assert escrow_violations() == []
    mine = api_as(worker).get(f"{API}/assignments/?status=approved").json()
    assert [a["id"] for a in mine["results"]] == [body["id"]]
    assert mine["results"][0]["verification_code"] == body["verification_code"]


def test_employer_pauses_resumes_adds_positions_and_cancels(api_as, employer, moderator):
    campaign = active_campaign(employer, moderator, positions=2)
    client = api_as(employer)
    assert client.post(f"{API}/campaigns/{campaign.pk}/pause/").json()["status"] == "paused"
    assert client.post(f"{API}/campaigns/{campaign.pk}/resume/").json()["status"] == "active"
    more = client.post(f"{API}/campaigns/{campaign.pk}/add-positions/", {"count": 3})
    assert more.status_code == 200
    assert more.json()["positions"] == 5 and more.json()["open_tasks"] == 5
    cancelled = client.post(f"{API}/campaigns/{campaign.pk}/cancel/")
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["open_tasks"] == 0
    assert balances_of(employer).escrow_cents == 0
    assert ledger_violations() == []


def test_editing_a_draft_keeps_what_the_patch_does_not_name(api_as, employer):
    client = api_as(employer)
    draft = client.post(f"{API}/campaigns/", campaign_body()).json()
    edited = client.patch(f"{API}/campaigns/{draft['id']}/", {"reward_cents": 80})
    assert edited.status_code == 200, edited.json()
    assert edited.json()["reward_cents"] == 80 and edited.json()["fee_cents"] == 8
    assert edited.json()["title"] == "Sign up to our newsletter"
    assert Campaign.objects.get(pk=draft["id"]).reward_cents == 80


def test_a_draft_shows_the_fee_at_todays_rate(api_as, employer):
    client = api_as(employer)
    draft = client.post(f"{API}/campaigns/", campaign_body(reward_cents=100)).json()
    with override_settings(PLATFORM_FEE_PERCENT="20"):
        preview = client.get(f"{API}/campaigns/{draft['id']}/").json()
    assert preview["fee_cents"] == 20 and preview["cost_cents"] == 240


def test_task_inputs_become_the_tasks_inputs(api_as, employer, worker, moderator):
    give(employer, 10_000, key="inputs")
    client = api_as(employer)
    rows = [{"url": "https://example.com/a"}, {"url": "https://example.com/b"}]
    draft = client.post(f"{API}/campaigns/", campaign_body(task_inputs=rows)).json()
    client.post(f"{API}/campaigns/{draft['id']}/launch/")
    api_as(moderator).post(f"{API}/moderation/campaigns/{draft['id']}/approve/")
    claim = api_as(worker).post(f"{API}/campaigns/{draft['id']}/claim/").json()
    assert claim["task"]["input"] == {"url": "https://example.com/a"}
    assert claim["verification_code"] is None


def test_categories_are_listed_in_the_readers_language(api_client):
    response = api_client.get(f"{API}/categories/", HTTP_ACCEPT_LANGUAGE="bn")
    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()}
    sign_up = Category.objects.get(slug="sign-up")
    with translation.override("bn"):
        assert rows["sign-up"]["name"] == sign_up.display_name
    assert rows["sign-up"]["min_reward_cents"] == sign_up.min_reward_cents
    assert rows["sign-up"]["proof_template"] == sign_up.proof_template
    english = api_client.get(f"{API}/categories/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert {row["slug"]: row["name"] for row in english}["sign-up"] == "Sign up to a site"


def test_moderator_rejects_a_campaign_with_a_reason_and_the_escrow_goes_back(
    api_as, employer, moderator
):
    give(employer, 1_000, key="rejected")
    draft = api_as(employer).post(f"{API}/campaigns/", campaign_body()).json()
    api_as(employer).post(f"{API}/campaigns/{draft['id']}/launch/")
    client = api_as(moderator)
    missing = client.post(f"{API}/moderation/campaigns/{draft['id']}/reject/", {})
    assert missing.status_code == 400 and missing.json()["code"] == "reason_required"
    done = client.post(f"{API}/moderation/campaigns/{draft['id']}/reject/", {"reason": "Spam"})
    assert done.json()["status"] == "rejected" and done.json()["decision_reason"] == "Spam"
    assert balances_of(employer).available_cents == 1_000
    again = client.post(f"{API}/moderation/campaigns/{draft['id']}/approve/")
    assert again.status_code == 409 and again.json()["code"] == "invalid_status"


def test_flagged_campaigns_show_their_flags_to_the_moderator(api_as, employer, moderator):
    give(employer, 1_000, key="flags")
    body = campaign_body(instructions="Sign up through a VPN from the US.")
    draft = api_as(employer).post(f"{API}/campaigns/", body).json()
    assert draft["flags"] == ["mentions VPNs or several accounts per person"]
    api_as(employer).post(f"{API}/campaigns/{draft['id']}/launch/")
    queue = api_as(moderator).get(f"{API}/moderation/campaigns/").json()["results"]
    assert queue[0]["flags"] == ["mentions VPNs or several accounts per person"]
    assert queue[0]["employer_name"] == "Rahim Traders"


# --- errors clients branch on -----------------------------------------------------------------


def test_claiming_when_nothing_is_left_answers_409_no_task_left(
    api_as, employer, worker, outsider, moderator
):
    campaign = active_campaign(employer, moderator, positions=1)
    task_claim(campaign=campaign, worker=outsider)
    response = api_as(worker).post(f"{API}/campaigns/{campaign.pk}/claim/")
    assert response.status_code == 409
    assert response.json()["code"] == "no_task_left" and response.json()["detail"]
    assert not Assignment.objects.filter(worker=worker).exists()


def test_claim_refusals_carry_their_own_status(api_as, employer, worker, moderator):
    campaign = active_campaign(employer, moderator, countries_include=("IN",))
    response = api_as(worker).post(f"{API}/campaigns/{campaign.pk}/claim/")
    assert response.status_code == 403 and response.json()["code"] == "not_eligible"
    own = api_as(employer).post(f"{API}/campaigns/{campaign.pk}/claim/")
    assert own.status_code == 403 and own.json()["code"] == "own_campaign"


def test_a_reward_under_the_category_minimum_names_the_field(api_as, employer):
    response = api_as(employer).post(f"{API}/campaigns/", campaign_body(reward_cents=1))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "reward_too_small" and body["detail"]
    assert list(body["errors"]) == ["reward_cents"]
    assert not Campaign.objects.exists()


def test_a_campaign_body_with_wrong_types_lists_every_field(api_as, employer):
    response = api_as(employer).post(
        f"{API}/campaigns/",
        {"title": "", "category": "no-such", "reward_cents": "x", "positions": 0},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {
        "title",
        "category",
        "reward_cents",
        "positions",
        "instructions",
        "proof_fields",
    } <= set(body["errors"])


def test_the_platform_refuses_account_selling_campaigns(api_as, employer):
    response = api_as(employer).post(
        f"{API}/campaigns/",
        campaign_body(instructions="Sell your gmail account to us and send the password."),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_allowed"
    assert list(response.json()["errors"]) == ["instructions"]


def test_launching_without_money_is_409_insufficient_funds(api_as, employer):
    draft = api_as(employer).post(f"{API}/campaigns/", campaign_body()).json()
    response = api_as(employer).post(f"{API}/campaigns/{draft['id']}/launch/")
    assert response.status_code == 409 and response.json()["code"] == "insufficient_funds"
    assert Campaign.objects.get(pk=draft["id"]).status == CampaignStatus.DRAFT


def test_editing_a_launched_campaign_is_409_not_draft(api_as, employer, moderator):
    campaign = active_campaign(employer, moderator)
    response = api_as(employer).patch(f"{API}/campaigns/{campaign.pk}/", {"title": "New"})
    assert response.status_code == 409 and response.json()["code"] == "not_draft"
    assert Campaign.objects.get(pk=campaign.pk).title != "New"


def test_pausing_a_draft_is_409_invalid_status(api_as, employer):
    draft = api_as(employer).post(f"{API}/campaigns/", campaign_body()).json()
    response = api_as(employer).post(f"{API}/campaigns/{draft['id']}/pause/")
    assert response.status_code == 409 and response.json()["code"] == "invalid_status"


def test_adding_positions_to_a_draft_is_409_not_live(api_as, employer):
    draft = api_as(employer).post(f"{API}/campaigns/", campaign_body()).json()
    response = api_as(employer).post(f"{API}/campaigns/{draft['id']}/add-positions/", {"count": 2})
    assert response.status_code == 409 and response.json()["code"] == "not_live"


def test_a_submission_missing_proofs_lists_errors_per_key(api_as, employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker)
    response = api_as(worker).post(
        f"{API}/assignments/{assignment.pk}/submit/", {"answers": {"wrong": "x"}}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]
    assert set(body["errors"]) == {"username", "answers"}
    assert all(isinstance(m, list) and m for m in body["errors"].values())
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CLAIMED


def test_a_file_that_is_not_a_picture_is_refused_under_its_key(api_as, employer, worker, moderator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .api_helpers import SHOT_FIELDS

    campaign = active_campaign(employer, moderator, proof_fields=SHOT_FIELDS)
    assignment = task_claim(campaign=campaign, worker=worker)
    fake = SimpleUploadedFile("shot.png", b"<html>not a picture</html>", content_type="image/png")
    response = api_as(worker).post(
        f"{API}/assignments/{assignment.pk}/submit/",
        {"username": "karim", "screenshot": fake},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["screenshot"]


def test_rejecting_without_a_reason_is_400_reason_required(api_as, employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    response = api_as(employer).post(f"{API}/assignments/{assignment.pk}/reject/", {})
    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    assert response.json()["errors"] == {"reason": [response.json()["detail"]]}
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED


def test_approving_twice_is_409_and_pays_once(api_as, employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    client = api_as(employer)
    assert client.post(f"{API}/assignments/{assignment.pk}/approve/").status_code == 200
    again = client.post(f"{API}/assignments/{assignment.pk}/approve/")
    assert again.status_code == 409 and again.json()["code"] == "invalid_status"
    assert balances_of(worker).available_cents == 50
    assert ledger_violations() == []


def test_worker_releases_a_claim_and_the_task_reopens(api_as, employer, worker, moderator):
    campaign = active_campaign(employer, moderator, positions=1)
    claim = api_as(worker).post(f"{API}/campaigns/{campaign.pk}/claim/").json()
    released = api_as(worker).post(f"{API}/assignments/{claim['id']}/release/")
    assert released.status_code == 200 and released.json()["status"] == "released"
    again = api_as(worker).post(f"{API}/assignments/{claim['id']}/release/")
    assert again.status_code == 409 and again.json()["code"] == "invalid_status"
    assert api_as(worker).post(f"{API}/campaigns/{campaign.pk}/claim/").status_code == 201


def test_feed_refuses_an_unknown_sort(api_as, worker):
    response = api_as(worker).get(f"{API}/feed/?sort=cheapest")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["sort"]


def test_feed_filters_by_category_and_sorts(api_as, employer, worker, moderator):
    cheap = active_campaign(employer, moderator, title="Cheap", reward_cents=20)
    rich = active_campaign(employer, moderator, title="Rich", reward_cents=90)
    survey = active_campaign(
        employer,
        moderator,
        title="Survey",
        reward_cents=40,
        category=Category.objects.get(slug="survey"),
    )
    client = api_as(worker)
    by_reward = [c["id"] for c in client.get(f"{API}/feed/?sort=reward").json()["results"]]
    assert by_reward == [rich.pk, survey.pk, cheap.pk]
    newest = [c["id"] for c in client.get(f"{API}/feed/?sort=newest").json()["results"]]
    assert newest == [survey.pk, rich.pk, cheap.pk]
    surveys = client.get(f"{API}/feed/?category=survey").json()["results"]
    assert [c["id"] for c in surveys] == [survey.pk]


def test_feed_shows_the_employers_track_record(api_as, employer, worker, outsider, moderator):
    first = submitted(employer, worker, moderator, title="First", max_tasks_per_worker=2)
    api_as(employer).post(f"{API}/assignments/{first.pk}/approve/")
    second = submitted(employer, outsider, moderator, campaign=first.campaign)
    api_as(employer).post(f"{API}/assignments/{second.pk}/reject/", {"reason": "Wrong"})
    active_campaign(employer, moderator, title="Next")
    items = api_as(worker).get(f"{API}/feed/").json()["results"]
    assert items and all(item["employer"]["approval_rate"] == 50 for item in items)
    assert all(item["employer"]["average_time_to_rate_hours"] == 0.0 for item in items)


# --- bulk review ------------------------------------------------------------------------------


def test_bulk_review_answers_for_each_id(api_as, employer, worker, outsider, moderator):
    mine = [
        submitted(employer, worker, moderator, title="A"),
        submitted(employer, worker, moderator, title="B"),
        submitted(employer, worker, moderator, title="C"),
    ]
    theirs = submitted(outsider, worker, moderator, title="D")
    client = api_as(employer)
    client.post(f"{API}/assignments/{mine[2].pk}/approve/")
    ids = [mine[0].pk, mine[1].pk, mine[2].pk, theirs.pk, 999_999]
    response = client.post(f"{API}/assignments/bulk-review/", {"ids": ids, "action": "approve"})
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"id": mine[0].pk, "result": "done"},
            {"id": mine[1].pk, "result": "done"},
            {"id": mine[2].pk, "result": "invalid_status"},
            {"id": theirs.pk, "result": "not_found"},
            {"id": 999_999, "result": "not_found"},
        ]
    }
    theirs.refresh_from_db()
    assert theirs.status == AssignmentStatus.SUBMITTED
    assert balances_of(worker).available_cents == 150
    assert ledger_violations() == []


def test_bulk_rejection_needs_a_reason(api_as, employer, worker, moderator):
    assignment = submitted(employer, worker, moderator)
    client = api_as(employer)
    response = client.post(
        f"{API}/assignments/bulk-review/", {"ids": [assignment.pk], "action": "reject"}
    )
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    unknown = client.post(
        f"{API}/assignments/bulk-review/", {"ids": [assignment.pk], "action": "delete"}
    )
    assert unknown.status_code == 400 and list(unknown.json()["errors"]) == ["action"]
    done = client.post(
        f"{API}/assignments/bulk-review/",
        {"ids": [assignment.pk], "action": "request_revision", "reason": "Blurry"},
    )
    assert done.json()["results"] == [{"id": assignment.pk, "result": "done"}]
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REVISION_REQUESTED


# --- schema -----------------------------------------------------------------------------------


def test_the_openapi_schema_validates_with_the_work_loop_paths(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    for path in [
        "/api/v1/categories/",
        "/api/v1/campaigns/",
        "/api/v1/campaigns/{id}/",
        "/api/v1/campaigns/{id}/launch/",
        "/api/v1/campaigns/{id}/pause/",
        "/api/v1/campaigns/{id}/resume/",
        "/api/v1/campaigns/{id}/cancel/",
        "/api/v1/campaigns/{id}/add-positions/",
        "/api/v1/campaigns/{id}/assignments/",
        "/api/v1/campaigns/{id}/claim/",
        "/api/v1/feed/",
        "/api/v1/assignments/",
        "/api/v1/assignments/bulk-review/",
        "/api/v1/assignments/{id}/submit/",
        "/api/v1/assignments/{id}/release/",
        "/api/v1/assignments/{id}/approve/",
        "/api/v1/assignments/{id}/reject/",
        "/api/v1/assignments/{id}/request-revision/",
        "/api/v1/screenshots/{id}/",
        "/api/v1/moderation/campaigns/",
        "/api/v1/moderation/campaigns/{id}/approve/",
        "/api/v1/moderation/campaigns/{id}/reject/",
    ]:
        assert path in paths, path
    assert set(paths["/api/v1/campaigns/{id}/"]) >= {"get", "patch"}
    assert (
        "multipart/form-data"
        in paths["/api/v1/assignments/{id}/submit/"]["post"]["requestBody"]["content"]
    )
