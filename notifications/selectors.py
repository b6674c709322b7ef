"""Reads of the notifications app."""

from __future__ import annotations

from django.db import connections, router
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from notifications.models import Notification
from notifications.texts import render_detail, render_title


def notifications_of(user: User) -> QuerySet[Notification]:
    """The user's notifications, newest (or most recently grown) first."""
    return Notification.objects.filter(user=user).order_by("-updated_at", "-id")


def unread_count(user: User) -> int:
    """One COUNT on the partial unread index. The bell asks on every page, so it is fixed SQL:
    the ORM spent some 750 Python calls building this one statement each time (a tenth of a
    light page's). Read where the page reads (the replica under ``replica_reads``)."""
    with connections[router.db_for_read(Notification)].cursor() as cursor:
        cursor.execute(_UNREAD_SQL, [user.pk])
        return cursor.fetchone()[0]


_UNREAD_SQL = (
    "SELECT COUNT(*) FROM notifications_notification WHERE user_id = %s AND read_at IS NULL"
)


def notification_for(user: User, pk: int) -> Notification:
    """One of ``user``'s notifications; 404 for anyone else's."""
    return get_object_or_404(Notification, pk=pk, user=user)


def with_text(notifications: list[Notification]) -> list[Notification]:
    """Attach ``title`` and ``detail`` rendered in the active language."""
    for n in notifications:
        n.title = render_title(n.kind, n.params, n.count)
        n.detail = render_detail(n.params)
    return notifications
