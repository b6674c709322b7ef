"""Writes of the notifications app: record a notification (``notify``), mail it once, batch
new submissions into one growing notification per campaign with a periodic digest, warn
workers of claims about to expire, mark read, save preferences.

"Once per event" rules, each enforced by the database:
- a mail goes out only after its row's ``emailed_at`` moved from NULL in a conditional UPDATE,
  so a retried or duplicated job mails once;
- a ``dedupe_key`` is unique per user, so a sweeper that runs twice notifies once;
- a batched kind has at most one unread row per ``batch_key`` (partial unique index), grown
  with ``INSERT .. ON CONFLICT DO UPDATE``, so concurrent submits add up instead of racing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from notifications.models import Notification, NotificationKind, NotificationPreferences
from notifications.texts import TEXTS, email_default, render_detail, render_title

log = logging.getLogger(__name__)

# Kinds that arrive in bursts: one unread row per key grows, and a digest mails them.
BATCHED: dict[str, Callable[[dict], str]] = {
    NotificationKind.SUBMISSIONS_TO_REVIEW: lambda params: f"campaign:{params['campaign_id']}",
}


@dataclass(frozen=True)
class Notice:
    """One notification to create with ``notify_many``."""

    user: User
    kind: str
    params: dict = field(default_factory=dict)
    url: str = ""
    dedupe_key: str = ""


def _check_kind(kind: str) -> None:
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind: {kind!r}")


def preferences_for(user_id: int) -> NotificationPreferences:
    """The user's preferences; an unsaved default row when they never chose."""
    prefs = NotificationPreferences.objects.filter(user_id=user_id).first()
    return prefs or NotificationPreferences(user_id=user_id)


def _email_wanted(user_ids: Iterable[int], kind: str) -> set[int]:
    """Which of ``user_ids`` want ``kind`` by email (one query)."""
    ids = set(user_ids)
    chosen = dict(
        NotificationPreferences.objects.filter(user_id__in=ids).values_list("user_id", "email")
    )
    default = email_default(kind)
    return {uid for uid in ids if chosen.get(uid, {}).get(kind, default)}


def _schedule_email(notification_ids: list[int]) -> None:
    from notifications.jobs import notification_email

    def send() -> None:
        for pk in notification_ids:
            notification_email.delay(pk)

    # robust: a broker that is down must not turn a committed change into an error page;
    # the notification is in the app either way, and the failure is logged.
    transaction.on_commit(send, robust=True)


def notify(
    *,
    user: User,
    kind: str,
    params: dict | None = None,
    url: str = "",
    dedupe_key: str = "",
) -> None:
    """Record that something happened to ``user``, inside the caller's transaction.

    If the user wants ``kind`` by email, a job mails it after commit (batched kinds are
    mailed by the digest instead). With a ``dedupe_key`` a second call for the same event is
    a no-op. Raises ValueError for an unknown kind.
    """
    _record(user=user, kind=kind, params=params, url=url, dedupe_key=dedupe_key)


def _record(*, user: User, kind: str, params: dict | None, url: str, dedupe_key: str = "") -> bool:
    """``notify``, telling whether this call recorded something (False: a duplicate)."""
    _check_kind(kind)
    params = dict(params or {})
    if kind in BATCHED:
        _batch_bump(user_id=user.pk, kind=kind, params=params, url=url)
        return True
    notification = Notification(
        user=user,
        kind=kind,
        params=params,
        url=url,
        dedupe_key=dedupe_key,
        email_due=user.pk in _email_wanted([user.pk], kind),
    )
    if dedupe_key:
        try:
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            return False  # this event was already notified
    else:
        notification.save()
    if notification.email_due:
        _schedule_email([notification.pk])
    return True


def notify_many(*, notices: list[Notice]) -> None:
    """``notify`` for many at once (the auto-approve sweeper): one INSERT and one
    preferences query per kind. Notices that are batched or carry a ``dedupe_key`` go
    through ``notify`` one by one."""
    plain: list[Notice] = []
    for n in notices:
        _check_kind(n.kind)
        if n.kind in BATCHED or n.dedupe_key:
            notify(user=n.user, kind=n.kind, params=n.params, url=n.url, dedupe_key=n.dedupe_key)
        else:
            plain.append(n)
    if not plain:
        return
    wanted = {
        kind: _email_wanted([n.user.pk for n in plain if n.kind == kind], kind)
        for kind in {n.kind for n in plain}
    }
    created = Notification.objects.bulk_create(
        [
            Notification(
                user=n.user,
                kind=n.kind,
                params=dict(n.params),
                url=n.url,
                email_due=n.user.pk in wanted[n.kind],
            )
            for n in plain
        ]
    )
    to_mail = [n.pk for n in created if n.email_due]
    if to_mail:
        _schedule_email(to_mail)


_BUMP_SQL = """
INSERT INTO notifications_notification
    (user_id, kind, params, url, count, batch_key, dedupe_key, created_at, updated_at,
     emailed_count, email_due)
VALUES (%s, %s, %s::jsonb, %s, 1, %s, '', %s, %s, 0, false)
ON CONFLICT (user_id, kind, batch_key) WHERE read_at IS NULL AND NOT (batch_key = '')
DO UPDATE SET count = notifications_notification.count + 1,
              params = EXCLUDED.params,
              url = EXCLUDED.url,
              updated_at = EXCLUDED.updated_at
"""


def _batch_bump(*, user_id: int, kind: str, params: dict, url: str) -> None:
    """One more event on the unread batch row (created if none): atomic in PostgreSQL, so
    concurrent callers add up; a row marked read meanwhile starts a new batch."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _BUMP_SQL,
            [
                user_id,
                kind,
                json.dumps(params, cls=DjangoJSONEncoder),
                url,
                BATCHED[kind](params),
                now,
                now,
            ],
        )


# --- Mail ------------------------------------------------------------------------------------


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + url


def _send(user: User, build: Callable[[], tuple[str, list[dict]]]) -> None:
    """Mail ``user`` what ``build()`` returns (subject, lines), written in their language,
    any time in it in their time zone."""
    with (
        translation.override(user.language or settings.LANGUAGE_CODE),
        timezone.override(user.zone),
    ):
        subject, lines = build()
        context = {
            "user": user,
            "lines": lines,
            "preferences_url": _absolute(reverse("notifications:preferences")),
        }
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(str(subject).split())
        body = render_to_string("notifications/email.txt", context)
    send_mail(subject, body, None, [user.email])


def _line(kind: str, params: dict, count: int, url: str, detail: bool = True) -> dict:
    return {
        "title": render_title(kind, params, count),
        "detail": render_detail(params) if detail else "",
        "url": _absolute(url),
    }


def notification_email_send(*, notification_id: int) -> bool:
    """Mail one notification to its user, at most once: the row is claimed by moving
    ``emailed_at`` from NULL; a failed send releases the claim and re-raises so the job can
    retry. Returns whether a mail was sent. Does nothing for a user who turned the kind off,
    an inactive user, or a batched kind (those go by digest)."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.emailed_at is not None:
        return False
    user = notification.user
    if (
        notification.kind in BATCHED
        or not user.is_active
        or not user.email
        or not preferences_for(user.pk).wants_email(notification.kind)
    ):
        Notification.objects.filter(pk=notification.pk, email_due=True).update(email_due=False)
        return False
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=now, emailed_count=F("count"), email_due=False
    )
    if not claimed:
        return False
    n = notification
    try:
        _send(
            user,
            lambda: (
                render_title(n.kind, n.params, n.count),
                [_line(n.kind, n.params, n.count, n.url)],
            ),
        )
    except Exception:
        Notification.objects.filter(pk=notification.pk, emailed_at=now).update(
            emailed_at=None, emailed_count=0, email_due=True
        )
        raise
    return True


def notification_emails_sweep(
    *, now: datetime | None = None, grace: timedelta = timedelta(minutes=5), batch: int = 500
) -> int:
    """The clock's safety net for mail: queue again the notifications still due by e-mail
    some minutes after they were made (their job was lost, say, while the broker was
    down). Gives up on a row after a day. Safe to overlap with the first job: the send
    claims the row, so a notification is mailed once. Returns how many were queued."""
    from notifications.jobs import notification_email

    now = now or timezone.now()
    due = list(
        Notification.objects.filter(
            email_due=True, created_at__lte=now - grace, created_at__gte=now - timedelta(days=1)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in due:
        notification_email.delay(pk)
    return len(due)


def _digest_pending():
    return Notification.objects.filter(
        kind__in=list(BATCHED), read_at__isnull=True, count__gt=F("emailed_count")
    )


def digest_send(*, user_id: int) -> int:
    """Mail ``user_id`` one digest of what their unread batched notifications gained since
    the last digest. The rows are locked (SKIP LOCKED: a concurrent digest leaves them) and
    their ``emailed_count`` moved up to ``count`` in one transaction; the mail goes after
    commit, and a failed send puts the counts back. A submit that lands meanwhile waits for
    the lock and is told by the next digest. Returns the number of events told."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    with transaction.atomic():
        rows = list(
            _digest_pending()
            .filter(user_id=user_id)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        if not rows:
            return 0
        now = timezone.now()
        Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
            emailed_count=F("count"), emailed_at=now
        )
    told = sum(r.pending_count for r in rows)
    try:
        _send(
            user,
            lambda: (
                _digest_subject(told),
                [_line(r.kind, r.params, r.pending_count, r.url, detail=False) for r in rows],
            ),
        )
    except Exception:
        for r in rows:
            Notification.objects.filter(pk=r.pk, emailed_count=r.count).update(
                emailed_count=r.emailed_count
            )
        raise
    return told


def _digest_subject(told: int) -> str:
    from django.utils.translation import ngettext

    return ngettext(
        "%(count)s new submission to review", "%(count)s new submissions to review", told
    ) % {"count": told}


def digests_send_due(*, batch: int = 200) -> int:
    """The digest clock: one digest for each user with batched news who wants it by email.
    Safe to run twice or concurrently (rows are claimed under lock)."""
    kind = NotificationKind.SUBMISSIONS_TO_REVIEW
    user_ids = list(
        _digest_pending()
        .exclude(**{f"user__notification_preferences__email__{kind}": False})
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")[:batch]
    )
    return sum(1 for uid in user_ids if digest_send(user_id=uid))


# --- Claims about to expire -------------------------------------------------------------------


def _lead(time_to_complete_minutes: int) -> timedelta:
    """How long before a deadline the worker is warned: NOTIFICATIONS_CLAIM_EXPIRING_MINUTES,
    but never more than NOTIFICATIONS_CLAIM_EXPIRING_PERCENT of the time to complete (a
    five-minute task is not warned about the moment it is claimed)."""
    percent = settings.NOTIFICATIONS_CLAIM_EXPIRING_PERCENT
    return min(
        timedelta(minutes=settings.NOTIFICATIONS_CLAIM_EXPIRING_MINUTES),
        timedelta(minutes=time_to_complete_minutes * percent / 100),
    )


def claim_expiring_key(assignment_id: int, expires_at: datetime) -> str:
    """One warning per deadline: a revision's new deadline is warned again."""
    return f"claim_expiring:{assignment_id}:{expires_at.isoformat()}"


def claims_warn_expiring(*, now: datetime | None = None, batch: int = 500) -> int:
    """The clock: warn each worker once whose claim (or revision) ends within its lead
    time. Safe to run twice or concurrently: the ``dedupe_key`` lets one warning in."""
    from tasks.models import Assignment, AssignmentStatus

    now = now or timezone.now()
    horizon = now + timedelta(minutes=settings.NOTIFICATIONS_CLAIM_EXPIRING_MINUTES)
    candidates = [
        a
        for a in Assignment.objects.filter(
            status__in=[AssignmentStatus.CLAIMED, AssignmentStatus.REVISION_REQUESTED],
            expires_at__gt=now,
            expires_at__lte=horizon,
        )
        .select_related("campaign", "worker")
        .order_by("expires_at")[:batch]
        if a.expires_at - _lead(a.campaign.time_to_complete_minutes) <= now
    ]
    keys = {a.pk: claim_expiring_key(a.pk, a.expires_at) for a in candidates}
    done = set(
        Notification.objects.filter(
            kind=NotificationKind.CLAIM_EXPIRING, dedupe_key__in=keys.values()
        ).values_list("dedupe_key", flat=True)
    )
    warned = 0
    for a in candidates:
        if keys[a.pk] in done:
            continue
        with transaction.atomic():
            warned += _record(
                user=a.worker,
                kind=NotificationKind.CLAIM_EXPIRING,
                params={
                    "assignment_id": a.pk,
                    "campaign_title": a.campaign.title,
                    "expires_at": a.expires_at.isoformat(),
                },
                url=reverse("workers:assignment", args=[a.pk]),
                dedupe_key=keys[a.pk],
            )
    return warned


# --- Reading ----------------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification, by: User) -> bool:
    """Mark one of ``by``'s notifications read. Returns False if it already was (or is not
    theirs: callers fetch it through a helper that 404s first)."""
    updated = Notification.objects.filter(pk=notification.pk, user=by, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return bool(updated)


def notifications_mark_all_read(*, by: User) -> int:
    """Mark every unread notification of ``by`` read. Returns how many."""
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())


def preferences_save(*, user: User, email_kinds: Iterable[str]) -> NotificationPreferences:
    """Store which kinds ``user`` wants by email: every known kind gets an explicit choice."""
    chosen = set(email_kinds)
    email = {kind: kind in chosen for kind in TEXTS}
    prefs, _ = NotificationPreferences.objects.update_or_create(
        user=user, defaults={"email": email, "updated_at": timezone.now()}
    )
    return prefs
