"""Reads of the notifications app."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from notifications.models import Notification
from notifications.texts import render_detail, render_title


def notifications_of(user: User) -> QuerySet[Notification]:
    """The user's notifications, newest (or most recently grown) first."""
    return Notification.objects.filter(user=user).order_by("-updated_at", "-id")


def unread_count(user: User) -> int:
    """One COUNT on the partial unread index."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_for(user: User, pk: int) -> Notification:
    """One of ``user``'s notifications; 404 for anyone else's."""
    return get_object_or_404(Notification, pk=pk, user=user)


def with_text(notifications: list[Notification]) -> list[Notification]:
    """Attach ``title`` and ``detail`` rendered in the active language."""
    for n in notifications:
        n.title = render_title(n.kind, n.params, n.count)
        n.detail = render_detail(n.params)
    return notifications
