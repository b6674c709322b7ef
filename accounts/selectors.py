"""What every app asks about a user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.utils import timezone

from .models import Sanction, SanctionSide, SanctionStep, Suspension
from .permissions import two_step_required


def is_suspended(user: Any) -> bool:
    """True when ``user`` (a User or a user id) has an active suspension. Anonymous: False."""
    if getattr(user, "is_anonymous", False):
        return False
    user_id = getattr(user, "pk", user)
    if user_id is None:
        return False
    return Suspension.objects.filter(user_id=user_id, lifted_at__isnull=True).exists()


def pause_until(user: Any, *, side: str, now: Any = None) -> Any:
    """When the pause of ``user``'s claims (side "worker") or launches ("employer") in force
    now ends (``workers.sanctions``), or None."""
    now = now or timezone.now()
    pauses = Sanction.objects.filter(
        user_id=getattr(user, "pk", user),
        side=SanctionSide(side),
        step=SanctionStep.PAUSE,
        lifted_at__isnull=True,
        ends_at__gt=now,
    )
    return max(pauses.values_list("ends_at", flat=True), default=None)


def standing_sanctions(user: Any, *, now: Any = None) -> list[Sanction]:
    """``user``'s warnings and pauses that stand now (``Sanction.stands``): one query."""
    now = now or timezone.now()
    steps = Sanction.objects.filter(user_id=user.pk, lifted_at__isnull=True)
    return [step for step in steps.order_by("-starts_at", "-id")[:20] if step.stands(now)]


# --- Two-step sign-in (allauth.mfa) -------------------------------------------------------


def has_two_step(user: Any) -> bool:
    """True when ``user`` signs in in two steps: an authenticator app (TOTP) is on. Recovery
    codes alone do not count (allauth deletes them with the app)."""
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


@dataclass(frozen=True)
class TwoStep:
    """What the profile and allauth's two-step page show about a user's two-step sign-in."""

    on: bool
    required: bool
    recovery_codes_left: int


def two_step_of(user: Any) -> TwoStep:
    """``user``'s two-step sign-in: on or off, required of them or not, how many recovery
    codes they have left (0 while it is off)."""
    codes = Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    return TwoStep(
        on=has_two_step(user),
        required=two_step_required(user),
        recovery_codes_left=len(codes.wrap().get_unused_codes()) if codes else 0,
    )
