"""The bell's unread count, computed only if a template shows it (one COUNT per request)."""

from django.utils.functional import SimpleLazyObject

from notifications.selectors import unread_count


def unread_notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
