"""Builders the dispute tests share: a rejected assignment, an open dispute, escrow reads."""

from payments.models import Account
from tasks import services
from tasks.services.disputes import dispute_open
from workers.claims import task_claim

from .helpers import active_campaign


def rejected(employer, worker, moderator, *, campaign=None, reason="Wrong username", **options):
    """An assignment of ``worker`` on ``employer``'s campaign (3 tasks of 50 + 5 cents fee
    unless told otherwise), submitted and rejected."""
    campaign = campaign or active_campaign(employer, moderator, **options)
    assignment = task_claim(campaign=campaign, worker=worker)
    services.assignment_submit(
        assignment=assignment, worker=worker, answers={"username": "karim"}, files={}
    )
    services.submission_reject(assignment=assignment, by=employer, reason=reason)
    assignment.refresh_from_db()
    return assignment


def disputed(employer, worker, moderator, **options):
    assignment = rejected(employer, worker, moderator, **options)
    return dispute_open(assignment=assignment, by=worker, reason="I did sign up, as karim.")


def escrow_of(campaign) -> int:
    return Account.objects.get(key=f"escrow:campaign:{campaign.pk}").balance
