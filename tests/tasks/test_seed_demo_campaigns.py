"""seed_demo's campaigns: every status, the work and money behind them, all through the
real services, and nothing new on a second run."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.models import User
from notifications.models import Notification
from payments.models import Deposit, Transfer
from payments.selectors import balances_of, ledger_violations
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Bonus,
    Campaign,
    CampaignStatus,
    Dispute,
    HeldQualification,
    Qualification,
    QualificationAttempt,
    Screenshot,
    Submission,
)
from tasks.selectors import gold_accuracies
from tasks.statistics import campaign_statistics

from ..module_db import module_transaction

pytestmark = pytest.mark.django_db
SANDBOX = {"PAYMENTS_PROVIDER": "sandbox", "DEPOSIT_MINIMUM_CENTS": 500}


@pytest.fixture(autouse=True)
def _sandbox(settings):
    for name, value in SANDBOX.items():
        setattr(settings, name, value)


def seed(**options):
    values = {"employers": 2, "workers": 5, "campaigns": 6}
    values.update(options)
    call_command("seed_demo", **values)


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker) -> str:
    """One default seed (what the command printed) for the class below, whose tests read
    it or seed again on top of it, each in its own savepoint: a seed takes most of a
    second. Rolled back when the class ends; the tests after it start from nothing."""
    printed = io.StringIO()
    with module_transaction(django_db_blocker):
        with override_settings(**SANDBOX):
            seed(stdout=printed)
        yield printed.getvalue()


def snapshot() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Campaign, Assignment, Submission, Screenshot, Transfer, Deposit)
    }


class TestOneSeed:
    """The tests that need only the default seed share one (``seeded``)."""

    def test_seed_demo_creates_campaigns_in_every_status_with_clean_books(self, seeded):
        demo = Campaign.objects.filter(
            employer__email__endswith="@demo.kaaj.test", qualifications=[], gold_rate=0
        ).exclude(title__startswith="[Demo] ")  # the tested, checked and warned ones
        assert demo.count() == 12
        assert set(demo.values_list("status", flat=True)) == set(CampaignStatus.values)
        assert demo.values("category").distinct().count() == 12
        assert ledger_violations() == []
        assert "Demo campaigns ready (12 new)" in seeded

    def test_seed_demo_campaigns_carry_claims_submissions_and_reviews(self, seeded):
        statuses = set(Assignment.objects.values_list("status", flat=True))
        assert {
            AssignmentStatus.CLAIMED,
            AssignmentStatus.SUBMITTED,
            AssignmentStatus.REVISION_REQUESTED,
            AssignmentStatus.APPROVED,
            AssignmentStatus.REJECTED,
            AssignmentStatus.DISPUTED,
        } <= statuses
        disputes = Dispute.objects.filter(decided_at__isnull=True)
        assert disputes.exclude(employer_statement="").exists()  # answered, waiting for a moderator
        assert Screenshot.objects.filter(duplicate_of__isnull=True).exists()
        assert not Screenshot.objects.filter(duplicate_of__isnull=False).exists()
        assert Assignment.objects.filter(status=AssignmentStatus.REJECTED).exclude(review_reason="")
        paid_workers = User.objects.filter(email__startswith="worker")
        assert sum(balances_of(w).available_cents for w in paid_workers) > 0

    def test_seed_demo_completed_campaign_has_every_task_paid(self, seeded):
        completed = Campaign.objects.filter(status=CampaignStatus.COMPLETED)
        assert completed.exists()
        for campaign in completed:
            assert not campaign.tasks.exclude(status="paid").exists()

    def test_seed_demo_has_qualification_tests_a_campaign_needing_one_and_who_passed(self, seeded):
        kaaj = Qualification.objects.get(owner=None)
        signs = Qualification.objects.select_related("owner").get(owner__isnull=False)
        assert (kaaj.owner, kaaj.name) == (None, "Kaaj basics")
        assert signs.owner.email == "employer1@demo.kaaj.test"
        tested = Campaign.objects.get(qualifications=[signs.pk])
        assert tested.status == CampaignStatus.ACTIVE and tested.employer == signs.owner
        held = HeldQualification.objects.filter(worker__email="worker1@demo.kaaj.test")
        assert held.count() == 2
        failed = QualificationAttempt.objects.get(worker__email="worker2@demo.kaaj.test")
        assert (failed.qualification, failed.passed) == (signs, False)
        assert "Demo qualification tests ready" in seeded

    def test_seed_demo_has_check_tasks_and_workers_of_every_accuracy(self, seeded):
        campaign = Campaign.objects.get(gold_rate=10)
        assert campaign.status == CampaignStatus.ACTIVE
        assert campaign.tasks.filter(status="gold").count() == 6
        rows = {
            row.worker.email: (row.accuracy.right, row.accuracy.answered, row.stopped)
            for row in gold_accuracies(campaign)
        }
        assert rows == {
            "worker1@demo.kaaj.test": (3, 3, False),
            "worker3@demo.kaaj.test": (3, 4, False),
            "worker4@demo.kaaj.test": (1, 3, True),
        }
        bonus = Bonus.objects.get()
        assert (bonus.worker.email, bonus.amount_cents) == ("worker1@demo.kaaj.test", 25)
        stopped = User.objects.get(email="worker4@demo.kaaj.test")
        assert Notification.objects.filter(user=stopped, kind="gold_stopped").exists()
        assert "Demo check tasks ready" in seeded and "(stopped)" in seeded
        assert ledger_violations() == []

    def test_seed_demo_gives_an_employer_two_weeks_of_statistics(self, seeded):
        campaign = Campaign.objects.select_related("employer").get(title__startswith="[Demo] Daily")
        assert campaign.employer.email == "employer1@demo.kaaj.test"
        stats = campaign_statistics(campaign, zone=campaign.employer.zone)
        assert sum(1 for day in stats.days if day.submitted) >= 12  # of the 14 days drawn
        assert any(day.undecided for day in stats.days[-3:])  # the last days wait for review
        figures = stats.figures
        assert figures.approved > 4 * figures.rejected > 0 and figures.waiting > 0
        assert 60 <= figures.median_to_complete <= 20 * 60
        assert 3600 <= figures.median_to_review <= 12 * 3600
        assert figures.spent_cents > 0 and figures.escrow_cents > 0
        assert "Demo statistics ready: " in seeded
        assert ledger_violations() == []

    def test_seed_demo_second_run_creates_nothing(self, seeded, capsys):
        before = snapshot()

        seed()

        assert snapshot() == before
        printed = capsys.readouterr().out
        assert "Demo campaigns ready (0 new)" in printed
        assert "Demo qualification tests ready (0 new)" in printed
        assert "Demo check tasks ready (0 new)" in printed
        assert "Demo statistics ready (0 new)" in printed
        assert ledger_violations() == []


def test_demo_employers_keep_at_least_the_asked_balance_after_paying_for_campaigns():
    seed(employer_balance_cents=3_000)

    for employer in User.objects.filter(email__startswith="employer"):
        assert balances_of(employer).available_cents >= 3_000
        assert balances_of(employer).escrow_cents > 0


def test_seed_demo_with_more_campaigns_adds_only_the_missing_ones():
    seed(campaigns=2)
    first = set(Campaign.objects.values_list("pk", flat=True))

    seed(campaigns=4)

    planned = Campaign.objects.exclude(title__startswith="[Demo] ")  # the tested, checked, warned
    assert planned.count() == 8
    assert Campaign.objects.exclude(qualifications=[]).count() == 1  # the tested one, once
    assert first < set(Campaign.objects.values_list("pk", flat=True))
    assert ledger_violations() == []


def test_seed_demo_without_workers_still_seeds_campaigns_without_work():
    seed(employers=1, workers=0, campaigns=8)

    assert Campaign.objects.count() == 8
    assert not Assignment.objects.exists()
    assert ledger_violations() == []


def test_seed_demo_with_levels_puts_demo_workers_at_every_level_through_the_services():
    seed(levels=True)
    levels = dict(User.objects.filter(email__startswith="worker").values_list("email", "level"))
    assert [levels[f"worker{n}@demo.kaaj.test"] for n in (3, 4, 5)] == [1, 2, 3]
    top = User.objects.get(email="worker5@demo.kaaj.test")
    assert Assignment.objects.filter(worker=top, status=AssignmentStatus.APPROVED).count() >= 200
    assert ledger_violations() == []
    before = snapshot()
    seed(levels=True)  # nobody below their level: nothing new
    assert snapshot() == before
