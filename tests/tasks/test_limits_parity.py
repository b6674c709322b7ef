"""One set of campaign limits (tasks.limits): the page and the API accept and refuse exactly
the same inputs, and the service alone refuses what passes them, whoever calls it.

The parity tests send one table of inputs, at and just past every bound, both ways: the
new-campaign form and ``POST /api/v1/campaigns/``, the edit form and ``PATCH``, the "add
positions" form and ``add-positions/``, the proof form and ``submit/``. Each row says whether
it must be accepted, so a table that both sides let through, or both refuse, by mistake
fails too. A refusal leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_countries import countries

from core.errors import DomainError
from tasks import limits
from tasks.gold import positions_and_checks
from tasks.models import Assignment, AssignmentStatus, Campaign, Category, Submission
from tasks.services import (
    CampaignSpec,
    campaign_add_positions,
    campaign_create,
    campaign_update,
)
from tests.factories import UserFactory

from .helpers import active_campaign, spec

pytestmark = pytest.mark.django_db

API = "/api/v1"
CATEGORY = "visit-website"
PROOF = {"key": "price", "label": "The price of bread", "kind": "text", "required": True}
# A valid campaign in the API's words; each row of the table changes some of it.
BASE = {
    "title": "Visit our shop",
    "category": CATEGORY,
    "instructions": "Open the shop and tell us the price of bread.",
    "reward_cents": 20,
    "positions": 4,
    "max_tasks_per_worker": 1,
    "time_to_complete_minutes": 30,
    "time_to_rate_hours": 48,
    "min_success_rate": 0,
    "min_level": 0,
    "gold_rate": 0,
    "gold_min_answers": limits.GOLD_MIN_ANSWERS_DEFAULT,
    "gold_min_accuracy": limits.GOLD_MIN_ACCURACY_DEFAULT,
    "countries_include": ["BD"],
    "countries_exclude": [],
    "proof_fields": [PROOF],
}
ALL_COUNTRIES = [code for code, _name in countries]
MAX_ROWS = settings.CAMPAIGN_CSV_MAX_ROWS


def rows(count: int = 2, **columns) -> list[dict]:
    """``count`` task inputs with a ``url`` column (and ``columns``: name → value)."""
    return [{"url": f"https://shop.example/{n}", **columns} for n in range(count)]


def gold_rows(answer: str = "Tk 40") -> list[dict]:
    """Two paid tasks and a check task that expects ``answer`` as the price."""
    return [
        {"url": "https://shop.example/1", "_gold_price": ""},
        {"url": "https://shop.example/2", "_gold_price": ""},
        {"url": "https://shop.example/3", "_gold_price": answer},
    ]


def wide_rows(width: int) -> list[dict]:
    return [{f"c{n}": "x" for n in range(width)} for _row in range(2)]


def proofs(count: int, **changes) -> list[dict]:
    return [{**PROOF, "key": f"p{n}", **changes} for n in range(count)]


def minimum() -> int:
    return Category.objects.get(slug=CATEGORY).min_reward_cents


# The bounds, short.
KEY, LABEL = limits.PROOF_KEY_MAX_CHARS, limits.PROOF_LABEL_MAX_CHARS
VALUE, COLUMN = limits.TASK_INPUT_VALUE_MAX_CHARS, limits.TASK_INPUT_COLUMN_MAX_CHARS


def proof(**changes) -> dict:
    return {"proof_fields": [{**PROOF, **changes}]}


def inputs(task_inputs, **changes) -> dict:
    return {"task_inputs": task_inputs, **changes}


# (id, changes to BASE, accepted?). A change may be a function, called in the test. Row ids
# say which bound; "ends_in" is the end date's distance from now.
TABLE = [
    ("title at most", {"title": "T" * limits.TITLE_MAX_CHARS}, True),
    ("title at most, spaces around", {"title": f"  {'T' * limits.TITLE_MAX_CHARS} "}, True),
    ("title past", {"title": "T" * (limits.TITLE_MAX_CHARS + 1)}, False),
    ("title blank", {"title": "   "}, False),
    ("instructions at most", {"instructions": "i" * limits.INSTRUCTIONS_MAX_CHARS}, True),
    ("instructions past", {"instructions": "i" * (limits.INSTRUCTIONS_MAX_CHARS + 1)}, False),
    ("instructions blank", {"instructions": " "}, False),
    ("reward at the category's minimum", {"reward_cents": minimum}, True),
    ("reward under it", {"reward_cents": lambda: minimum() - 1}, False),
    ("reward at most", {"reward_cents": limits.REWARD_MAX_CENTS}, True),
    ("reward past", {"reward_cents": limits.REWARD_MAX_CENTS + 1}, False),
    *[
        # A rate of check tasks needs some in the file.
        (
            f"{name} {label}",
            {name: value, **(inputs(gold_rows()) if name == "gold_rate" and value > 0 else {})},
            ok,
        )
        for name, (low, high) in limits.NUMBERS.items()
        for label, value, ok in (
            ("at least", low, True),
            ("under", low - 1, False),
            ("at most", high, True),
            ("past", high + 1, False),
        )
    ],
    ("every country", {"countries_include": ALL_COUNTRIES}, True),
    ("an unknown country", {"countries_include": ["BD", "XX"]}, False),
    ("a country in and out", {"countries_exclude": ["BD"]}, False),
    ("ends in the future", {"ends_in": timedelta(days=30)}, True),
    ("ended", {"ends_in": timedelta(days=-1)}, False),
    ("proofs at most", {"proof_fields": proofs(limits.PROOF_FIELDS_MAX)}, True),
    ("screenshots", {"proof_fields": proofs(limits.PROOF_FIELDS_MAX, kind="screenshot")}, True),
    ("proof key at most", proof(key="k" * KEY), True),
    ("proof key past", proof(key="k" * (KEY + 1)), False),
    ("proof key not a name", proof(key="two words"), False),
    ("proof label at most", proof(label="L" * LABEL), True),
    ("proof label past", proof(label="L" * (LABEL + 1)), False),
    ("proof keys twice", {"proof_fields": [PROOF, {**PROOF, "label": "Again"}]}, False),
    ("placeholder names a column", inputs(rows(), instructions="Open {{url}}."), True),
    ("placeholder with spaces", inputs(rows(), instructions="Open {{ url }}."), True),
    ("placeholder names no column", inputs(rows(), instructions="Open {{shop}}."), False),
    ("placeholder without task inputs", {"instructions": "Open {{shop}}."}, True),
    ("rows at most", inputs(lambda: rows(MAX_ROWS)), True),
    ("rows past", inputs(lambda: rows(MAX_ROWS + 1)), False),
    ("value at most", inputs(rows(item="v" * VALUE)), True),
    ("value past", inputs(rows(item="v" * (VALUE + 1))), False),
    ("column name at most", inputs(rows(**{"c" * COLUMN: "x"})), True),
    ("column name past", inputs(rows(**{"c" * (COLUMN + 1): "x"})), False),
    ("columns at most", inputs(wide_rows(limits.TASK_INPUT_COLUMNS_MAX)), True),
    ("columns past", inputs(wide_rows(limits.TASK_INPUT_COLUMNS_MAX + 1)), False),
    ("check tasks", inputs(gold_rows(), gold_rate=10), True),
    ("check tasks by a pattern", inputs(gold_rows("/tk\\s*\\d+/"), gold_rate=10), True),
    ("a pattern that is not one", inputs(gold_rows("/tk(/"), gold_rate=10), False),
    ("check tasks without a rate", inputs(gold_rows()), False),
    ("a rate without check tasks", {"gold_rate": 10}, False),
]
CASES = [pytest.param(changes, ok, id=name) for name, changes, ok in TABLE]


# --- the two ways in ----------------------------------------------------------------------


def body_of(changes: dict) -> dict:
    """BASE with ``changes``, as the API takes it (positions: one a row of task inputs)."""
    body = {**BASE}
    for name, value in changes.items():
        body[name] = value() if callable(value) else value
    if "ends_in" in body:
        body["ends_at"] = (timezone.now() + body.pop("ends_in")).isoformat()
    if body.get("task_inputs"):
        body["positions"] = len(positions_and_checks(body["task_inputs"])[0])
    return body


def form_of(body: dict) -> dict:
    """The same campaign as the new-campaign page posts it."""
    cents = body["reward_cents"]
    data = {
        "title": body["title"],
        "category": Category.objects.get(slug=body["category"]).pk,
        "instructions": body["instructions"],
        "reward": f"{cents // 100}.{cents % 100:02d}",
        "positions": str(body["positions"]),
        "countries_include": list(body["countries_include"]),  # chosen from a list
        "countries_exclude": list(body["countries_exclude"]),
        "ends_at": "",
        **{name: str(body[name]) for name in limits.NUMBERS},
    }
    if body.get("ends_at"):
        ends = timezone.localtime(datetime.fromisoformat(body["ends_at"]))
        data["ends_at"] = ends.strftime("%Y-%m-%dT%H:%M")
    for n, proof in enumerate(body["proof_fields"]):
        data.update({f"proof-{n}_{name}": proof[name] for name in ("key", "label", "kind")})
        data[f"proof-{n}_required"] = "on" if proof["required"] else ""
    if body.get("task_inputs"):
        data["task_file"] = csv_of(body["task_inputs"])
    return data


def csv_of(task_inputs: list[dict]) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(task_inputs[0]))
    writer.writeheader()
    writer.writerows(task_inputs)
    return SimpleUploadedFile("tasks.csv", out.getvalue().encode(), content_type="text/csv")


def page_verdict(response, accepted_status: int = 302) -> bool:
    assert response.status_code in (accepted_status, 400), response.status_code
    return response.status_code == accepted_status


def api_verdict(response, accepted_status: int) -> bool:
    assert response.status_code in (accepted_status, 400), response.content[:300]
    return response.status_code == accepted_status


@pytest.fixture
def as_employer(client, api_as, employer):
    client.force_login(employer)
    return client, api_as(employer)


# --- create -------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "ok"), CASES)
def test_the_page_and_the_api_create_the_same_campaigns(as_employer, changes, ok):
    page, api = as_employer
    body = body_of(changes)
    by_page = page_verdict(page.post(reverse("tasks:campaign_new"), form_of(body)))
    assert Campaign.objects.count() == (1 if by_page else 0)
    by_api = api_verdict(api.post(f"{API}/campaigns/", body, format="json"), 201)
    assert Campaign.objects.count() == by_page + by_api
    assert (by_page, by_api) == (ok, ok)
    if ok:  # both saved the same campaign
        first, second = Campaign.objects.order_by("pk")
        assert _choices(first) == _choices(second)


def _choices(campaign: Campaign) -> tuple:
    return (
        campaign.title,
        campaign.instructions,
        campaign.reward_cents,
        campaign.positions,
        campaign.proof_fields,
        campaign.task_inputs,
        campaign.countries_include,
        *(getattr(campaign, name) for name in limits.NUMBERS),
    )


def test_the_page_offers_as_many_proof_rows_as_a_campaign_may_have(as_employer):
    """The page cannot send more proofs than the limit: it shows exactly that many rows (the
    API's refusal of one more is in the service test below)."""
    page, _api = as_employer
    html = page.get(reverse("tasks:campaign_new")).content.decode()
    assert f'name="proof-{limits.PROOF_FIELDS_MAX - 1}_key"' in html
    assert f'name="proof-{limits.PROOF_FIELDS_MAX}_key"' not in html


# --- edit a draft -------------------------------------------------------------------------


def _drafts(employer, count: int = 2, **changes) -> list[Campaign]:
    values = {
        "category": Category.objects.get(slug=CATEGORY),
        "title": BASE["title"],
        "reward_cents": BASE["reward_cents"],
        "proof_fields": [PROOF],
        **changes,
    }
    return [campaign_create(employer=employer, spec=spec(**values)) for _n in range(count)]


def _edit_both(page, api, drafts: list[Campaign], body: dict, form: dict) -> tuple[bool, bool]:
    """The page posts its whole form; the API patches the same values."""
    by_page = page_verdict(page.post(reverse("tasks:campaign_edit", args=[drafts[0].pk]), form))
    response = api.patch(f"{API}/campaigns/{drafts[1].pk}/", body, format="json")
    return by_page, api_verdict(response, 200)


# Editing runs the service's same checks as creating: each row that must be refused shows
# the edit forms hold the same bounds (an accepted edit: the placeholder test below).
EDIT_CASES = [case for case in CASES if not case.values[1] and not case.id.startswith("rows ")]


@pytest.mark.parametrize(("changes", "ok"), EDIT_CASES)
def test_the_page_and_the_api_edit_drafts_alike(as_employer, employer, changes, ok):
    page, api = as_employer
    drafts = _drafts(employer)
    body = body_of(changes)
    assert _edit_both(page, api, drafts, body, form_of(body)) == (ok, ok)
    edited = [_choices(draft) for draft in drafts]
    for draft in drafts:
        draft.refresh_from_db()
    if ok:
        assert _choices(drafts[0]) == _choices(drafts[1]) != edited[0]
    else:
        assert [_choices(draft) for draft in drafts] == edited


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        pytest.param({"instructions": "Open {{url}} now."}, True, id="a stored column"),
        pytest.param({"instructions": "Open {{shop}}."}, False, id="no stored column"),
        pytest.param(
            {"instructions": "Open {{url}} now.", "task_inputs": [{"link": "a"}]},
            False,
            id="new rows without it",
        ),
    ],
)
def test_placeholders_are_checked_against_a_drafts_stored_rows_both_ways(
    as_employer, employer, changes, ok
):
    page, api = as_employer
    stored = rows()
    drafts = _drafts(
        employer, instructions="Open {{url}}.", positions=len(stored), task_inputs=tuple(stored)
    )
    body = body_of(changes)
    form = form_of(body)
    if "task_inputs" not in changes:  # both keep the stored rows
        form["positions"] = ""
        del body["positions"]
    assert _edit_both(page, api, drafts, body, form) == (ok, ok)
    for draft in drafts:
        draft.refresh_from_db()
        assert draft.task_inputs == stored
        assert (draft.instructions == changes["instructions"]) == ok


# --- add positions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "outcome"),
    [
        (limits.POSITIONS_MIN, "added"),
        (limits.POSITIONS_MIN - 1, "invalid"),
        (limits.POSITIONS_MAX, "insufficient_funds"),  # within the bound: the wallet decides
        (limits.POSITIONS_MAX + 1, "invalid"),
    ],
)
def test_the_page_and_the_api_add_positions_alike(as_employer, employer, moderator, count, outcome):
    page, api = as_employer
    campaigns = [active_campaign(employer, moderator, title=f"Shop {n}") for n in range(2)]
    before = campaigns[0].positions
    response = page.post(
        reverse("tasks:campaign_add_positions", args=[campaigns[0].pk]), {"count": str(count)}
    )
    by_page = {302: "added", 400: "invalid"}[response.status_code]
    if by_page == "added" and campaigns[0].tasks.count() == before:
        by_page = "insufficient_funds"  # back to the campaign's page, with the message
    response = api.post(f"{API}/campaigns/{campaigns[1].pk}/add-positions/", {"count": count})
    by_api = {200: "added", 400: "invalid"}.get(response.status_code) or response.json()["code"]
    assert (by_page, by_api) == (outcome, outcome)
    for campaign in campaigns:
        campaign.refresh_from_db()
        grown = count if outcome == "added" else 0
        assert campaign.positions == before + grown == campaign.tasks.count()


# --- proof answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "ok"),
    [(limits.PROOF_ANSWER_MAX_CHARS, True), (limits.PROOF_ANSWER_MAX_CHARS + 1, False)],
)
def test_the_page_and_the_api_take_the_same_proof_answers(
    client, api_as, employer, moderator, length, ok
):
    campaign = active_campaign(employer, moderator, max_tasks_per_worker=2)
    workers = [UserFactory(), UserFactory()]
    claims = [  # claimed the way every client claims (the contract's endpoint)
        Assignment.objects.get(
            pk=api_as(worker).post(f"{API}/campaigns/{campaign.pk}/claim/").json()["id"]
        )
        for worker in workers
    ]
    answer = "a" * length
    client.force_login(workers[0])
    response = client.post(reverse("workers:assignment", args=[claims[0].pk]), {"username": answer})
    by_page = page_verdict(response)
    response = api_as(workers[1]).post(
        f"{API}/assignments/{claims[1].pk}/submit/",
        {"answers": {"username": answer}},
        format="json",
    )
    by_api = api_verdict(response, 200)
    assert (by_page, by_api) == (ok, ok)
    assert Submission.objects.count() == (2 if ok else 0)
    expected = AssignmentStatus.SUBMITTED if ok else AssignmentStatus.CLAIMED
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == expected


# --- the service alone ---------------------------------------------------------------------


def valid_spec(**changes) -> CampaignSpec:
    return spec(category=Category.objects.get(slug=CATEGORY), **changes)


def past(task_inputs: list[dict], **changes) -> dict:
    """Task inputs for a spec: as many positions as rows."""
    return {"task_inputs": tuple(task_inputs), "positions": len(task_inputs), **changes}


# (the field named, changes to a valid spec) past each limit.
SERVICE_REFUSALS = [
    ("title", {"title": "T" * (limits.TITLE_MAX_CHARS + 1)}),
    ("title", {"title": "  "}),
    ("instructions", {"instructions": "i" * (limits.INSTRUCTIONS_MAX_CHARS + 1)}),
    ("reward_cents", {"reward_cents": limits.REWARD_MAX_CENTS + 1}),
    *[
        (name, {name: value})
        for name, (low, high) in limits.NUMBERS.items()
        for value in (low - 1, high + 1)
    ],
    ("countries_include", {"countries_include": ("XX",)}),
    ("countries_exclude", {"countries_exclude": ("bd",)}),
    ("proof_fields", {"proof_fields": proofs(limits.PROOF_FIELDS_MAX + 1)}),
    ("proof_fields", {"proof_fields": proofs(1, key="k" * (KEY + 1))}),
    ("proof_fields", {"proof_fields": proofs(1, label="L" * (LABEL + 1))}),
    ("task_inputs", past(rows(MAX_ROWS + 1))),
    ("task_inputs", past([{"url": "a"}, {"link": "b"}])),
    ("task_inputs", past([{"": "a"}])),
    ("task_inputs", past([{"url": 5}])),
    ("task_inputs", past(wide_rows(limits.TASK_INPUT_COLUMNS_MAX + 1))),
    ("task_inputs", past(rows(1, **{"c" * (COLUMN + 1): "x"}))),
    ("task_inputs", past(rows(1, item="v" * (VALUE + 1)))),
    ("instructions", past(rows(1), instructions="Open {{shop}}.")),
    ("positions", {**past(rows(2)), "positions": 3}),
]


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        pytest.param(field, changes, id=f"{field}-{n}")
        for n, (field, changes) in enumerate(SERVICE_REFUSALS)
    ],
)
def test_the_service_alone_refuses_what_passes_a_limit(employer, field, changes):
    with pytest.raises(DomainError) as refused:
        campaign_create(employer=employer, spec=valid_spec(**changes))
    assert (refused.value.code, refused.value.field) == ("invalid", field)
    assert not Campaign.objects.exists()
    draft = campaign_create(employer=employer, spec=valid_spec())
    with pytest.raises(DomainError) as refused:
        campaign_update(campaign=draft, spec=valid_spec(**changes), by=employer)
    assert refused.value.field == field
    draft.refresh_from_db()
    assert draft.title == valid_spec().title


def test_the_service_accepts_every_limit_at_once(employer):
    """Its checks are not stricter than the limits: each at its bound, together."""
    at_most = {name: high for name, (_low, high) in limits.NUMBERS.items()}
    at_least = {name: low for name, (low, _high) in limits.NUMBERS.items()}
    columns = {f"c{n}": "x" for n in range(limits.TASK_INPUT_COLUMNS_MAX - 1)}
    widest_row = {"url": "v" * VALUE, **columns, "c" * COLUMN: ""}
    del widest_row["c0"]  # the long name instead, as many columns as allowed
    # One column is a check task's answer (the rate at its most needs one), "" but on the last row.
    gold_column = f"_gold_{'0'.rjust(KEY, 'k')}"
    del widest_row["c1"]
    widest_row[gold_column] = ""
    task_inputs = [
        widest_row,
        *[dict.fromkeys(widest_row, "x") | {gold_column: ""} for _n in range(MAX_ROWS - 2)],
        dict.fromkeys(widest_row, "x"),
    ]
    widest = valid_spec(
        title="T" * limits.TITLE_MAX_CHARS,
        instructions=f"Open {{{{ url }}}}: {'i' * (limits.INSTRUCTIONS_MAX_CHARS - 16)}",
        reward_cents=limits.REWARD_MAX_CENTS,
        countries_include=tuple(ALL_COUNTRIES),
        proof_fields=[
            {**PROOF, "key": str(n).rjust(KEY, "k"), "label": "L" * LABEL}
            for n in range(limits.PROOF_FIELDS_MAX)
        ],
        **{**at_most, **past(task_inputs, positions=MAX_ROWS - 1)},
    )
    assert len(widest.instructions) == limits.INSTRUCTIONS_MAX_CHARS
    assert len(widest_row) == limits.TASK_INPUT_COLUMNS_MAX
    campaign_create(employer=employer, spec=widest)
    campaign_create(employer=employer, spec=valid_spec(**at_least))
    campaign_create(employer=employer, spec=valid_spec(positions=limits.POSITIONS_MAX))
    assert Campaign.objects.count() == 3


@pytest.mark.parametrize(
    ("field", "count", "task_inputs"),
    [
        ("count", limits.POSITIONS_MIN - 1, None),
        ("count", limits.POSITIONS_MAX + 1, None),
        ("count", 3, rows(2)),
        ("task_inputs", 2, [{"url": "a"}, {"link": "b"}]),
        ("task_inputs", 1, rows(1, item="v" * (limits.TASK_INPUT_VALUE_MAX_CHARS + 1))),
        ("instructions", 1, [{"link": "a"}]),  # the campaign's instructions ask for {{url}}
    ],
)
def test_the_service_alone_refuses_positions_past_the_limits(
    employer, moderator, field, count, task_inputs
):
    campaign = active_campaign(employer, moderator, instructions="Open {{url}}.")
    with pytest.raises(DomainError) as refused:
        campaign_add_positions(campaign=campaign, by=employer, count=count, task_inputs=task_inputs)
    assert (refused.value.code, refused.value.field) == ("invalid", field)
    campaign.refresh_from_db()
    assert campaign.positions == campaign.tasks.count() == 3
