"""Payouts: methods, requests, manual decisions by moderators, the jobs, pages and API."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.errors import DomainError
from payments import jobs
from payments.models import (
    AccountKind,
    Movement,
    MovementKind,
    Payout,
    PayoutEvent,
    PayoutMethod,
    PayoutStatus,
)
from payments.selectors import account_balance, balances_of, ledger_violations
from payments.services import (
    payout_mark_paid,
    payout_method_add,
    payout_method_remove,
    payout_reject,
    payout_request,
)
from payments.services.ledger import system_account
from tests.factories import UserFactory
from tests.refusals import refused

from .helpers import give

pytestmark = pytest.mark.django_db


def bkash(user, number: str = "01712345678") -> PayoutMethod:
    return payout_method_add(user=user, kind="bkash", destination=number, label="")


def paypal(user, email: str = "karim@example.com") -> PayoutMethod:
    return payout_method_add(user=user, kind="paypal", destination=email, label="")


def nothing_changed(user, available: int) -> bool:
    return (
        balances_of(user).available_cents == available
        and balances_of(user).payout_cents == 0
        and not Payout.objects.exists()
        and not PayoutEvent.objects.exists()
        and not Movement.objects.filter(kind=MovementKind.PAYOUT_RESERVE).exists()
    )


@pytest.fixture
def funded_worker(worker):
    give(worker, 1_000)
    return worker


@pytest.fixture
def manual_payout(funded_worker):
    return payout_request(user=funded_worker, method=paypal(funded_worker), amount_cents=400)


# --- Payout methods -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "given", "stored"),
    [
        ("stripe", " acct_1Kaaj2Worker3 ", "acct_1Kaaj2Worker3"),
        ("paypal", "Karim@Example.COM", "karim@example.com"),
        ("skrill", "karim@example.com", "karim@example.com"),
        ("bkash", "01712345678", "01712345678"),
        ("bkash", "+880 1712-345678", "01712345678"),
        ("bkash", "8801912345678", "01912345678"),
    ],
)
def test_a_payout_method_is_stored_in_one_normal_form(worker, kind, given, stored):
    method = payout_method_add(user=worker, kind=kind, destination=given, label="Mine")
    assert (method.kind, method.destination, method.label) == (kind, stored, "Mine")


@pytest.mark.parametrize(
    ("kind", "given"),
    [
        ("stripe", "acct_"),
        ("stripe", "cus_1234567890"),
        ("paypal", "not-an-email"),
        ("skrill", "karim@"),
        ("bkash", "0171234567"),  # one digit short
        ("bkash", "01212345678"),  # no such operator
        ("bkash", "+441712345678"),
    ],
)
def test_a_wrong_destination_is_refused_next_to_its_field(worker, kind, given):
    with pytest.raises(ValidationError) as caught:
        payout_method_add(user=worker, kind=kind, destination=given, label="")
    assert list(caught.value.message_dict) == ["destination"]
    assert not PayoutMethod.objects.exists()


def test_the_same_method_cannot_be_saved_twice_but_can_after_removal(worker):
    first = bkash(worker)
    with pytest.raises(ValidationError):
        bkash(worker, "+8801712345678")
    assert payout_method_remove(user=worker, method=first) is True
    assert bkash(worker).pk != first.pk


def test_removing_a_method_keeps_its_payouts_snapshot(funded_worker):
    method = bkash(funded_worker)
    payout = payout_request(user=funded_worker, method=method, amount_cents=300)
    payout_method_remove(user=funded_worker, method=method)
    method.refresh_from_db()
    payout.refresh_from_db()
    assert method.removed_at is not None
    assert (payout.kind, payout.destination, payout.status) == ("bkash", "01712345678", "requested")


def test_nobody_removes_someone_elses_method(worker, outsider):
    method = bkash(worker)
    with refused("invalid_method"):
        payout_method_remove(user=outsider, method=method)
    method.refresh_from_db()
    assert method.removed_at is None


# --- Requesting -----------------------------------------------------------------------------


def test_a_request_reserves_the_money_at_once(funded_worker):
    payout = payout_request(user=funded_worker, method=bkash(funded_worker), amount_cents=600)
    assert payout.status == PayoutStatus.REQUESTED
    assert (payout.kind, payout.destination) == ("bkash", "01712345678")
    assert balances_of(funded_worker).available_cents == 400
    assert balances_of(funded_worker).payout_cents == 600
    movement = Movement.objects.get(idempotency_key=f"payout:{payout.pk}:reserve")
    assert (movement.kind, movement.reference, movement.actor) == (
        MovementKind.PAYOUT_RESERVE,
        f"payout:{payout.pk}",
        funded_worker,
    )
    event = payout.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("", "requested", funded_worker)
    assert ledger_violations() == []


def test_below_the_minimum_is_refused_and_changes_nothing(funded_worker, settings):
    settings.PAYOUT_MINIMUM_CENTS = 200
    method = bkash(funded_worker)
    with refused("amount_too_small", match=r"\$2\.00"):
        payout_request(user=funded_worker, method=method, amount_cents=199)
    assert nothing_changed(funded_worker, available=1_000)


def test_a_short_balance_is_refused_and_changes_nothing(funded_worker):
    method = bkash(funded_worker)
    with refused("insufficient_funds", match=r"\$10\.00") as caught:
        payout_request(user=funded_worker, method=method, amount_cents=1_001)
    assert caught.value.code == "insufficient_funds"
    assert nothing_changed(funded_worker, available=1_000)


def test_someone_elses_method_is_refused_and_changes_nothing(funded_worker, outsider):
    with refused("invalid_method"):
        payout_request(user=funded_worker, method=bkash(outsider), amount_cents=500)
    assert nothing_changed(funded_worker, available=1_000)


def test_a_removed_method_is_refused(funded_worker):
    method = bkash(funded_worker)
    payout_method_remove(user=funded_worker, method=method)
    method.refresh_from_db()
    with refused("invalid_method"):
        payout_request(user=funded_worker, method=method, amount_cents=500)
    assert nothing_changed(funded_worker, available=1_000)


def test_a_stripe_request_enqueues_its_send_after_commit(
    funded_worker, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(jobs.payout_send_job, "delay", sent.append)
    method = payout_method_add(
        user=funded_worker, kind="stripe", destination="acct_1Kaaj2Worker3", label=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_request(user=funded_worker, method=method, amount_cents=500)
        assert sent == []
    assert sent == [payout.pk]


def test_a_manual_request_enqueues_nothing(
    funded_worker, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(jobs.payout_send_job, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        payout_request(user=funded_worker, method=bkash(funded_worker), amount_cents=500)
    assert sent == []


# --- Jobs (sandbox provider) ----------------------------------------------------------------


def test_the_jobs_pay_requested_stripe_payouts_through_the_sandbox(funded_worker, settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    method = payout_method_add(
        user=funded_worker, kind="stripe", destination="acct_1Kaaj2Worker3", label=""
    )
    first = payout_request(user=funded_worker, method=method, amount_cents=300)
    second = payout_request(user=funded_worker, method=method, amount_cents=300)
    manual = payout_request(user=funded_worker, method=bkash(funded_worker), amount_cents=300)

    assert jobs.payout_send_job(first.pk) == "paid"
    assert jobs.payout_send_job(first.pk) == "skipped"
    assert jobs.payouts_send_requested_job() == 1
    assert jobs.payouts_retry_stuck_job() == 0

    statuses = dict(Payout.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "paid", second.pk: "paid", manual.pk: "requested"}
    assert Payout.objects.get(pk=second.pk).reference == f"sandbox_tr_{second.pk}"
    assert balances_of(funded_worker).payout_cents == 300
    assert ledger_violations() == []


def test_the_beat_runs_the_payout_sweepers(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"payments.payouts_send_requested", "payments.payouts_retry_stuck"} <= tasks


# --- Manual payouts -------------------------------------------------------------------------


def test_a_moderator_marks_a_manual_payout_paid_with_its_reference(
    manual_payout, moderator, funded_worker
):
    payout = payout_mark_paid(payout=manual_payout, reference=" PP-12345 ", by=moderator)
    assert (payout.status, payout.reference, payout.decided_by) == ("paid", "PP-12345", moderator)
    assert balances_of(funded_worker).payout_cents == 0
    assert balances_of(funded_worker).available_cents == 600
    assert account_balance(system_account(AccountKind.PAID_OUT, "paypal")) == 400
    event = payout.events.last()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        "requested",
        "paid",
        moderator,
        "PP-12345",
    )
    assert ledger_violations() == []


def test_a_reference_already_used_for_that_method_is_refused(
    funded_worker, moderator, manual_payout
):
    payout_mark_paid(payout=manual_payout, reference="PP-1", by=moderator)
    second = payout_request(
        user=funded_worker, method=paypal(funded_worker, "b@example.com"), amount_cents=300
    )
    with refused("reference_used", match="PP-1"):
        payout_mark_paid(payout=second, reference="PP-1", by=moderator)
    second.refresh_from_db()
    assert (second.status, second.reference) == ("requested", "")
    assert balances_of(funded_worker).payout_cents == 300


def test_the_same_reference_on_another_method_kind_is_fine(funded_worker, moderator):
    first = payout_request(user=funded_worker, method=paypal(funded_worker), amount_cents=300)
    second = payout_request(user=funded_worker, method=bkash(funded_worker), amount_cents=300)
    payout_mark_paid(payout=first, reference="TX-9", by=moderator)
    assert payout_mark_paid(payout=second, reference="TX-9", by=moderator).status == "paid"


def test_a_moderator_rejects_with_a_reason_and_the_money_comes_back(
    manual_payout, moderator, funded_worker
):
    payout = payout_reject(payout=manual_payout, reason="Wrong PayPal name", by=moderator)
    assert (payout.status, payout.failure_reason) == ("rejected", "Wrong PayPal name")
    assert balances_of(funded_worker).available_cents == 1_000
    assert balances_of(funded_worker).payout_cents == 0
    assert Movement.objects.filter(idempotency_key=f"payout:{payout.pk}:return").exists()
    assert ledger_violations() == []


def test_a_rejection_needs_a_reason(manual_payout, moderator):
    with pytest.raises(DomainError, match="why"):
        payout_reject(payout=manual_payout, reason="  ", by=moderator)
    manual_payout.refresh_from_db()
    assert manual_payout.status == "requested"


def test_a_payout_is_decided_once(manual_payout, moderator, funded_worker):
    payout_reject(payout=manual_payout, reason="No", by=moderator)
    with refused("payout_not_pending"):
        payout_mark_paid(payout=manual_payout, reference="PP-2", by=moderator)
    with refused("payout_not_pending"):
        payout_reject(payout=manual_payout, reason="Again", by=moderator)
    assert balances_of(funded_worker).available_cents == 1_000
    assert ledger_violations() == []


@pytest.mark.parametrize("who", ["worker", "outsider"])
def test_only_moderators_decide(manual_payout, request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        payout_mark_paid(payout=manual_payout, reference="PP-3", by=user)
    with pytest.raises(PermissionDenied):
        payout_reject(payout=manual_payout, reason="No", by=user)
    manual_payout.refresh_from_db()
    assert manual_payout.status == "requested"


def test_a_stripe_payout_cannot_be_marked_paid_by_hand(funded_worker, moderator):
    method = payout_method_add(
        user=funded_worker, kind="stripe", destination="acct_1Kaaj2Worker3", label=""
    )
    payout = payout_request(user=funded_worker, method=method, amount_cents=300)
    with refused("not_manual"):
        payout_mark_paid(payout=payout, reference="tr_x", by=moderator)


# --- Pages ----------------------------------------------------------------------------------


def test_withdraw_page_shows_balance_minimum_and_methods(client, funded_worker, settings):
    settings.PAYOUT_MINIMUM_CENTS = 250
    bkash(funded_worker)
    client.force_login(funded_worker)
    html = client.get(reverse("payments:withdraw")).content.decode()
    assert "$10.00" in html and "$2.50" in html and "01712345678" in html


def test_withdraw_page_sends_a_worker_without_methods_to_add_one(client, funded_worker):
    client.force_login(funded_worker)
    html = client.get(reverse("payments:withdraw")).content.decode()
    assert reverse("payments:payout_methods") in html
    assert 'name="amount"' not in html


def test_withdrawing_through_the_page_reserves_and_redirects(client, funded_worker):
    method = bkash(funded_worker)
    client.force_login(funded_worker)
    response = client.post(reverse("payments:withdraw"), {"amount": "7.5", "method": method.pk})
    assert response.status_code == 302 and response.url == reverse("payments:payouts")
    assert Payout.objects.get().amount_cents == 750
    assert balances_of(funded_worker).payout_cents == 750


@pytest.mark.parametrize(
    ("amount", "message"),
    [("abc", "Enter an amount"), ("1.99", "The smallest withdrawal"), ("10.01", "$10.00")],
)
def test_withdraw_errors_show_next_to_the_amount(client, funded_worker, amount, message):
    method = bkash(funded_worker)
    client.force_login(funded_worker)
    response = client.post(reverse("payments:withdraw"), {"amount": amount, "method": method.pk})
    assert response.status_code == 400
    assert message in str(response.context["form"].errors["amount"])
    assert 'id="id_amount_errors"' in response.content.decode()
    assert not Payout.objects.exists()


def test_the_withdraw_page_offers_only_own_methods(client, funded_worker, outsider):
    theirs = bkash(outsider)
    client.force_login(funded_worker)
    response = client.post(reverse("payments:withdraw"), {"amount": "5", "method": theirs.pk})
    assert response.status_code == 400
    assert "method" in response.context["form"].errors
    assert not Payout.objects.exists()


@pytest.mark.parametrize(
    "name", ["payments:withdraw", "payments:payouts", "payments:payout_methods"]
)
def test_payout_pages_send_anonymous_users_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_adding_a_payout_method_on_the_page(client, worker):
    client.force_login(worker)
    response = client.post(
        reverse("payments:payout_methods"),
        {"kind": "bkash", "destination": "+8801712345678", "label": "My bKash"},
    )
    assert response.status_code == 302
    assert PayoutMethod.objects.get(user=worker).destination == "01712345678"
    html = client.get(reverse("payments:payout_methods")).content.decode()
    assert "My bKash" in html and "01712345678" in html


def test_a_bad_destination_shows_next_to_its_field(client, worker):
    client.force_login(worker)
    response = client.post(
        reverse("payments:payout_methods"), {"kind": "stripe", "destination": "nope"}
    )
    assert response.status_code == 400
    assert "acct_" in str(response.context["form"].errors["destination"])
    assert not PayoutMethod.objects.exists()


def test_removing_a_method_is_post_only_and_own_only(client, worker, outsider):
    method = bkash(worker)
    url = reverse("payments:payout_method_remove", args=[method.pk])
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(worker)
    assert client.get(url).status_code == 405
    method.refresh_from_db()
    assert method.removed_at is None
    assert client.post(url).status_code == 302
    method.refresh_from_db()
    assert method.removed_at is not None
    client.logout()
    assert client.post(url).status_code == 302  # to the login page
    assert "01712345678" not in client.get(reverse("payments:payout_methods")).content.decode()


def test_my_payouts_shows_status_reference_and_reason_of_own_payouts_only(
    client, funded_worker, outsider, moderator, django_assert_max_num_queries
):
    first = payout_request(user=funded_worker, method=paypal(funded_worker), amount_cents=300)
    second = payout_request(user=funded_worker, method=bkash(funded_worker), amount_cents=200)
    payout_mark_paid(payout=first, reference="PP-777", by=moderator)
    payout_reject(payout=second, reason="Number belongs to someone else", by=moderator)
    give(outsider, 1_000)
    payout_request(user=outsider, method=bkash(outsider, "01812345678"), amount_cents=999)
    client.force_login(funded_worker)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("payments:payouts")).content.decode()
    assert "PP-777" in html and "Number belongs to someone else" in html
    assert "Rejected" in html and "Paid" in html
    assert "$9.99" not in html and "01812345678" not in html


def test_the_queue_lists_waiting_manual_payouts_oldest_first(
    client, funded_worker, outsider, moderator, django_assert_max_num_queries
):
    give(outsider, 1_000)
    older = payout_request(user=funded_worker, method=paypal(funded_worker), amount_cents=301)
    newer = payout_request(user=outsider, method=bkash(outsider), amount_cents=302)
    stripe = payout_method_add(user=outsider, kind="stripe", destination="acct_1Out00000", label="")
    payout_request(user=outsider, method=stripe, amount_cents=303)
    decided = payout_request(user=funded_worker, method=bkash(funded_worker), amount_cents=304)
    payout_reject(payout=decided, reason="No", by=moderator)
    client.force_login(moderator)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("moderation:payouts"))
    html = response.content.decode()
    assert [row["payout"].pk for row in response.context["rows"]] == [older.pk, newer.pk]
    assert "karim@example.com" in html and "01712345678" in html and "Karim" in html
    assert "$3.03" not in html and "$3.04" not in html


def test_the_queue_is_hidden_from_others(client, worker):
    url = reverse("moderation:payouts")
    response = client.get(url)
    assert response.status_code == 302 and reverse("account_login") in response.url
    client.force_login(worker)
    assert client.get(url).status_code == 403
    assert (
        reverse("moderation:payouts") not in client.get(reverse("payments:wallet")).content.decode()
    )


def test_moderator_reaches_the_queue_from_the_navigation(client, moderator):
    client.force_login(moderator)
    html = client.get(reverse("payments:wallet")).content.decode()
    assert reverse("moderation:home") in html  # the console, which links every queue
    html = client.get(reverse("moderation:home")).content.decode()
    assert reverse("moderation:payouts") in html


def test_marking_paid_on_the_page(client, moderator, manual_payout):
    client.force_login(moderator)
    url = reverse("moderation:payout_mark_paid", args=[manual_payout.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"reference": "PP-42"})
    assert response.status_code == 302
    manual_payout.refresh_from_db()
    assert (manual_payout.status, manual_payout.reference) == ("paid", "PP-42")


def test_a_duplicate_reference_on_the_page_shows_next_to_the_field(
    client, moderator, manual_payout, funded_worker
):
    payout_mark_paid(payout=manual_payout, reference="PP-42", by=moderator)
    second = payout_request(
        user=funded_worker, method=paypal(funded_worker, "x@example.com"), amount_cents=300
    )
    client.force_login(moderator)
    response = client.post(
        reverse("moderation:payout_mark_paid", args=[second.pk]), {"reference": "PP-42"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_reference_{second.pk}_errors"' in html and "PP-42" in html
    second.refresh_from_db()
    assert second.status == "requested"


def test_rejecting_on_the_page_returns_the_money_and_the_worker_sees_why(
    client, moderator, manual_payout, funded_worker
):
    client.force_login(moderator)
    url = reverse("moderation:payout_reject", args=[manual_payout.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "PayPal account is closed"}).status_code == 302
    assert balances_of(funded_worker).available_cents == 1_000
    client.force_login(funded_worker)
    assert "PayPal account is closed" in client.get(reverse("payments:payouts")).content.decode()


@pytest.mark.parametrize("action", ["mark_paid", "reject"])
def test_deciding_on_the_page_is_for_moderators_only(client, worker, manual_payout, action):
    url = reverse(f"moderation:payout_{action}", args=[manual_payout.pk])
    data = {"reference": "PP-1", "reason": "No"}
    response = client.post(url, data)
    assert response.status_code == 302 and reverse("account_login") in response.url
    client.force_login(worker)
    assert client.post(url, data).status_code == 403
    manual_payout.refresh_from_db()
    assert manual_payout.status == "requested"


def test_the_wallet_links_to_withdraw_and_payout_methods(client, worker):
    client.force_login(worker)
    html = client.get(reverse("payments:wallet")).content.decode()
    assert reverse("payments:withdraw") in html and reverse("payments:payout_methods") in html


# --- API ------------------------------------------------------------------------------------

METHODS_URL = "/api/v1/payout-methods/"
PAYOUTS_URL = "/api/v1/payouts/"


def test_api_saves_lists_and_removes_payout_methods(api_as, worker, outsider):
    api = api_as(worker)
    created = api.post(
        METHODS_URL, {"kind": "skrill", "destination": "K@Example.com", "label": "S"}
    )
    assert created.status_code == 201
    body = created.json()
    assert body == {
        "id": body["id"],
        "kind": "skrill",
        "destination": "k@example.com",
        "label": "S",
    }
    bkash(outsider)
    assert [m["id"] for m in api.get(METHODS_URL).json()["results"]] == [body["id"]]

    theirs = PayoutMethod.objects.get(user=outsider)
    assert api.delete(f"{METHODS_URL}{theirs.pk}/").status_code == 404
    assert api.delete(f"{METHODS_URL}{body['id']}/").status_code == 204
    assert api.get(METHODS_URL).json()["results"] == []


def test_api_refuses_a_bad_destination_with_its_field(api_as, worker):
    response = api_as(worker).post(METHODS_URL, {"kind": "bkash", "destination": "12345"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["destination"]


def test_api_withdrawal_returns_the_payout(api_as, funded_worker):
    method = bkash(funded_worker)
    response = api_as(funded_worker).post(PAYOUTS_URL, {"amount_cents": 500, "method": method.pk})
    assert response.status_code == 201
    body = response.json()
    payout = Payout.objects.get()
    assert body == {
        "id": payout.pk,
        "amount_cents": 500,
        "method": method.pk,
        "status": "requested",
        "reference": "",
        "failure_reason": "",
        "created_at": body["created_at"],
    }
    assert datetime.fromisoformat(body["created_at"]) == payout.created_at
    assert api_as(funded_worker).get("/api/v1/me/").json()["balance"]["payout_cents"] == 500


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        (1_001, 409, "insufficient_funds"),
        (199, 400, "amount_too_small"),
        (0, 400, "amount_too_small"),
    ],
)
def test_api_withdrawal_errors_have_clear_codes(api_as, funded_worker, amount, status, code):
    method = bkash(funded_worker)
    response = api_as(funded_worker).post(
        PAYOUTS_URL, {"amount_cents": amount, "method": method.pk}
    )
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["detail"]
    assert nothing_changed(funded_worker, available=1_000)


@pytest.mark.parametrize("whose", ["outsider", "nobody"])
def test_api_withdrawal_to_a_method_not_yours_is_invalid_method(
    api_as, funded_worker, outsider, whose
):
    method_id = bkash(outsider).pk if whose == "outsider" else 999_999
    response = api_as(funded_worker).post(PAYOUTS_URL, {"amount_cents": 500, "method": method_id})
    assert response.status_code == 400 and response.json()["code"] == "invalid_method"
    assert nothing_changed(funded_worker, available=1_000)


def test_api_lists_only_own_payouts(api_as, funded_worker, outsider):
    mine = payout_request(user=funded_worker, method=bkash(funded_worker), amount_cents=300)
    give(outsider, 500)
    payout_request(user=outsider, method=bkash(outsider), amount_cents=300)
    body = api_as(funded_worker).get(PAYOUTS_URL).json()
    assert [p["id"] for p in body["results"]] == [mine.pk]


def test_api_needs_a_login(api_client):
    assert api_client.get(PAYOUTS_URL).status_code == 401
    assert api_client.post(METHODS_URL, {}).status_code == 401


def test_api_moderator_marks_paid_and_a_duplicate_reference_is_a_conflict(
    api_as, moderator, manual_payout, funded_worker
):
    api = api_as(moderator)
    url = f"/api/v1/moderation/payouts/{manual_payout.pk}/mark-paid/"
    response = api.post(url, {"reference": "PP-9"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reference"]) == ("paid", "PP-9")
    assert api.post(url, {"reference": "PP-10"}).json()["code"] == "payout_not_pending"

    second = payout_request(
        user=funded_worker, method=paypal(funded_worker, "z@example.com"), amount_cents=300
    )
    response = api.post(f"/api/v1/moderation/payouts/{second.pk}/mark-paid/", {"reference": "PP-9"})
    assert response.status_code == 409 and response.json()["code"] == "reference_used"


def test_api_moderator_rejects_with_a_reason(api_as, moderator, manual_payout, funded_worker):
    api = api_as(moderator)
    url = f"/api/v1/moderation/payouts/{manual_payout.pk}/reject/"
    assert api.post(url, {"reason": ""}).status_code == 400
    response = api.post(url, {"reason": "Name does not match"})
    assert response.status_code == 200
    assert response.json()["failure_reason"] == "Name does not match"
    assert balances_of(funded_worker).available_cents == 1_000
    worker_view = api_as(funded_worker).get(PAYOUTS_URL).json()["results"][0]
    assert (worker_view["status"], worker_view["failure_reason"]) == (
        "rejected",
        "Name does not match",
    )


@pytest.mark.parametrize("action", ["mark-paid", "reject"])
def test_api_decisions_are_for_moderators_only(api_as, api_client, manual_payout, action):
    url = f"/api/v1/moderation/payouts/{manual_payout.pk}/{action}/"
    data = {"reference": "PP-1", "reason": "No"}
    assert api_client.post(url, data).status_code == 401
    response = api_as(manual_payout.user).post(url, data)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert api_as(UserFactory()).post(url, data).status_code == 403
    manual_payout.refresh_from_db()
    assert manual_payout.status == "requested"
