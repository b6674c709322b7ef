"""Check tasks ("gold"): rows of the task file with ``_gold_<proof key>`` answers, mixed among
the paid tasks at the campaign's rate, free for the employer, paid by Kaaj when answered
right, and a stop from the campaign for a worker right too seldom — lifted when a dispute
decided for them brings their accuracy back."""

import threading
from collections import Counter

import pytest
from django.db import close_old_connections
from django.urls import reverse

from notifications.models import Notification, NotificationKind
from payments.models import Account, AccountKind
from payments.selectors import balances_of, ledger_violations
from tasks import gold
from tasks.models import Assignment, AssignmentStatus, GoldStop, TaskStatus
from tasks.selectors import gold_accuracies, gold_accuracy
from tasks.services import (
    assignment_release,
    assignment_submit,
    campaign_add_positions,
    campaign_create,
    campaigns_complete_due,
    submission_approve,
)
from tasks.services.disputes import dispute_open, dispute_resolve
from tests.factories import UserFactory
from workers.claims import task_claim
from workers.eligibility import standing_read
from workers.selectors import feed, success_rate

from ..payments.helpers import give
from ..refusals import refused
from .dispute_helpers import escrow_of
from .helpers import active_campaign, spec

pytestmark = pytest.mark.django_db

PROOF = [{"key": "answer", "label": "The product's price", "kind": "text", "required": True}]
ROWS = [
    {"item": "https://shop.example.com/1", "_gold_answer": ""},
    {"item": "https://shop.example.com/2", "_gold_answer": ""},
    {"item": "https://shop.example.com/3", "_gold_answer": ""},
    {"item": "https://shop.example.com/4", "_gold_answer": ""},
    {"item": "https://shop.example.com/g1", "_gold_answer": "Tk 120"},
    {"item": "https://shop.example.com/g2", "_gold_answer": "/tk\\s*2\\d0/"},
    {"item": "https://shop.example.com/g3", "_gold_answer": "Tk 300"},
]
INSTRUCTIONS = "Open {{item}} and type the price it shows."


def golden(employer, moderator, **changes):
    values = {
        "proof_fields": PROOF,
        "task_inputs": tuple(ROWS),
        "positions": 4,
        "instructions": INSTRUCTIONS,
        "gold_rate": 20,
        "gold_min_answers": 2,
        "gold_min_accuracy": 60,
        "max_tasks_per_worker": 10,
    }
    return active_campaign(employer, moderator, **(values | changes))


@pytest.fixture
def always_gold(monkeypatch):
    """Every claim's draw says a check task is due (the draw itself: test_the_draw_...)."""
    monkeypatch.setattr("workers.claims.gold_due", lambda **kwargs: True)


def gold_claim(campaign, worker):
    assignment = task_claim(campaign=campaign, worker=worker)
    assert assignment.is_gold and assignment.task.status == TaskStatus.GOLD
    return assignment


def right_answer(assignment) -> str:
    """An answer its check task takes (the pattern's: one it matches)."""
    expected = assignment.task.input["_gold_answer"]
    return {"/tk\\s*2\\d0/": "tk 250"}.get(expected, expected)


def answer(assignment, worker, text):
    assignment_submit(assignment=assignment, worker=worker, answers={"answer": text}, files={})
    return Assignment.objects.get(pk=assignment.pk)


def gold_account_balance() -> int:
    """What check tasks cost Kaaj so far (a system account: the sum of its transfers)."""
    account = Account.objects.filter(kind=AccountKind.GOLD).first()
    if account is None:
        return 0
    credits = sum(t.amount for t in account.credits.all())
    return credits - sum(t.amount for t in account.debits.all())


# --- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "typed", "right"),
    [
        ("Tk 120", "  tk   120 ", True),
        ("Tk 120", "Tk 12", False),
        ("/tk\\s*2\\d0/", "TK250", True),
        ("/tk\\s*2\\d0/", "tk 250 taka", False),  # the whole answer must match
        ("/^\\d{4}$/", "2026", True),
    ],
)
def test_an_answer_is_compared_without_case_or_spaces_or_by_a_pattern(expected, typed, right):
    assert gold.answer_matches(expected, typed) is right


def test_the_draw_serves_about_the_rate_and_always_the_same_for_the_same_claim():
    draws = [gold.gold_due(secret="s3cret", worker_id=7, claims=n, rate=20) for n in range(2000)]
    assert 0.16 < sum(draws) / len(draws) < 0.24
    again = [gold.gold_due(secret="s3cret", worker_id=7, claims=n, rate=20) for n in range(2000)]
    assert draws == again
    other = [gold.gold_due(secret="other", worker_id=7, claims=n, rate=20) for n in range(2000)]
    assert draws != other  # a worker cannot learn the pattern of one campaign from another
    assert not any(gold.gold_due(secret="s", worker_id=7, claims=n, rate=0) for n in range(50))


def test_a_stop_needs_enough_answers_and_too_few_right():
    assert not gold.stops(gold.Accuracy(1, 0), min_answers=2, min_accuracy=60)
    assert gold.stops(gold.Accuracy(2, 1), min_answers=2, min_accuracy=60)
    assert not gold.stops(gold.Accuracy(5, 3), min_answers=2, min_accuracy=60)  # exactly 60 %
    assert gold.stops(gold.Accuracy(5, 2), min_answers=2, min_accuracy=60)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"proof_fields": [{"key": "shot", "label": "A screenshot", "kind": "screenshot"}],
          "task_inputs": tuple({"item": r["item"], "_gold_shot": r["_gold_answer"]}
                               for r in ROWS)},
         "task_inputs", "names no text or link proof"),
        ({"task_inputs": (*ROWS[:4], {"item": "x", "_gold_answer": "/([a-z/"})},
         "task_inputs", "not a regular expression"),
        ({"task_inputs": tuple(ROWS[4:]), "positions": 1}, "task_inputs", "rows that are not"),
        ({"task_inputs": tuple(ROWS[:4])}, "gold_rate", "need rows with expected answers"),
        ({"gold_rate": 0}, "gold_rate", "say how often"),
        ({"gold_rate": 51}, "gold_rate", None),
        ({"positions": 7}, "positions", "check tasks aside"),
    ],
)  # fmt: skip
def test_what_a_campaign_with_check_tasks_may_be(employer, changes, field, message):
    values = {
        "proof_fields": PROOF,
        "task_inputs": tuple(ROWS),
        "positions": 4,
        "instructions": INSTRUCTIONS,
        "gold_rate": 20,
    }
    with refused("invalid", match=message) as caught:
        campaign_create(employer=employer, spec=spec(**(values | changes)))
    assert field in (caught.value.errors or {caught.value.field: []})


def test_check_tasks_are_not_positions_and_cost_the_employer_nothing(employer, moderator):
    campaign = golden(employer, moderator)
    statuses = Counter(campaign.tasks.values_list("status", flat=True))
    assert statuses == {TaskStatus.OPEN: 4, TaskStatus.GOLD: 3}
    assert escrow_of(campaign) == 4 * campaign.cost_per_task_cents
    # Positions added later keep their own numbers, check tasks theirs.
    give(employer, 1_000, key="more")
    campaign_add_positions(
        campaign=campaign,
        by=employer,
        count=1,
        task_inputs=[{"item": "n", "_gold_answer": ""}, {"item": "g", "_gold_answer": "Tk 9"}],
    )
    numbers = sorted(campaign.tasks.values_list("status", "number"))
    assert numbers == [("gold", 1), ("gold", 2), ("gold", 3), ("gold", 4)] + [
        ("open", n) for n in range(1, 6)
    ]
    assert escrow_of(campaign) == 5 * campaign.cost_per_task_cents
    assert ledger_violations() == []


# --- serving and answering ---------------------------------------------------------------------


def test_a_check_task_looks_like_any_other_to_the_worker(
    api_as, client, employer, moderator, worker, always_gold
):
    campaign = golden(employer, moderator)
    claim = api_as(worker).post(f"/api/v1/campaigns/{campaign.pk}/claim/").json()
    assert set(claim["task"]["input"]) == {"item"}
    assert "gold" not in str(claim).lower()
    client.force_login(worker)
    page = client.get(reverse("workers:assignment", args=[claim["id"]])).content.decode()
    assert "Tk 120" not in page and "Tk 300" not in page and "_gold_" not in page


def test_each_check_task_once_per_worker_and_never_without_paid_work(
    employer, moderator, worker, monkeypatch
):
    campaign = golden(employer, moderator)
    monkeypatch.setattr("workers.claims.gold_due", lambda **kwargs: True)
    served = []
    for _n in range(3):
        assignment = gold_claim(campaign, worker)
        served.append(assignment.task_id)
        answer(assignment, worker, right_answer(assignment))
    assert len(set(served)) == 3
    fourth = task_claim(campaign=campaign, worker=worker)  # none left to answer: a paid task
    assert not fourth.is_gold and fourth.task.status == TaskStatus.ASSIGNED
    # With no position open, no check task is served either.
    monkeypatch.setattr("workers.claims.gold_due", lambda **kwargs: False)
    for _n in range(3):
        task_claim(campaign=campaign, worker=UserFactory())
    monkeypatch.setattr("workers.claims.gold_due", lambda **kwargs: True)
    with refused("no_task_left"):
        task_claim(campaign=campaign, worker=UserFactory(email="other@example.com"))


def test_a_right_answer_is_approved_at_once_and_paid_by_kaaj(
    employer, moderator, worker, always_gold
):
    campaign = golden(employer, moderator)
    escrow = escrow_of(campaign)
    assignment = gold_claim(campaign, worker)
    decided = answer(assignment, worker, right_answer(assignment))
    assert decided.status == AssignmentStatus.APPROVED
    assert decided.events.order_by("-id").first().reason == "gold"
    assert balances_of(worker).available_cents == campaign.reward_cents
    assert escrow_of(campaign) == escrow  # the employer paid nothing
    assert gold_account_balance() == -campaign.reward_cents
    assert decided.task.status == TaskStatus.GOLD  # still a check task, for the next worker
    assert ledger_violations() == []
    # Neither a success rate nor the employer's record counts it.
    assert success_rate(worker) is None
    assert standing_read(worker).reviewed == 0


def test_wrong_answers_stop_the_worker_and_say_why(employer, moderator, worker, always_gold):
    campaign = golden(employer, moderator)
    first = answer(gold_claim(campaign, worker), worker, "no idea")
    assert first.status == AssignmentStatus.REJECTED
    assert (
        "This was a check task" in first.review_reason and "product's price" in first.review_reason
    )
    assert first.dispute_until is not None
    assert not GoldStop.objects.exists()  # one answer is not enough to judge
    answer(gold_claim(campaign, worker), worker, "still no idea")
    stop = GoldStop.objects.get()
    assert (stop.campaign, stop.worker, stop.answered, stop.right) == (campaign, worker, 2, 0)
    assert balances_of(worker).available_cents == 0
    with refused("gold_stopped", match="dispute each one"):
        task_claim(campaign=campaign, worker=worker)
    assert campaign not in feed(worker=worker)
    notice = Notification.objects.get(user=worker, kind=NotificationKind.GOLD_STOPPED)
    assert notice.params["right"] == 0 and notice.params["answered"] == 2
    assert success_rate(worker) is None  # the stop is the only consequence
    # Another campaign of the same employer is not touched.
    other = golden(employer, moderator, title="Another shop")
    assert other in feed(worker=worker)


def test_a_dispute_decided_for_the_worker_pays_and_lifts_the_stop(
    employer, moderator, worker, always_gold
):
    campaign = golden(employer, moderator, gold_min_accuracy=50)
    wrong = [answer(gold_claim(campaign, worker), worker, "Tk 999") for _n in range(2)]
    assert GoldStop.objects.filter(lifted_at=None).count() == 1
    dispute = dispute_open(
        assignment=wrong[0], by=worker, reason="The page showed Tk 999 when I opened it."
    )
    dispute_resolve(dispute=dispute, by=moderator, outcome="worker", reason="The price changed.")
    assert Assignment.objects.get(pk=wrong[0].pk).status == AssignmentStatus.APPROVED
    assert balances_of(worker).available_cents == campaign.reward_cents
    stop = GoldStop.objects.get()
    assert stop.lifted_at is not None  # 1 of 2 right: 50 %, what the campaign asks
    assert gold_accuracy(campaign_id=campaign.pk, worker_id=worker.pk) == gold.Accuracy(2, 1)
    assert Notification.objects.filter(user=worker, kind=NotificationKind.GOLD_STOP_LIFTED).exists()
    task_claim(campaign=campaign, worker=worker)
    assert ledger_violations() == []


def test_a_dispute_decided_for_the_employer_keeps_the_stop_and_the_check_task(
    employer, moderator, worker, always_gold
):
    campaign = golden(employer, moderator, gold_min_accuracy=100)
    answer(gold_claim(campaign, worker), worker, "Tk 999")
    answer(gold_claim(campaign, worker), worker, "Tk 998")
    wrong = Assignment.objects.filter(worker=worker).order_by("id").first()
    dispute = dispute_open(assignment=wrong, by=worker, reason="I am sure.")
    escrow = escrow_of(campaign)
    dispute_resolve(dispute=dispute, by=moderator, outcome="employer", reason="It was wrong.")
    closed = Assignment.objects.get(pk=wrong.pk)
    assert closed.status == AssignmentStatus.CLOSED and closed.task.status == TaskStatus.GOLD
    assert escrow_of(campaign) == escrow  # nothing refunded: a check task was never paid for
    assert GoldStop.objects.get().lifted_at is None
    assert ledger_violations() == []


def test_a_check_task_given_back_stays_one(employer, moderator, worker, always_gold):
    campaign = golden(employer, moderator)
    assignment = gold_claim(campaign, worker)
    assignment_release(assignment=assignment, worker=worker)
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.RELEASED
    assert assignment.task.__class__.objects.get(pk=assignment.task_id).status == TaskStatus.GOLD
    assert ledger_violations() == []


def test_check_tasks_do_not_count_against_the_per_worker_cap(
    employer, moderator, worker, monkeypatch
):
    campaign = golden(employer, moderator, max_tasks_per_worker=1)
    monkeypatch.setattr("workers.claims.gold_due", lambda **kwargs: True)
    answer(gold_claim(campaign, worker), worker, "Tk 120")
    monkeypatch.setattr("workers.claims.gold_due", lambda **kwargs: False)
    paid = task_claim(campaign=campaign, worker=worker)
    assert not paid.is_gold
    with refused("limit_reached"):
        task_claim(campaign=campaign, worker=worker)


def test_two_wrong_answers_sent_at_once_write_one_stop(
    employer, moderator, worker, always_gold, transactional_db
):
    campaign = golden(employer, moderator)
    claims = [gold_claim(campaign, worker) for _n in range(2)]
    barrier, errors = threading.Barrier(2), []

    def send(assignment):
        try:
            barrier.wait()
            answer(assignment, worker, "wrong")
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=send, args=(a,)) for a in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert GoldStop.objects.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.GOLD_STOPPED).count() == 1


# --- what the employer sees ------------------------------------------------------------------


def test_the_employer_sees_each_workers_accuracy(client, employer, moderator, worker, always_gold):
    campaign = golden(employer, moderator)
    careful = UserFactory(email="careful@example.com", display_name="Careful")
    first = gold_claim(campaign, careful)
    answer(first, careful, right_answer(first))
    for _n in range(2):
        answer(gold_claim(campaign, worker), worker, "wrong")
    rows = gold_accuracies(campaign)
    assert [(r.worker, r.accuracy, r.stopped) for r in rows] == [
        (worker, gold.Accuracy(2, 0), True),
        (careful, gold.Accuracy(1, 1), False),
    ]
    client.force_login(employer)
    page = client.get(reverse("tasks:campaign_manage", args=[campaign.pk])).content.decode()
    assert "Check-task accuracy" in page
    assert "0 of 2 right (0%)" in page and "stopped" in page


def test_the_api_takes_and_gives_the_gold_settings(api_as, employer):
    body = {
        "title": "Prices",
        "category": "sign-up",
        "instructions": INSTRUCTIONS,
        "reward_cents": 50,
        "positions": 4,
        "proof_fields": PROOF,
        "task_inputs": ROWS,
        "gold_rate": 10,
        "gold_min_accuracy": 80,
        "gold_min_answers": 5,
    }
    made = api_as(employer).post("/api/v1/campaigns/", body, format="json")
    assert made.status_code == 201, made.json()
    assert {k: made.json()[k] for k in ("gold_rate", "gold_min_accuracy", "gold_min_answers")} == {
        "gold_rate": 10,
        "gold_min_accuracy": 80,
        "gold_min_answers": 5,
    }
    bad = api_as(employer).post("/api/v1/campaigns/", body | {"gold_rate": 0}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_the_api_says_check_task_to_its_worker_only_once_it_is_answered(
    api_as, employer, moderator, worker, always_gold
):
    campaign = golden(employer, moderator)
    claim = api_as(worker).post(f"/api/v1/campaigns/{campaign.pk}/claim/").json()
    mine = api_as(worker).get("/api/v1/assignments/").json()["results"][0]
    assert claim["id"] == mine["id"] and mine["check_task"] is None
    queue = api_as(employer).get(f"/api/v1/campaigns/{campaign.pk}/assignments/?status=claimed")
    assert queue.json()["results"][0]["check_task"] is True, queue.json()
    answered = api_as(worker).post(
        f"/api/v1/assignments/{claim['id']}/submit/", {"answers": {"answer": "?"}}, format="json"
    )
    assert answered.status_code in (200, 201), answered.json()
    mine = api_as(worker).get("/api/v1/assignments/").json()["results"][0]
    assert mine["check_task"] is True and mine["status"] == "rejected"
    assert "This was a check task" in mine["review_reason"]


def test_a_campaign_whose_positions_are_all_paid_completes_with_its_check_tasks(
    employer, moderator, worker, monkeypatch
):
    campaign = golden(employer, moderator, max_tasks_per_worker=4)
    monkeypatch.setattr("workers.claims.gold_due", lambda **kwargs: False)
    for _n in range(4):
        assignment = task_claim(campaign=campaign, worker=worker)
        answer(assignment, worker, "Tk 10")
        submission_approve(assignment=assignment, by=employer)
    assert campaigns_complete_due() == 1
    campaign.refresh_from_db()
    assert campaign.status == "completed" and escrow_of(campaign) == 0
    assert campaign.tasks.filter(status=TaskStatus.GOLD).count() == 3
    assert ledger_violations() == []


def test_the_ledger_check_finds_a_check_task_approved_without_kaajs_payment(
    employer, moderator, worker, always_gold
):
    campaign = golden(employer, moderator)
    wrong = answer(gold_claim(campaign, worker), worker, "Tk 1")
    right = gold_claim(campaign, worker)
    answer(right, worker, right_answer(right))
    assert ledger_violations() == []
    Assignment.objects.filter(pk=wrong.pk).update(status=AssignmentStatus.APPROVED)
    assert [v.rule for v in ledger_violations()] == ["gold"]


def test_the_review_queue_marks_check_tasks(client, employer, moderator, worker, always_gold):
    campaign = golden(employer, moderator)
    answer(gold_claim(campaign, worker), worker, "Tk 1")
    client.force_login(employer)
    url = reverse("tasks:campaign_manage", args=[campaign.pk]) + "?status=rejected"
    page = client.get(url).content.decode()
    assert '<span class="status">Check task</span>' in page
