"""Bad input never gets a 500 (issue 9, item 11): deep or large JSON, money beyond its bounds,
page numbers that are not page numbers, and NUL characters wherever text comes in."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from payments.models import Deposit, Payout
from payments.services.payouts import payout_method_add
from tasks.models import Campaign, Category
from workers.claims import task_claim

from .payments.helpers import give
from .tasks.api_helpers import campaign_body
from .tasks.helpers import active_campaign

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
HUGE = 2**63  # one more than PostgreSQL's bigint holds


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def nested(depth: int) -> str:
    return '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'


def post_json(client, url: str, text: str, **extra):
    return client.generic("POST", url, text.encode(), content_type="application/json", **extra)


# --- JSON: depth and size --------------------------------------------------------------------


def test_json_nested_100000_deep_is_a_400_even_for_anonymous(api_client):
    response = post_json(api_client, TOKEN_URL, nested(100_000))
    assert_error(response, 400, "json_too_deep")


@override_settings(JSON_MAX_DEPTH=5)
def test_json_one_level_deeper_than_the_setting_is_refused(api_client):
    # The document itself is one level, its "email" value the rest.
    assert_error(post_json(api_client, TOKEN_URL, nested(5)), 400, "json_too_deep")
    assert_error(post_json(api_client, TOKEN_URL, nested(4)), 400, "invalid")  # parsed


@override_settings(JSON_MAX_DEPTH=5)
def test_brackets_inside_json_strings_are_not_nesting(api_client):
    text = '{"email": "' + "[{" * 50 + '", "password": "x"}'
    assert_error(post_json(api_client, TOKEN_URL, text), 400, "invalid")


def test_malformed_json_stays_a_parse_error(api_client):
    assert_error(post_json(api_client, TOKEN_URL, '{"email": '), 400, "parse_error")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000)
def test_a_json_body_over_the_limit_is_413_payload_too_large(api_client):
    text = '{"email": "' + "a" * 2_000 + '@example.com", "password": "x"}'
    body = assert_error(post_json(api_client, TOKEN_URL, text), 413, "payload_too_large")
    assert "1" in body["detail"]  # names the limit


# --- Money ------------------------------------------------------------------------------------


@pytest.fixture
def funded_worker(worker):
    give(worker, 1_000)
    return worker


@pytest.mark.parametrize("amount", [HUGE, 2**64, 10**30, 100_000_000_001, -1])
def test_a_payout_beyond_the_money_bounds_is_a_400(api_as, funded_worker, amount):
    response = api_as(funded_worker).post(
        "/api/v1/payouts/", {"amount_cents": amount, "method": bkash(funded_worker).pk}
    )
    code = "max_value" if amount > 0 else "min_value"
    assert_error(response, 400, code)
    assert not Payout.objects.exists()


@pytest.mark.parametrize("amount", [HUGE, 10**30, -5])
def test_a_deposit_beyond_the_money_bounds_is_a_400(api_as, employer, amount):
    response = api_as(employer).post("/api/v1/deposits/", {"amount_cents": amount})
    assert_error(response, 400, "max_value" if amount > 0 else "min_value")
    assert not Deposit.objects.exists()


@pytest.mark.parametrize("amount", [HUGE, 2**31, 0])
def test_a_campaign_reward_beyond_the_bounds_is_a_400(api_as, employer, amount):
    response = api_as(employer).post("/api/v1/campaigns/", campaign_body(reward_cents=amount))
    assert_error(response, 400, "max_value" if amount else "min_value")
    assert not Campaign.objects.exists()


@override_settings(MONEY_MAX_CENTS=5_000)
def test_the_money_bound_is_a_setting(api_as, funded_worker):
    response = api_as(funded_worker).post(
        "/api/v1/payouts/", {"amount_cents": 5_001, "method": bkash(funded_worker).pk}
    )
    body = assert_error(response, 400, "max_value")
    assert "$50.00" in body["detail"]


def _field_error(response, field: str) -> str:
    assert response.status_code in (200, 400), response.status_code  # the form, again
    return " ".join(str(e) for e in response.context["form"].errors.get(field, []))


def bkash(user):
    return payout_method_add(user=user, kind="bkash", destination="01712345678", label="")


@pytest.mark.parametrize(
    "amount", ["99999999999999999999", "1000000000.01", "92233720368547758.08"]
)
def test_the_withdraw_page_refuses_amounts_beyond_the_bounds(client, funded_worker, amount):
    client.force_login(funded_worker)
    response = client.post(
        "/money/withdraw/", {"amount": amount, "method": bkash(funded_worker).pk}
    )
    assert _field_error(response, "amount") == "At most $1,000,000,000.00."
    assert not Payout.objects.exists()


def test_the_largest_amount_goes_on_to_the_balance_check(client, funded_worker):
    client.force_login(funded_worker)
    response = client.post(
        "/money/withdraw/", {"amount": "1000000000.00", "method": bkash(funded_worker).pk}
    )
    assert "cannot withdraw $1,000,000,000.00" in _field_error(response, "amount")


def test_the_deposit_page_refuses_amounts_beyond_the_bounds(client, employer):
    client.force_login(employer)
    response = client.post("/money/deposits/new/", {"amount": "99999999999999999999"})
    assert _field_error(response, "amount") == "At most $1,000,000,000.00."
    assert not Deposit.objects.exists()


def test_the_adjustment_page_refuses_amounts_beyond_the_bounds(client, moderator, worker):
    client.force_login(moderator)
    response = client.post(
        "/moderation/adjustments/",
        {
            "email": worker.email,
            "amount": "-99999999999999999999",
            "reason": "typo",
            "request_id": "5b2c9a8e-7d1e-4f5a-9c1b-2f3e4d5c6b7a",
        },
    )
    assert _field_error(response, "amount") == "At most $1,000,000,000.00."


def test_the_campaign_form_refuses_a_reward_beyond_what_a_campaign_holds(client, employer):
    from .tasks.test_pages_employer import form_data

    client.force_login(employer)
    response = client.post("/campaigns/new/", form_data(reward="30000000.00"))
    assert _field_error(response, "reward") == "At most $21,474,836.47."
    assert not Campaign.objects.exists()


# --- Page numbers -----------------------------------------------------------------------------


BAD_PAGES = ["²", "٣", "1" * 21, "-1", "0", "1e3", " 2", "abc", ""]


@pytest.mark.parametrize("page", BAD_PAGES)
def test_the_feed_api_treats_a_bad_page_as_the_first(api_as, worker, page):
    response = api_as(worker).get("/api/v1/feed/", {"page": page})
    assert response.status_code == 200, response.content[:300]
    assert response.json()["previous"] is None


@pytest.mark.parametrize("page", BAD_PAGES)
def test_the_feed_page_treats_a_bad_page_as_the_first(client, worker, page):
    client.force_login(worker)
    response = client.get("/work/", {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == 1


@pytest.mark.parametrize(
    "url",
    [
        "/campaigns/",
        "/work/mine/",
        "/money/wallet/",
        "/money/payouts/",
        "/notifications/",
        "/webhooks/",
    ],
)
@pytest.mark.parametrize("page", ["²", "1" * 21])
def test_paginated_pages_never_fail_on_a_bad_page(client, worker, url, page):
    client.force_login(worker)
    assert client.get(url, {"page": page}).status_code == 200


@pytest.mark.parametrize("page", ["²", "1" * 21, "0"])
def test_paginated_api_lists_answer_404_on_a_bad_page(api_as, worker, page):
    response = api_as(worker).get("/api/v1/assignments/", {"page": page})
    assert_error(response, 404, "not_found")


# --- Query parameters -------------------------------------------------------------------------


def test_a_nul_in_a_page_query_is_a_400(client, worker):
    client.force_login(worker)
    response = client.get("/work/?category=%00")
    assert response.status_code == 400


def test_a_nul_in_a_session_cookie_is_a_400_that_never_reaches_the_database(client):
    client.cookies["sessionid"] = "abcdefgh\x00ijk"
    response = client.get("/work/")
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_nul_in_a_cookie_is_a_400_in_the_api_too(api_as, worker):
    client = api_as(worker)
    client.cookies["sessionid"] = "abcdefgh\x00ijk"
    assert_error(client.get("/api/v1/me/"), 400, "null_character")


def test_the_refusal_page_is_in_the_readers_language(client):
    response = client.get("/work/?q=%00", HTTP_ACCEPT_LANGUAGE="bn")
    assert response.status_code == 400
    assert '<html lang="bn">' in response.content.decode()


def test_a_nul_in_an_api_query_is_a_400(api_as, worker):
    assert_error(api_as(worker).get("/api/v1/feed/?q=%00"), 400, "null_character")


def test_the_feed_page_with_a_category_that_is_no_slug_says_so(client, api_as, worker):
    client.force_login(worker)
    response = client.get("/work/", {"category": "<b>x</b>", "sort": "newest"})
    assert response.status_code == 400  # as the API answers
    assert api_as(worker).get("/api/v1/feed/", {"category": "<b>x</b>"}).status_code == 400
    assert response.context["page"].number == 1  # the feed is still shown, unfiltered
    assert response.context["category"] is None and response.context["sort"] == "newest"
    assert "That is not a category, so every category is shown." in response.content.decode()


def test_the_feed_page_with_an_unknown_category_is_empty_as_in_the_api(
    client, api_as, employer, worker, moderator
):
    active_campaign(employer, moderator)
    client.force_login(worker)
    page = client.get("/work/", {"category": "no-such-thing"})
    api = api_as(worker).get("/api/v1/feed/", {"category": "no-such-thing"})
    assert page.status_code == 200 and api.status_code == 200
    assert page.context["page"].object_list == [] and api.json()["results"] == []


def test_the_feed_page_with_an_unknown_order_says_so_and_sorts_by_reward(client, worker):
    client.force_login(worker)
    response = client.get("/work/", {"sort": "\u202e"})
    assert response.status_code == 400 and response.context["sort"] == "reward"
    assert "the best paid come first" in response.content.decode()


@pytest.mark.parametrize("category", ["²", "1" * 21, "-1", "\u0663"])
def test_the_new_campaign_page_ignores_a_category_that_is_no_id(client, employer, category):
    client.force_login(employer)
    assert client.get("/campaigns/new/", {"category": category}).status_code == 200


@pytest.mark.parametrize("moderator_id", ["²", "1" * 21, "x"])
def test_the_audit_api_ignores_a_moderator_that_is_no_id(api_as, moderator, moderator_id):
    response = api_as(moderator).get("/api/v1/moderation/audit/", {"moderator": moderator_id})
    assert response.status_code == 200


# --- NUL characters ---------------------------------------------------------------------------


def test_a_nul_in_a_task_inputs_key_is_a_400(api_as, employer):
    body = campaign_body(positions=1, task_inputs=[{"u\x00rl": "https://a.example"}])
    assert_error(api_as(employer).post("/api/v1/campaigns/", body), 400, "null_character")
    assert not Campaign.objects.exists()


def test_a_nul_in_a_task_inputs_value_is_a_400(api_as, employer):
    body = campaign_body(positions=1, task_inputs=[{"url": "https://a.example\x00"}])
    response = api_as(employer).post("/api/v1/campaigns/", body)
    assert_error(response, 400, "null_character")


def test_a_nul_in_a_multipart_proof_answer_is_a_400(api_as, employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker)
    response = api_as(worker).post(
        f"/api/v1/assignments/{assignment.pk}/submit/",
        {"username": "kar\x00im"},
        format="multipart",
    )
    assert_error(response, 400, "null_character")
    assignment.refresh_from_db()
    assert assignment.status == "claimed"


def test_a_nul_in_a_multipart_field_name_is_a_400(api_as, employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker)
    response = api_as(worker).post(
        f"/api/v1/assignments/{assignment.pk}/submit/",
        {"username": "karim", "x\x00": "y"},
        format="multipart",
    )
    assert_error(response, 400, "null_character")


def test_a_nul_in_a_page_form_is_a_400_page(client, employer):
    from .tasks.test_pages_employer import form_data

    client.force_login(employer)
    response = client.post("/campaigns/new/", form_data(title="Visit\x00 our shop"))
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_a_nul_in_a_campaign_csv_cell_is_explained_next_to_the_file(client, employer):
    from .tasks.test_pages_employer import form_data

    client.force_login(employer)
    upload = SimpleUploadedFile(
        "tasks.csv", b"url,item\nhttps://a.example,bre\x00ad\n", content_type="text/csv"
    )
    response = client.post("/campaigns/new/", form_data(task_file=upload))
    assert "NUL" in _field_error(response, "task_file")
    assert not Campaign.objects.exists()


def test_a_nul_in_a_campaign_csv_header_is_explained_next_to_the_file(client, employer):
    from .tasks.test_pages_employer import form_data

    client.force_login(employer)
    upload = SimpleUploadedFile("tasks.csv", b"u\x00rl\nhttps://a.example\n")
    response = client.post("/campaigns/new/", form_data(task_file=upload))
    assert "NUL" in _field_error(response, "task_file")


def test_an_unpaired_surrogate_in_a_task_inputs_key_is_a_400(api_as, employer):
    body = json.dumps(campaign_body(positions=1, task_inputs=[{"u\ud800rl": "x"}]))
    response = post_json(api_as(employer), "/api/v1/campaigns/", body)
    assert_error(response, 400, "surrogate_characters_not_allowed")
    assert not Campaign.objects.exists()


def test_text_without_nul_still_goes_through(api_as, employer):
    body = campaign_body(positions=1, task_inputs=[{"url": "https://a.example/ক\u0001"}])
    response = api_as(employer).post("/api/v1/campaigns/", body)
    assert response.status_code == 201, response.content
    assert Category.objects.exists()
