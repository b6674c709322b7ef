"""The page of warnings before sanctions: the rules with the settings' numbers for anybody;
a signed-in reader's own steps with the rejections each lists, and the appeal form."""

from __future__ import annotations

import pytest

from accounts.models import AppealStatus, Sanction

from .helpers import past
from .test_sanctions import evaluate

pytestmark = pytest.mark.django_db

WARNINGS = "/warnings/"


@pytest.fixture(autouse=True)
def _ladder(settings):
    settings.SANCTION_MIN_REVIEWED = 4
    settings.SANCTION_REJECTION_PERCENT = 50
    settings.SANCTION_PAUSE_DAYS = (2, 5, 9)


def test_the_rules_are_public_with_the_settings_numbers(client):
    page = client.get(WARNINGS)
    assert page.status_code == 200
    text = page.content.decode()
    assert "50% or more" in text and "at least 4 tasks" in text and "2, 5, 9 days" in text
    assert "Your warnings and pauses" not in text


def test_a_warned_worker_sees_the_rejections_and_appeals_once(client, worker, employer, outsider):
    rejected = past(worker, employer, rejected=4)
    warning = evaluate(worker)
    client.force_login(worker)
    page = client.get(WARNINGS).content.decode()
    assert "4 of 4 reviewed rejected (100%)" in page
    assert f"/work/assignments/{rejected[0].pk}/" in page and "Wrong username" in page
    appeal = f"/warnings/{warning.pk}/appeal/"

    assert client.post(appeal, {"reason": ""}).status_code == 400
    sent = client.post(appeal, {"reason": "The employer rejects everybody"})

    assert sent.status_code == 302 and sent["Location"] == WARNINGS
    warning.refresh_from_db()
    assert warning.appeal_status == AppealStatus.OPEN
    assert warning.appeal == "The employer rejects everybody"
    assert "waits for a moderator" in client.get(WARNINGS).content.decode()
    again = client.post(appeal, {"reason": "Again"}, follow=True)
    assert "already appealed" in again.content.decode()
    client.force_login(outsider)
    assert client.post(appeal, {"reason": "Me too"}).status_code == 404
    assert Sanction.objects.get(pk=warning.pk).appeal == "The employer rejects everybody"


def test_anonymous_appeals_go_to_the_login_page(client, worker, employer):
    past(worker, employer, rejected=4)
    warning = evaluate(worker)
    response = client.post(f"/warnings/{warning.pk}/appeal/", {"reason": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(f"/warnings/{warning.pk}/appeal/").status_code in (302, 405)


def test_my_work_and_the_profile_link_a_standing_step_only(client, worker, employer):
    client.force_login(worker)
    assert "/warnings/" not in client.get("/work/mine/").content.decode()
    past(worker, employer, rejected=4)
    evaluate(worker)
    for page in ("/work/mine/", "/me/profile/"):
        text = client.get(page).content.decode()
        assert "You have a warning for rejections." in text and 'href="/warnings/"' in text, page
