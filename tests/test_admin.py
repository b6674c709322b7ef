"""The Django admin for staff: every model of Kaaj's apps is registered, its list (searched and
filtered) and its page open, history and money rows cannot be added, changed or deleted,
statuses and money are never form fields, and big lists stay a few queries."""

from __future__ import annotations

from html.parser import HTMLParser
from unittest.mock import patch

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import moderator_grant
from core.admin import CappedCountPaginator
from tasks import services
from tasks.models import Assignment, Campaign, CampaignStatus, KeptScreenshot
from workers.claims import task_claim

from .factories import UserFactory
from .module_db import module_transaction
from .payments.helpers import give
from .tasks.api_helpers import SHOT_FIELDS, png, submitted
from .tasks.helpers import active_campaign

pytestmark = pytest.mark.django_db

OUR_APPS = ["accounts", "payments", "tasks", "workers", "notifications", "webhooks", "moderation"]

# Rows written only by services: history, audit, ledger, and everything that carries a status
# or money. Staff may look at them, never add, change or delete one in the admin.
VIEW_ONLY = {
    "tasks.assignmentevent",
    "tasks.campaignevent",
    "tasks.campaigntext",
    "tasks.task",
    "tasks.assignment",
    "tasks.submission",
    "tasks.screenshot",
    "tasks.keptscreenshot",
    "tasks.dispute",
    "tasks.qualificationattempt",
    "tasks.heldqualification",
    "tasks.goldstop",
    "tasks.bonus",
    "tasks.employerrating",
    "tasks.workergroup",
    "tasks.groupmember",
    "workers.savedsearch",
    "payments.account",
    "payments.movement",
    "payments.transfer",
    "payments.deposit",
    "payments.webhookevent",
    "payments.payoutmethod",
    "payments.payout",
    "payments.payoutevent",
    "notifications.notification",
    "webhooks.delivery",
    "accounts.moderationaction",
    "accounts.suspension",
    "accounts.sanction",
    "notifications.notificationpreferences",
}

# Fields that must never be a form field on the change page: a status or money changes only
# through the services.
PROTECTED_FIELDS = {
    "tasks.campaign": {"status", "reward_cents", "fee_cents", "positions", "employer"},
    "webhooks.endpoint": {"secret", "url", "employer"},
}


def our_models() -> list:
    return [
        model
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.proxy
    ]


def label(model) -> str:
    return model._meta.label_lower


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def root_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture(scope="module", autouse=True)
def _world(django_db_setup, django_db_blocker) -> dict[str, int]:
    """The world, built once for the module (see tests/module_db.py): every test here meets
    it, each in a savepoint rolled back after it. Its own users, not the shared fixtures'."""
    with module_transaction(django_db_blocker):
        with override_settings(PAYMENTS_PROVIDER="sandbox"):
            ids = _build_world(
                employer=UserFactory(email="admin.employer@example.com"),
                worker=UserFactory(email="admin.worker@example.com", display_name="Karim"),
                outsider=UserFactory(email="admin.outsider@example.com"),
                moderator=moderator_grant(user=UserFactory(email="admin.moderator@example.com")),
            )
        yield ids


@pytest.fixture
def world(_world, settings) -> dict[str, Assignment]:
    """The world's assignments the tests name, read afresh for each test; the sandbox
    provider, as when the world was built."""
    settings.PAYMENTS_PROVIDER = "sandbox"
    return {name: Assignment.objects.get(pk=pk) for name, pk in _world.items()}


def _build_world(*, employer, worker, outsider, moderator) -> dict[str, int]:
    """At least one row of every model of our apps, each made by the service that owns it."""
    from accounts.services import audit_record, token_issue
    from moderation.services import user_suspend
    from notifications.services import notify, preferences_save
    from payments.services import payout_method_add, payout_request
    from payments.services.deposits import deposit_start, sandbox_checkout_confirm
    from tasks.services.disputes import dispute_open
    from tasks.services.qualifications import (
        QualificationSpec,
        qualification_attempt,
        qualification_create,
    )
    from webhooks.services import endpoint_create, webhook_emit
    from workers.services import worker_block

    sandbox_checkout_confirm(deposit=deposit_start(user=employer, amount_cents=1_000))

    kept = submitted(employer, worker, moderator, shot=1)
    services.submission_approve(assignment=kept, by=employer)
    disputed = submitted(employer, worker, moderator, shot=2, title="Review our app")
    services.submission_reject(assignment=disputed, by=employer, reason="Wrong username")
    dispute_open(assignment=disputed, by=worker, reason="I did sign up", evidence=png(3))
    worker_block(employer=employer, worker=outsider, reason="Spam")
    # A proof sent back with an error keeps its checked screenshot against the claim.
    waiting = task_claim(
        campaign=active_campaign(employer, moderator, proof_fields=SHOT_FIELDS, title="Rate it"),
        worker=worker,
    )
    KeptScreenshot.objects.create(
        assignment=waiting, field_key="screenshot", file="private/kept/admin.png",
        content_type="image/png", width=1, height=1, phash=0,
    )  # fmt: skip

    give(worker, 5_000, key="payout")
    method = payout_method_add(user=worker, kind="bkash", destination="01712345678")
    payout_request(user=worker, method=method, amount_cents=1_000)

    notify(user=worker, kind="submission_approved", params={"campaign": kept.campaign.title})
    preferences_save(user=worker, email_kinds=["payout_paid"])
    endpoint_create(employer=employer, url="https://hooks.example.com/kaaj")
    webhook_emit(employer=employer, event="campaign.approved", data={"id": kept.campaign_id})
    user_suspend(user=outsider, by=moderator, reason="Fake proofs")
    audit_record(actor=moderator, action="campaign.approve", target=kept.campaign, reason="ok")
    token_issue(user=worker, name="Karim's phone")
    test = qualification_create(
        by=employer,
        spec=QualificationSpec(
            name="Reading signs",
            questions=[{"text": "2 + 2?", "kind": "choice", "choices": ["3", "4"], "answer": 1}],
            pass_mark=100,
        ),
    )
    qualification_attempt(qualification=test, worker=worker, answers=[1])
    # A worker's rating of the employer, answered (tasks.services.ratings).
    from tasks.services.ratings import rating_answer, rating_save

    rating, _created = rating_save(campaign=kept.campaign, worker=worker, pay=4, clarity=5, speed=3)
    rating_answer(rating=rating, by=employer, answer="Thank you")
    # A worker warned for rejections (workers.sanctions), with the audit row of it.
    from workers.sanctions import sanction_evaluate

    with override_settings(SANCTION_MIN_REVIEWED=1, SANCTION_REJECTION_PERCENT=1):
        assert sanction_evaluate(user_id=worker.pk, side="worker") is not None
    # A check task answered wrong stops the worker from its campaign (tasks.gold).
    checked = active_campaign(
        employer, moderator, title="Prices", instructions="Type the price of {{item}}.",
        task_inputs=({"item": "a", "_gold_username": ""}, {"item": "b", "_gold_username": "x"}),
        positions=1, gold_rate=50, gold_min_answers=1,
    )  # fmt: skip
    with patch("workers.claims.gold_due", return_value=True):
        check = task_claim(campaign=checked, worker=worker)
    services.assignment_submit(
        assignment=check, worker=worker, answers={"username": "wrong"}, files={}
    )
    services.bonus_pay(
        assignment=kept, by=employer, amount_cents=50, reason="Quick work", key="admin-world"
    )
    from tasks.services.groups import group_create, group_member_add
    from workers.searches import saved_search_save
    from workers.selectors import FeedFilters

    saved_search_save(worker=worker, name="Reviews", filters=FeedFilters(q="review"))

    group_member_add(group=group_create(owner=employer, name="Trusted"), worker=worker, by=employer)
    return {"assignment": kept.pk, "disputed": disputed.pk}


class FormValues(HTMLParser):
    """What a browser would post back from the admin's change form, unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            checkable = attrs.get("type") in ("checkbox", "radio")
            if checkable and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(attrs.get("value", "on" if checkable else ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.setdefault(self._select, []).append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # Browsers drop the newline that follows <textarea>.
            values = self.data[self._textarea]
            values[-1] = values[-1].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def form_values(html: str) -> dict[str, list[str]]:
    parser = FormValues()
    parser.feed(html)
    return parser.data


# --- Registration ----------------------------------------------------------------------------


def test_every_model_of_our_apps_is_registered_in_the_admin():
    missing = [label(model) for model in our_models() if not admin.site.is_registered(model)]
    assert missing == []


def test_the_view_only_list_names_real_models():
    labels = {label(model) for model in our_models()}
    assert labels >= VIEW_ONLY and set(PROTECTED_FIELDS) <= labels


# --- Every registered model's list and page --------------------------------------------------


def _filtered_query(model, superuser) -> str:
    """The first real choice of each filter the list offers, as its own link would ask."""
    model_admin = admin.site.get_model_admin(model)
    request = RequestFactory().get(admin_url(model, "changelist"))
    request.user = superuser
    changelist = model_admin.get_changelist_instance(request)
    for spec in changelist.filter_specs:
        choices = [choice for choice in spec.choices(changelist) if not choice["selected"]]
        if choices:
            return choices[0]["query_string"]
    return "?"


@pytest.mark.parametrize("model", our_models(), ids=label)
def test_superuser_opens_the_list_searched_and_filtered_and_a_row_page(
    model, root_client, superuser, world
):
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"the world fixture makes no {label(model)}"
    changelist = admin_url(model, "changelist")

    listing = root_client.get(changelist)
    assert listing.status_code == 200
    assert admin_url(model, "change", row.pk) in listing.content.decode() or (
        listing.context["cl"].result_count > listing.context["cl"].list_per_page
    )

    query = _filtered_query(model, superuser)
    searched = root_client.get(f"{changelist}{query}&q={row.pk}")
    assert searched.status_code == 200, query  # a refused lookup redirects with ?e=1
    assert searched.context["cl"].query == str(row.pk)

    page = root_client.get(admin_url(model, "change", row.pk))
    assert page.status_code == 200


@pytest.mark.parametrize("model", our_models(), ids=label)
def test_editable_rows_save_unchanged_and_view_only_rows_refuse_writes(
    model, root_client, superuser, world
):
    row = model._default_manager.order_by("pk").first()
    page = root_client.get(admin_url(model, "change", row.pk))
    response = root_client.post(admin_url(model, "change", row.pk), form_values(page.text))
    if label(model) in VIEW_ONLY:
        assert response.status_code == 403
        assert root_client.get(admin_url(model, "add")).status_code == 403
        deleted = root_client.post(admin_url(model, "delete", row.pk), {"post": "yes"})
        assert deleted.status_code == 403
        assert model._default_manager.filter(pk=row.pk).exists()
    else:
        assert response.status_code == 302, (
            response.context and response.context["adminform"].form.errors
        )


@pytest.mark.parametrize("model_label", sorted(PROTECTED_FIELDS))
def test_status_and_money_are_not_form_fields(model_label, root_client, world):
    model = apps.get_model(model_label)
    row = model._default_manager.order_by("pk").first()
    page = root_client.get(admin_url(model, "change", row.pk))
    editable = set(page.context["adminform"].form.fields)
    assert editable, "nothing at all is editable: the test would prove nothing"
    assert editable & PROTECTED_FIELDS[model_label] == set()


def test_a_campaign_posted_with_a_new_status_and_reward_keeps_them(root_client, world):
    campaign = world["assignment"].campaign
    url = admin_url(Campaign, "change", campaign.pk)
    data = form_values(root_client.get(url).text)
    data.update(title=["Sign up (typo fixed)"], status=["completed"], reward_cents=["1"])
    assert root_client.post(url, data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Sign up (typo fixed)"
    assert campaign.status == CampaignStatus.ACTIVE and campaign.reward_cents == 50


def test_money_is_shown_as_money(root_client, world):
    html = root_client.get(admin_url(Campaign, "changelist")).content.decode()
    assert "$0.50" in html  # the reward per task


def test_the_webhook_signing_secret_is_never_shown(root_client, world):
    from webhooks.models import Endpoint

    endpoint = Endpoint.objects.get()
    html = root_client.get(admin_url(Endpoint, "change", endpoint.pk)).content.decode()
    assert endpoint.url in html and endpoint.secret not in html


def test_an_assignment_page_shows_its_submissions_events_and_dispute(root_client, world):
    disputed = world["disputed"]
    html = root_client.get(admin_url(Assignment, "change", disputed.pk)).content.decode()
    assert "karim" in html  # the proof's answers
    assert "Wrong username" in html  # the rejection event's reason
    assert "I did sign up" in html  # the worker's dispute statement


def test_a_campaign_page_links_to_its_assignments_instead_of_inlining_its_tasks(
    root_client, world, employer, moderator
):
    other = _claims(employer, moderator, 2, "Another campaign")
    campaign = world["assignment"].campaign
    page = root_client.get(admin_url(Campaign, "change", campaign.pk))
    assert not any(
        inline.formset.model._meta.model_name == "task"
        for inline in page.context["inline_admin_formsets"]
    )
    link = f"{admin_url(Assignment, 'changelist')}?campaign__id__exact={campaign.pk}"
    assert link in page.content.decode()
    shown = root_client.get(link).context["cl"].result_list
    assert {row.campaign_id for row in shown} == {campaign.pk} != {other.pk}


def test_staff_add_a_user_by_email_and_password(root_client):
    from accounts.models import User

    response = root_client.post(
        admin_url(User, "add"),
        {
            "email": "new@example.com",
            "password1": "a long pass phrase",
            "password2": "a long pass phrase",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").check_password("a long pass phrase")


def test_the_admin_index_lists_our_apps(root_client, world):
    html = root_client.get(reverse("admin:index")).content.decode()
    for model in (Assignment, Campaign):
        assert admin_url(model, "changelist") in html


# --- Who gets in -----------------------------------------------------------------------------


def test_a_non_staff_user_is_sent_to_the_admin_login(client, worker):
    client.force_login(worker)
    for url in (reverse("admin:index"), admin_url(Assignment, "changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permissions_cannot_open_a_list(client, moderator):
    client.force_login(moderator)
    assert client.get(admin_url(Assignment, "changelist")).status_code == 403


# --- Big tables ------------------------------------------------------------------------------


def _claims(employer, moderator, count: int, title: str) -> Campaign:
    campaign = active_campaign(employer, moderator, positions=count, title=title)
    for _ in range(count):
        task_claim(campaign=campaign, worker=UserFactory())
    return campaign


def _list_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("query", ["", "?status__exact=claimed&q=worker", "?p=2"])
def test_the_assignment_list_is_a_few_queries_whatever_the_rows(
    query, root_client, employer, moderator
):
    url = admin_url(Assignment, "changelist") + query
    _claims(employer, moderator, 3, "First")
    few = _list_queries(root_client, url.replace("?p=2", ""))
    _claims(employer, moderator, 120, "Second")  # more than one page of 100
    many = _list_queries(root_client, url)
    assert len(many) == len(few) <= 6  # session, user, capped count, the page
    counts = [sql for sql in many if "COUNT(" in sql.upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)  # never the whole table


def test_the_capped_paginator_counts_exactly_up_to_its_limit_then_estimates(
    employer, moderator, monkeypatch
):
    counted = _claims(employer, moderator, 12, "Counted")
    rows = Assignment.objects.filter(campaign=counted)  # not the module's world
    assert CappedCountPaginator(rows, 5).count == 12
    monkeypatch.setattr(CappedCountPaginator, "exact_limit", 10)
    estimated = CappedCountPaginator(rows, 5).count
    assert estimated >= 11  # at least what it counted before it stopped
    with CaptureQueriesContext(connection) as captured:
        CappedCountPaginator(rows, 5).count  # noqa: B018
    assert any(query["sql"].startswith("EXPLAIN") for query in captured.captured_queries)
