"""What every app asks about a user."""

from __future__ import annotations

from typing import Any

from .models import Suspension


def is_suspended(user: Any) -> bool:
    """True when ``user`` (a User or a user id) has an active suspension. Anonymous: False."""
    if getattr(user, "is_anonymous", False):
        return False
    user_id = getattr(user, "pk", user)
    if user_id is None:
        return False
    return Suspension.objects.filter(user_id=user_id, lifted_at__isnull=True).exists()
