"""Statistics for employers (reads only): one campaign's work and money, and a dashboard across
all of an employer's campaigns, each in a fixed number of queries whatever their size.

The words are the rest of the code's: check tasks are left out of the work counts (Kaaj pays
for them, they are shown as the check-task accuracy instead), and the approval rate is
:class:`tasks.selectors.EmployerStats`' (a rejection under dispute counts as a rejection
until it is decided). The money comes from the ledger (``payments``): what the campaign's
escrow paid for approved work, to workers and as Kaaj's fee, what it still holds, what went
back to the wallet, and the bonuses paid from the wallet for its work.

Days are the viewer's (their time zone, ``User.zone``): a day of work starts at their
midnight, and the last day is their today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connections, router
from django.utils import timezone

from accounts.models import User
from payments.models import AccountKind, MovementKind

from .gold import Accuracy
from .models import (
    REJECTED_STATUSES,
    REVIEWED_STATUSES,
    Assignment,
    AssignmentStatus,
    Campaign,
)
from .selectors import REJECTED_OR_DISPUTED, EmployerStats, gold_accuracies

# The chart's spans the pages offer (days back from today, today included).
SPANS = (7, 14, 30, 90)
DEFAULT_SPAN = 14


@dataclass(frozen=True)
class Day:
    """Work sent on one day (an assignment counts on the day its latest proof was sent), by
    what became of it: approved, rejected (in dispute too), not decided yet (waiting for
    review, sent back for a revision)."""

    date: dt.date
    approved: int = 0
    rejected: int = 0
    undecided: int = 0

    @property
    def submitted(self) -> int:
        return self.approved + self.rejected + self.undecided


@dataclass(frozen=True)
class Figures:
    """One campaign's (or, added up, several campaigns') work and money. Durations are
    medians in seconds (None before any); money in cents."""

    approved: int = 0
    rejected: int = 0
    disputed: int = 0
    waiting: int = 0  # submissions waiting for the employer's review
    positions: int = 0
    positions_done: int = 0  # paid tasks
    median_to_complete: int | None = None
    median_to_review: int | None = None
    paid_to_workers_cents: int = 0
    fees_cents: int = 0
    escrow_cents: int = 0
    refunded_cents: int = 0
    bonus_cents: int = 0  # bonuses with their fee, paid from the wallet

    @property
    def record(self) -> EmployerStats:
        """The counts as an employer's record, for its one approval-rate rule."""
        return EmployerStats(
            approved=self.approved, reviewed=self.approved + self.rejected, disputed=self.disputed
        )

    @property
    def approval_rate(self) -> int | None:
        return self.record.approval_rate

    @property
    def spent_cents(self) -> int:
        """Paid for approved work: the workers' rewards and Kaaj's fees on them."""
        return self.paid_to_workers_cents + self.fees_cents


_ADDED = (
    "approved", "rejected", "disputed", "waiting", "positions", "positions_done",
    "paid_to_workers_cents", "fees_cents", "escrow_cents", "refunded_cents", "bonus_cents",
)  # fmt: skip


def figures_total(figures: Sequence[Figures]) -> Figures:
    """Several campaigns' figures added up; medians are not additive and are left out."""
    return Figures(**{name: sum(getattr(f, name) for f in figures) for name in _ADDED})


@dataclass(frozen=True)
class CampaignStatistics:
    campaign: Campaign
    figures: Figures
    days: list[Day]
    gold: Accuracy | None  # None: the campaign has no check task answered
    zone: str


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    figures: Figures


@dataclass(frozen=True)
class Dashboard:
    rows: list[CampaignRow]
    totals: Figures
    days: list[Day]
    zone: str


# In Figures' field order, from ``approved`` to ``bonus_cents``. Keys of payments' accounts
# as payments.services.ledger names them (escrow_account).
_FIGURES_SQL = """
WITH chosen AS (
    SELECT c.id, c.positions, 'escrow:campaign:' || c.id AS escrow_key
    FROM tasks_campaign c WHERE c.id = ANY(%(ids)s)
), work AS (
    SELECT a.campaign_id,
           COUNT(*) FILTER (WHERE a.status = %(approved)s) AS approved,
           COUNT(*) FILTER (WHERE a.status = ANY(%(rejected)s)) AS rejected,
           COUNT(*) FILTER (WHERE a.status = %(disputed)s) AS disputed,
           COUNT(*) FILTER (WHERE a.status = %(submitted)s) AS waiting,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY EXTRACT(EPOCH FROM a.submitted_at - a.claimed_at))
               FILTER (WHERE a.submitted_at IS NOT NULL) AS to_complete,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY EXTRACT(EPOCH FROM a.reviewed_at - a.submitted_at))
               FILTER (WHERE a.status = ANY(%(decided)s) AND a.reviewed_at IS NOT NULL)
               AS to_review
    FROM tasks_assignment a
    WHERE a.campaign_id = ANY(%(ids)s) AND NOT a.is_gold
    GROUP BY a.campaign_id
), done AS (
    SELECT t.campaign_id, COUNT(*) AS paid FROM tasks_task t
    WHERE t.campaign_id = ANY(%(ids)s) AND t.status = 'paid' GROUP BY t.campaign_id
), money AS (
    SELECT c.id AS campaign_id, e.balance,
           SUM(t.amount) FILTER (WHERE m.kind = %(task_payment)s AND r.kind = %(wallet)s)
               AS to_workers,
           SUM(t.amount) FILTER (WHERE m.kind = %(task_payment)s AND r.kind = %(fees)s) AS fees,
           SUM(t.amount) FILTER (WHERE m.kind = %(refund)s) AS refunded
    FROM chosen c
    JOIN payments_account e ON e.key = c.escrow_key
    LEFT JOIN payments_transfer t ON t.debit_id = e.id
    LEFT JOIN payments_movement m ON m.id = t.movement_id
    LEFT JOIN payments_account r ON r.id = t.credit_id
    GROUP BY c.id, e.balance
), bonuses AS (
    SELECT a.campaign_id, SUM(b.amount_cents + b.fee_cents) AS paid
    FROM tasks_bonus b JOIN tasks_assignment a ON a.id = b.assignment_id
    WHERE a.campaign_id = ANY(%(ids)s) GROUP BY a.campaign_id
)
SELECT c.id,
       COALESCE(w.approved, 0), COALESCE(w.rejected, 0), COALESCE(w.disputed, 0),
       COALESCE(w.waiting, 0), c.positions, COALESCE(d.paid, 0),
       ROUND(w.to_complete), ROUND(w.to_review),
       COALESCE(m.to_workers, 0), COALESCE(m.fees, 0), COALESCE(m.balance, 0),
       COALESCE(m.refunded, 0), COALESCE(b.paid, 0)
FROM chosen c
LEFT JOIN work w ON w.campaign_id = c.id
LEFT JOIN done d ON d.campaign_id = c.id
LEFT JOIN money m ON m.campaign_id = c.id
LEFT JOIN bonuses b ON b.campaign_id = c.id
"""


def _cursor():
    return connections[router.db_for_read(Assignment)].cursor()


def campaign_figures(campaign_ids: Sequence[int]) -> dict[int, Figures]:
    """Each campaign's :class:`Figures`, in ONE query however many campaigns and rows."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    with _cursor() as cursor:
        cursor.execute(
            _FIGURES_SQL,
            {
                "ids": ids,
                "approved": AssignmentStatus.APPROVED.value,
                "rejected": [s.value for s in REJECTED_STATUSES],
                "disputed": AssignmentStatus.DISPUTED.value,
                "submitted": AssignmentStatus.SUBMITTED.value,
                "decided": [*(s.value for s in REVIEWED_STATUSES), AssignmentStatus.DISPUTED.value],
                "task_payment": MovementKind.TASK_PAYMENT.value,
                "refund": MovementKind.ESCROW_REFUND.value,
                "wallet": AccountKind.WALLET.value,
                "fees": AccountKind.FEES.value,
            },
        )
        rows = cursor.fetchall()
    return {
        row[0]: Figures(
            *row[1:7],
            *(None if value is None else int(value) for value in row[7:9]),
            *(int(value) for value in row[9:]),
        )
        for row in rows
    }


_DAYS_SQL = """
SELECT (a.submitted_at AT TIME ZONE %(zone)s)::date AS day,
       COUNT(*) FILTER (WHERE a.status = %(approved)s),
       COUNT(*) FILTER (WHERE a.status = ANY(%(rejected)s)),
       COUNT(*) FILTER (WHERE a.status = ANY(%(undecided)s))
FROM tasks_assignment a
WHERE a.campaign_id = ANY(%(ids)s) AND NOT a.is_gold AND a.submitted_at >= %(since)s
GROUP BY day
"""


def first_day(*, days: int, zone: str, now: dt.datetime | None = None) -> dt.date:
    """The first of the last ``days`` days, today (in ``zone``) the last of them."""
    today = (now or timezone.now()).astimezone(ZoneInfo(zone)).date()
    return today - dt.timedelta(days=days - 1)


def submissions_by_day(
    campaign_ids: Sequence[int], *, days: int, zone: str, now: dt.datetime | None = None
) -> list[Day]:
    """Work sent to these campaigns on each of the last ``days`` days in ``zone``, oldest
    first, days without any included (zeros): ONE query."""
    start = first_day(days=days, zone=zone, now=now)
    found: dict[dt.date, Day] = {}
    if campaign_ids:
        since = dt.datetime.combine(start, dt.time.min, tzinfo=ZoneInfo(zone))
        with _cursor() as cursor:
            cursor.execute(
                _DAYS_SQL,
                {
                    "ids": sorted(set(campaign_ids)),
                    "zone": zone,
                    "since": since,
                    "approved": AssignmentStatus.APPROVED.value,
                    "rejected": list(REJECTED_OR_DISPUTED),
                    "undecided": [
                        AssignmentStatus.SUBMITTED.value,
                        AssignmentStatus.REVISION_REQUESTED.value,
                    ],
                },
            )
            found = {row[0]: Day(*row) for row in cursor.fetchall()}
    dates = (start + dt.timedelta(days=n) for n in range(days))
    return [found.get(date, Day(date)) for date in dates]


def gold_overall(campaign: Campaign) -> Accuracy | None:
    """Every worker's answers to the campaign's check tasks, added up
    (:func:`tasks.selectors.gold_accuracies`); None when none was answered."""
    rows = gold_accuracies(campaign)
    if not rows:
        return None
    return Accuracy(
        sum(row.accuracy.answered for row in rows), sum(row.accuracy.right for row in rows)
    )


def campaign_statistics(
    campaign: Campaign, *, zone: str, days: int = DEFAULT_SPAN, now: dt.datetime | None = None
) -> CampaignStatistics:
    """One campaign's statistics: five queries (figures, days, and the check tasks' three)."""
    return CampaignStatistics(
        campaign=campaign,
        figures=campaign_figures([campaign.pk])[campaign.pk],
        days=submissions_by_day([campaign.pk], days=days, zone=zone, now=now),
        gold=gold_overall(campaign),
        zone=zone,
    )


def employer_dashboard(
    employer: User, *, zone: str, days: int = DEFAULT_SPAN, now: dt.datetime | None = None
) -> Dashboard:
    """Every campaign of the employer's, newest first, with its figures, their totals and
    the work sent to any of them by day: three queries, however many campaigns."""
    campaigns = list(Campaign.objects.filter(employer=employer).order_by("-created_at", "-id"))
    ids = [campaign.pk for campaign in campaigns]
    figures = campaign_figures(ids)
    rows = [CampaignRow(campaign, figures[campaign.pk]) for campaign in campaigns]
    return Dashboard(
        rows=rows,
        totals=figures_total([row.figures for row in rows]),
        days=submissions_by_day(ids, days=days, zone=zone, now=now),
        zone=zone,
    )
