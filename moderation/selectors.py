"""Reads for the moderators' console: suspensions, the audit log, flags, one user's record.

Each flag is one grouped SQL query over a recent window (``FLAG_WINDOW_DAYS``), bounded by
``FLAG_LIMIT`` rows, so the flags page costs a fixed number of queries whatever the data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import ModerationAction, Suspension, User
from tasks.models import EmployerRating, Screenshot
from tasks.rating_selectors import ratings_reported
from tasks.selectors import REJECTED_OR_DISPUTED, employer_stats, rejecting_employers

FLAG_LIMIT = 50


def active_suspensions() -> QuerySet[Suspension]:
    """Suspensions in force, newest first, with the user and the moderator."""
    return (
        Suspension.objects.filter(lifted_at__isnull=True)
        .select_related("user", "by")
        .order_by("-created_at", "-id")
    )


def audit_log(
    *, action: str = "", actor_id: int | None = None, target: str = ""
) -> QuerySet[ModerationAction]:
    """The audit log, newest first, with the moderator and target type joined: filter by
    exact action, by moderator, and a case-insensitive search in the target's text (or an
    exact target id)."""
    rows = ModerationAction.objects.select_related("actor", "target_type").order_by(
        "-created_at", "-id"
    )
    if action:
        rows = rows.filter(action=action)
    if actor_id:
        rows = rows.filter(actor_id=actor_id)
    if target:
        rows = rows.filter(Q(target_repr__icontains=target) | Q(target_id=target))
    return rows


def audit_actions() -> list[str]:
    """Every action name the log holds, for the filter."""
    return list(
        ModerationAction.objects.order_by("action").values_list("action", flat=True).distinct()
    )


def audit_moderators() -> QuerySet[User]:
    """Everyone who appears as a moderator in the log, for the filter."""
    return User.objects.filter(
        pk__in=ModerationAction.objects.filter(actor__isnull=False).values("actor_id")
    ).order_by("email")


def audit_about(target: Any, *, limit: int = 20) -> QuerySet[ModerationAction]:
    """The latest audit rows whose target is ``target``."""
    return (
        ModerationAction.objects.filter(
            target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
            target_id=str(target.pk),
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def _since() -> Any:
    return timezone.now() - timedelta(days=settings.FLAG_WINDOW_DAYS)


def flag_duplicate_screenshots(*, limit: int = FLAG_LIMIT) -> list:
    """Screenshots in the window that look like an earlier one (``duplicate_of`` set),
    newest first, each with both submissions' workers and campaigns: one query."""
    return list(
        Screenshot.objects.filter(duplicate_of__isnull=False, created_at__gte=_since())
        .select_related(
            "submission__assignment__worker",
            "submission__assignment__campaign__employer",
            "duplicate_of__submission__assignment__worker",
            "duplicate_of__submission__assignment__campaign__employer",
        )
        .order_by("-created_at", "-id")[:limit]
    )


def flag_rejecting_employers(*, limit: int = FLAG_LIMIT) -> list[User]:
    """Employers whose rejection rate is flagged (``tasks.selectors.rejecting_employers``,
    the one computation, which also starts their ladder of warnings): the first ``limit``."""
    return rejecting_employers(limit=limit)


_WORKER_FLAG_SQL = """
SELECT u.*, COUNT(DISTINCT c.employer_id) AS employer_count, COUNT(*) AS rejected_count
FROM tasks_assignment a JOIN tasks_campaign c ON c.id = a.campaign_id
JOIN accounts_user u ON u.id = a.worker_id
WHERE a.reviewed_at >= %(since)s AND a.status = ANY(%(rejected)s) AND NOT a.is_gold
GROUP BY u.id
HAVING COUNT(DISTINCT c.employer_id) >= %(employers)s
ORDER BY employer_count DESC, rejected_count DESC, u.id
LIMIT %(limit)s
"""


def flag_rejected_workers(*, limit: int = FLAG_LIMIT) -> list[User]:
    """Workers whose work was rejected by at least FLAG_WORKER_REJECTING_EMPLOYERS different
    employers in the window. Users with ``employer_count`` and ``rejected_count``: one
    grouped query."""
    return list(
        User.objects.raw(
            _WORKER_FLAG_SQL,
            {
                "since": _since(),
                "rejected": list(REJECTED_OR_DISPUTED),
                "employers": settings.FLAG_WORKER_REJECTING_EMPLOYERS,
                "limit": limit,
            },
        )
    )


def flag_reported_ratings(*, limit: int = FLAG_LIMIT) -> list[EmployerRating]:
    """Ratings of employers reported as abusive and waiting for a moderator, oldest report
    first, whenever reported (a report waits until decided, not only in the window): one
    query (``tasks.rating_selectors.ratings_reported``)."""
    return ratings_reported(limit=limit)


def employer_approval_rate(user: User) -> tuple[int | None, int, int]:
    """``(percent approved, work rated, of it in dispute)`` over everything ``user`` reviewed
    as an employer (percent None before any review; rejections under dispute count as
    rejections until decided), as workers see it in the feed
    (``tasks.selectors.employer_stats``)."""
    stats = employer_stats([user.pk])[user.pk]
    return stats.approval_rate, stats.rated, stats.disputed


def console_counts() -> dict[str, int]:
    """The hub's numbers: campaigns in review, open disputes, manual payouts waiting, active
    suspensions — one query."""
    from django.db import connection

    from payments.models import MANUAL_METHODS

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM tasks_campaign WHERE status = 'in_review'),"
            " (SELECT COUNT(*) FROM tasks_dispute WHERE status = 'open'),"
            " (SELECT COUNT(*) FROM payments_payout WHERE status = 'requested'"
            "  AND kind = ANY(%s)),"
            " (SELECT COUNT(*) FROM accounts_suspension WHERE lifted_at IS NULL)",
            [[str(kind) for kind in MANUAL_METHODS]],
        )
        campaigns, disputes, payouts, suspensions = cursor.fetchone()
    return {
        "campaigns": campaigns,
        "disputes": disputes,
        "payouts": payouts,
        "suspensions": suspensions,
    }
