"""seed_demo's campaigns: every status, the work and money behind them, all through the
real services, and nothing new on a second run."""

import pytest
from django.core.management import call_command

from accounts.models import User
from payments.models import Deposit, Transfer
from payments.selectors import balances_of, ledger_violations
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Dispute,
    Screenshot,
    Submission,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    settings.DEPOSIT_MINIMUM_CENTS = 500


def seed(**options):
    values = {"employers": 2, "workers": 5, "campaigns": 6}
    values.update(options)
    call_command("seed_demo", **values)


def snapshot() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Campaign, Assignment, Submission, Screenshot, Transfer, Deposit)
    }


def test_seed_demo_creates_campaigns_in_every_status_with_clean_books(capsys):
    seed()

    demo = Campaign.objects.filter(employer__email__endswith="@demo.kaaj.test")
    assert demo.count() == 12
    assert set(demo.values_list("status", flat=True)) == set(CampaignStatus.values)
    assert demo.values("category").distinct().count() == 12
    assert ledger_violations() == []
    assert "Demo campaigns ready (12 new)" in capsys.readouterr().out


def test_seed_demo_campaigns_carry_claims_submissions_and_reviews():
    seed()

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


def test_seed_demo_completed_campaign_has_every_task_paid():
    seed()

    completed = Campaign.objects.filter(status=CampaignStatus.COMPLETED)
    assert completed.exists()
    for campaign in completed:
        assert not campaign.tasks.exclude(status="paid").exists()


def test_demo_employers_keep_at_least_the_asked_balance_after_paying_for_campaigns():
    seed(employer_balance_cents=3_000)

    for employer in User.objects.filter(email__startswith="employer"):
        assert balances_of(employer).available_cents >= 3_000
        assert balances_of(employer).escrow_cents > 0


def test_seed_demo_second_run_creates_nothing(capsys):
    seed()
    before = snapshot()
    capsys.readouterr()

    seed()

    assert snapshot() == before
    assert "Demo campaigns ready (0 new)" in capsys.readouterr().out
    assert ledger_violations() == []


def test_seed_demo_with_more_campaigns_adds_only_the_missing_ones():
    seed(campaigns=2)
    first = set(Campaign.objects.values_list("pk", flat=True))

    seed(campaigns=4)

    assert Campaign.objects.count() == 8
    assert first < set(Campaign.objects.values_list("pk", flat=True))
    assert ledger_violations() == []


def test_seed_demo_without_workers_still_seeds_campaigns_without_work():
    seed(employers=1, workers=0, campaigns=8)

    assert Campaign.objects.count() == 8
    assert not Assignment.objects.exists()
    assert ledger_violations() == []
