"""Appeals against warnings and pauses for rejections, through the API and the moderators'
console: a user lists their steps and appeals one; moderators (two-step sign-in on, never on
their own case) see the open appeals and lift or uphold each with a reason."""

from __future__ import annotations

import pytest

from accounts.models import AppealStatus, ModerationAction

from ..workers.helpers import past
from ..workers.test_sanctions import evaluate

pytestmark = pytest.mark.django_db

MINE = "/api/v1/sanctions/"
QUEUE = "/api/v1/moderation/sanctions/"


@pytest.fixture(autouse=True)
def _ladder(settings):
    settings.SANCTION_MIN_REVIEWED = 4
    settings.SANCTION_REJECTION_PERCENT = 50


@pytest.fixture
def warning(worker, employer):
    past(worker, employer, rejected=4)
    return evaluate(worker)


def test_a_user_lists_their_own_steps_with_the_rejections(api_as, warning, worker, outsider):
    body = api_as(worker).get(MINE).json()
    [step] = body["results"]
    assert (step["id"], step["side"], step["step"], step["in_force"]) == (
        warning.pk,
        "worker",
        "warning",
        False,
    )
    assert (step["rejected"], step["reviewed"], step["rejection_rate"]) == (4, 4, 100)
    assert len(step["rejections"]) == 4 and step["rejections"][0]["reason"]
    assert api_as(outsider).get(MINE).json()["results"] == []


def test_an_appeal_through_the_api_is_once_and_only_ones_own(api_as, warning, worker, outsider):
    url = f"{MINE}{warning.pk}/appeal/"
    assert api_as(outsider).post(url, {"reason": "x"}, format="json").status_code == 404
    empty = api_as(worker).post(url, {"reason": " "}, format="json")
    assert empty.status_code == 400 and empty.json()["code"] == "reason_required"
    sent = api_as(worker).post(url, {"reason": "The employer rejects all"}, format="json")
    assert sent.status_code == 200 and sent.json()["appeal_status"] == "open"
    again = api_as(worker).post(url, {"reason": "Again"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_appealed"


def test_moderators_see_open_appeals_and_decide_them(api_as, warning, worker, moderator, employer):
    assert api_as(employer).get(QUEUE).status_code == 403
    assert api_as(moderator).get(QUEUE).json()["results"] == []
    api_as(worker).post(f"{MINE}{warning.pk}/appeal/", {"reason": "Unfair"}, format="json")
    [open_appeal] = api_as(moderator).get(QUEUE).json()["results"]
    assert open_appeal["id"] == warning.pk and open_appeal["user"] == worker.pk

    decide = f"{QUEUE}{warning.pk}/decide/"
    assert api_as(employer).post(decide, {"lift": True, "reason": "x"}).status_code == 403
    missing = api_as(moderator).post(decide, {"lift": True, "reason": ""}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "reason_required"
    lifted = api_as(moderator).post(
        decide, {"lift": True, "reason": "Empty reasons"}, format="json"
    )

    assert lifted.status_code == 200
    assert lifted.json()["appeal_status"] == "lifted" and lifted.json()["lifted_at"]
    assert ModerationAction.objects.filter(action="sanction.lift", actor=moderator).exists()
    assert api_as(moderator).get(QUEUE).json()["results"] == []
    late = api_as(moderator).post(decide, {"lift": False, "reason": "No"}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "appeal_not_open"


def test_the_console_page_lists_appeals_and_upholds_one(client, warning, worker, moderator):
    from workers.sanctions import sanction_appeal

    sanction_appeal(sanction=warning, by=worker, reason="I followed the instructions")
    client.force_login(moderator)
    page = client.get("/moderation/appeals/")
    assert page.status_code == 200 and "I followed the instructions" in page.content.decode()
    decide = f"/moderation/appeals/{warning.pk}/decide/"
    assert client.post(decide, {"lift": "0", "reason": ""}).status_code == 400

    done = client.post(decide, {"lift": "0", "reason": "The proofs were blank"})

    assert done.status_code == 302
    warning.refresh_from_db()
    assert warning.appeal_status == AppealStatus.UPHELD and warning.lifted_at is None
    assert warning.decision_reason == "The proofs were blank"


def test_the_console_page_is_for_moderators_only(client, worker):
    client.force_login(worker)
    assert client.get("/moderation/appeals/").status_code == 403
