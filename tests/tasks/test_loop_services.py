"""The work loop through its services: claim, submit, review, and the clock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import DomainError
from payments.selectors import balances_of, ledger_violations
from tasks import services
from tasks.models import AssignmentStatus, CampaignStatus, TaskStatus
from workers.claims import task_claim

from .helpers import active_campaign, spec

pytestmark = pytest.mark.django_db


def submit(assignment, worker, username="karim"):
    return services.assignment_submit(
        assignment=assignment, worker=worker, answers={"username": username}, files={}
    )


def test_launch_funds_escrow_with_the_fee_and_creates_the_tasks(employer, moderator):
    campaign = active_campaign(employer, moderator)
    assert campaign.status == CampaignStatus.ACTIVE
    assert campaign.fee_cents == 5  # 10% of 50
    assert campaign.tasks.filter(status=TaskStatus.OPEN).count() == 3
    assert balances_of(employer).escrow_cents == 165
    assert ledger_violations() == []


def test_launching_with_a_short_wallet_changes_nothing(employer):
    campaign = services.campaign_create(employer=employer, spec=spec())
    with pytest.raises(DomainError) as error:
        services.campaign_launch(campaign=campaign, by=employer)
    assert error.value.code == "insufficient_funds"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT and not campaign.tasks.exists()


def test_claim_submit_approve_pays_the_worker(employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker, ip="10.0.0.1")
    assert assignment.status == AssignmentStatus.CLAIMED
    submit(assignment, worker)
    services.submission_approve(assignment=assignment, by=employer)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.APPROVED
    assert balances_of(worker).available_cents == 50
    assert balances_of(employer).escrow_cents == 110
    with pytest.raises(DomainError):
        services.submission_approve(assignment=assignment, by=employer)
    assert balances_of(worker).available_cents == 50
    assert ledger_violations() == []


def test_claims_stop_at_the_per_worker_cap_and_when_nothing_is_left(
    employer, worker, outsider, moderator
):
    campaign = active_campaign(employer, moderator, positions=1)
    task_claim(campaign=campaign, worker=worker)
    with pytest.raises(DomainError) as error:
        task_claim(campaign=campaign, worker=worker)
    assert error.value.code == "limit_reached"
    with pytest.raises(DomainError) as error:
        task_claim(campaign=campaign, worker=outsider)
    assert error.value.code == "no_task_left"


def test_rejection_holds_the_money_until_the_window_closes(employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker)
    submit(assignment, worker)
    services.submission_reject(assignment=assignment, by=employer, reason="Wrong username")
    assert balances_of(employer).escrow_cents == 165
    assert campaign.tasks.filter(status=TaskStatus.OPEN).count() == 2
    later = timezone.now() + timedelta(days=4)
    assert services.dispute_windows_close_due(now=later) == 1
    assert campaign.tasks.filter(status=TaskStatus.OPEN).count() == 3
    assert ledger_violations() == []


def test_the_clock_expires_claims_and_auto_approves(employer, worker, outsider, moderator):
    campaign = active_campaign(employer, moderator, max_tasks_per_worker=2)
    late = task_claim(campaign=campaign, worker=outsider)
    done = task_claim(campaign=campaign, worker=worker)
    submit(done, worker)
    assert services.assignments_expire_due(now=timezone.now() + timedelta(hours=2)) == 1
    late.refresh_from_db()
    assert late.status == AssignmentStatus.EXPIRED
    assert services.submissions_auto_approve_due(now=timezone.now() + timedelta(days=4)) == 1
    assert balances_of(worker).available_cents == 50
    assert ledger_violations() == []


def test_cancel_refunds_open_tasks_and_lets_claimed_ones_finish(employer, worker, moderator):
    campaign = active_campaign(employer, moderator)
    assignment = task_claim(campaign=campaign, worker=worker)
    services.campaign_cancel(campaign=campaign, by=employer)
    assert balances_of(employer).escrow_cents == 55
    submit(assignment, worker)
    services.submission_reject(assignment=assignment, by=employer, reason="No")
    services.dispute_windows_close_due(now=timezone.now() + timedelta(days=4))
    assert balances_of(employer).escrow_cents == 0
    assert balances_of(employer).available_cents == 10_000
    assert ledger_violations() == []


def test_refused_campaigns_say_why(employer):
    with pytest.raises(DomainError) as error:
        services.campaign_create(
            employer=employer,
            spec=spec(instructions="Sell your Gmail account to us and send the password."),
        )
    assert error.value.code == "not_allowed"


def test_suspicious_wording_is_flagged_for_moderators(employer):
    campaign = services.campaign_create(
        employer=employer, spec=spec(instructions="Use a VPN and sign up from a new IP.")
    )
    assert campaign.flags == ["mentions VPNs or several accounts per person"]


def test_ledger_check_knows_what_each_campaign_still_owes(employer, moderator):
    from django.db import connection

    campaign = active_campaign(employer, moderator)
    assert ledger_violations() == []
    with connection.cursor() as cursor:  # a task vanishes without its money moving
        cursor.execute(
            "UPDATE tasks_task SET status = 'paid' WHERE id = %s", [campaign.tasks.first().pk]
        )
    assert [v.rule for v in ledger_violations()] == ["escrow"]


def test_feed_shows_what_the_worker_may_claim(
    employer, worker, outsider, moderator, django_assert_max_num_queries
):
    from workers.models import Block
    from workers.selectors import feed

    open_to_all = active_campaign(employer, moderator, title="Open to all")
    active_campaign(employer, moderator, title="India only", countries_include=["IN"])
    active_campaign(employer, moderator, title="Not Bangladesh", countries_exclude=["BD"])
    active_campaign(outsider, moderator, title="Blocked me", fund=10_000)
    Block.objects.create(employer=outsider, worker=worker)
    with django_assert_max_num_queries(2):
        titles = [c.title for c in feed(worker=worker)]
    assert titles == ["Open to all"]
    task_claim(campaign=open_to_all, worker=worker)
    assert list(feed(worker=worker)) == []  # one per worker, already taken
    assert [c.title for c in feed(worker=employer)] == ["Blocked me"]


def test_a_refused_submission_leaves_no_screenshot_behind(employer, worker, moderator):
    import io

    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tasks.models import Category

    campaign = active_campaign(
        employer,
        moderator,
        category=Category.objects.get(slug="install-app"),
        proof_fields=[
            {"key": "shot", "label": "Screenshot", "kind": "screenshot", "required": True}
        ],
    )
    assignment = task_claim(campaign=campaign, worker=worker)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 80), "white").save(buffer, format="PNG")

    def upload():
        return {"shot": [SimpleUploadedFile("a.png", buffer.getvalue(), "image/png")]}

    def stored():
        try:
            return sum(
                len(default_storage.listdir(f"private/screenshots/{folder}")[1])
                for folder in default_storage.listdir("private/screenshots")[0]
            )
        except FileNotFoundError:
            return 0

    before = stored()
    with pytest.raises(DomainError):  # too late: the claim ran out of time
        from tasks.models import Assignment

        Assignment.objects.filter(pk=assignment.pk).update(expires_at=timezone.now())
        services.assignment_submit(assignment=assignment, worker=worker, answers={}, files=upload())
    assert stored() == before
