"""Bonuses: an employer pays the worker of one of their assignments money on top of its reward,
from the wallet with Kaaj's fee, once per idempotency key, through the service, the API and
the review queue's page; the worker is told, and both wallets say it in plain words."""

import pytest
from django.urls import reverse

from notifications.models import Notification, NotificationKind
from payments.models import Movement
from payments.selectors import balances_of, ledger_violations
from tasks.models import Bonus
from tasks.services import bonus_pay
from workers.claims import task_claim

from ..payments.helpers import give, run_together
from ..refusals import refused
from .api_helpers import submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(employer, moderator, worker):
    """An assignment whose proof the worker sent, on a campaign of the employer's (who has
    $98.35 left: less than the largest bonus and its fee)."""
    return submitted(employer, worker, moderator)


def pay(assignment, by, amount=100, reason="Fast and careful work", key="k1"):
    return bonus_pay(assignment=assignment, by=by, amount_cents=amount, reason=reason, key=key)


def test_a_bonus_moves_money_with_the_fee_and_tells_the_worker(employer, worker, sent):
    before = balances_of(employer).available_cents
    bonus, created = pay(sent, employer, amount=250)
    assert created and (bonus.amount_cents, bonus.fee_cents) == (250, 25)
    assert balances_of(worker).available_cents == 250
    assert balances_of(employer).available_cents == before - 275
    notice = Notification.objects.get(user=worker, kind=NotificationKind.BONUS_RECEIVED)
    assert notice.params["reason"] == "Fast and careful work"
    assert ledger_violations() == []


def test_the_same_key_pays_once_and_another_bonus_may_not_reuse_it(employer, worker, sent):
    first, _created = pay(sent, employer)
    again, created = pay(sent, employer)
    assert again == first and not created
    assert balances_of(worker).available_cents == 100
    with refused("key_reused"):
        pay(sent, employer, amount=300)
    pay(sent, employer, key="k2")  # a second bonus, with a key of its own
    assert balances_of(worker).available_cents == 200


def test_racing_requests_with_one_key_pay_once(employer, worker, sent, transactional_db):
    results = run_together(4, lambda _i: pay(sent, employer))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(created for _bonus, created in results) == 1
    assert Bonus.objects.count() == 1
    assert Movement.objects.filter(kind="bonus").count() == 1
    assert balances_of(worker).available_cents == 100
    assert ledger_violations() == []


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"amount": 0}, "invalid", "amount_cents"),
        ({"amount": 10_001}, "invalid", "amount_cents"),
        ({"reason": "  "}, "reason_required", "reason"),
        ({"key": ""}, "key_required", "key"),
        ({"key": "k" * 101}, "key_required", "key"),
        ({"amount": 10_000}, "insufficient_funds", "amount_cents"),
    ],
)
def test_a_bad_bonus_is_refused_and_moves_nothing(employer, worker, sent, changes, code, field):
    employer_before = balances_of(employer).available_cents
    values = {"amount": 100, "reason": "Thanks", "key": "k1"} | changes
    with refused(code) as caught:
        pay(sent, employer, **values)
    assert caught.value.field == field
    assert balances_of(worker).available_cents == 0
    assert balances_of(employer).available_cents == employer_before
    assert not Bonus.objects.exists()


def test_only_the_campaigns_employer_and_only_for_work_sent(
    employer, outsider, worker, moderator, sent
):
    give(outsider, 1_000, key="outsider")
    with refused("not_found"):
        pay(sent, outsider)
    claimed = task_claim(campaign=sent.campaign, worker=outsider)
    with refused("not_submitted"):
        pay(claimed, employer)


def test_the_api_pays_a_bonus_once_per_idempotency_key(api_as, employer, worker, outsider, sent):
    url = f"/api/v1/assignments/{sent.pk}/bonus/"
    body = {"amount_cents": 150, "reason": "Great photos"}
    client = api_as(employer)
    made = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert made.status_code == 201, made.json()
    assert made.json()["amount_cents"] == 150 and made.json()["fee_cents"] == 15
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    missing = client.post(url, body, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "key_required"
    too_big = client.post(url, body | {"amount_cents": 10_001}, format="json",
                          HTTP_IDEMPOTENCY_KEY="abc-2")  # fmt: skip
    assert too_big.status_code == 400
    theirs = api_as(outsider).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert theirs.status_code == 404
    assert balances_of(worker).available_cents == 150


def test_the_page_pays_a_bonus_and_both_wallets_say_so(client, employer, worker, sent):
    client.force_login(employer)
    queue = client.get(reverse("tasks:campaign_manage", args=[sent.campaign_id])).content
    url = reverse("tasks:assignment_bonus", args=[sent.pk])
    assert url.encode() in queue
    page = client.get(url)
    assert page.status_code == 200 and b"Kaaj's fee on top" in page.content
    key = page.context["form"].initial["key"]
    wrong = client.post(url, {"amount": "abc", "reason": "", "key": key})
    assert wrong.status_code == 400
    assert "Enter an amount such as 12.50." in wrong.content.decode()
    done = client.post(url, {"amount": "1.20", "reason": "Thank you", "key": key})
    assert done.status_code == 302
    twice = client.post(url, {"amount": "1.20", "reason": "Thank you", "key": key})
    assert twice.status_code == 302
    assert balances_of(worker).available_cents == 120
    wallet = client.get(reverse("payments:wallet")).content.decode()
    assert "Bonus sent for" in wallet and sent.campaign.title in wallet
    client.force_login(worker)
    wallet = client.get(reverse("payments:wallet")).content.decode()
    assert "Bonus received for" in wallet and sent.campaign.title in wallet
