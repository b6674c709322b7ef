"""Writes to accounts. Views, API views and commands call these; they never save users."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import MODERATORS_GROUP, ApiToken, ModerationAction, User
from .timezones import is_time_zone


def user_update_profile(
    *, user: User, display_name: str, country: str, language: str, time_zone: str | None = None
) -> User:
    """Save the profile fields a user may edit about themselves. ``time_zone`` empty: the
    country's zone (``User.zone``); None: leave it as it is. Raises ValidationError for a zone
    that is not in the time zone database."""
    user.display_name = display_name.strip()
    user.country = country
    user.language = language
    if time_zone is not None:
        if time_zone and not is_time_zone(time_zone):
            raise ValidationError({"time_zone": _("Choose a time zone from the list.")})
        user.time_zone = time_zone
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=["display_name", "country", "language", "time_zone"])
    return user


def user_set_language(*, user: User, language: str) -> None:
    """Remember the language a signed-in user chose, for every device they use."""
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


@transaction.atomic
def token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for one device, valid for ``API_TOKEN_TTL_DAYS``: the row and the token
    itself, which exists only in this return value (the row keeps its digest). The user's
    expired tokens are deleted; raises DomainError ``too_many_tokens`` (409) when
    ``API_TOKENS_PER_USER`` are live. The user's row is locked so that concurrent logins
    cannot pass the limit together."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    now = timezone.now()
    ApiToken.objects.filter(user=user, expiry__lte=now).delete()
    if ApiToken.objects.filter(user=user).count() >= settings.API_TOKENS_PER_USER:
        raise DomainError(
            "too_many_tokens",
            _("You have too many devices signed in; sign one out on your profile page first."),
            status=409,
        )
    ttl = timedelta(days=settings.API_TOKEN_TTL_DAYS)
    return ApiToken.objects.create(user=user, expiry=ttl, name=name.strip(), last_used=now)


def token_revoke(*, token: ApiToken) -> None:
    """Revoke one token at once: requests that send it are refused from now on."""
    ApiToken.objects.filter(pk=token.pk).delete()


def tokens_revoke_all(*, user: User) -> int:
    """Revoke every API token of the user (a password changed or was reset); how many."""
    deleted, _counts = ApiToken.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    """Give the user a new password and revoke all their API tokens: whoever held one must
    sign in again with the new password. (Sessions end by Django's own rule: their hash of
    the password no longer matches.)"""
    user.set_password(password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user=user)
    return user


@transaction.atomic
def moderator_grant(*, user: User) -> User:
    """Make a user a moderator: staff, and a member of the ``moderators`` group."""
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.is_staff = True
    user.groups.add(group)
    user.__dict__.pop("is_moderator", None)
    return user


@transaction.atomic
def user_ensure_verified(
    *, email: str, password: str, display_name: str = "", country: str = "", language: str = "en"
) -> tuple[User, bool]:
    """Find or create an account whose email address is already confirmed.

    Used for demo and operator-made accounts. The password is set either way, so one
    command leaves every account it names with a known password.
    """
    from allauth.account.models import EmailAddress

    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(
            email=email,
            password=password,
            display_name=display_name,
            country=country,
            language=language,
        )
    else:
        user_set_password(user=user, password=password)
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user, created


@transaction.atomic
def totp_activate(*, user: User, secret: str) -> None:
    """Turn two-step sign-in on for ``user`` with a known TOTP ``secret`` (base32), as
    allauth's page leaves it (an authenticator app and a set of recovery codes), or give the
    app already on this secret. For demo and operator-made accounts (seed_demo), whose secret
    is published like their password: people turn it on through allauth's page, which first
    checks a code from their app."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.utils import encrypt

    User.objects.select_for_update().filter(pk=user.pk).first()  # one activation at a time
    Authenticator.objects.update_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": encrypt(secret)}}
    )
    RecoveryCodes.activate(user)


# --- The audit log ----------------------------------------------------------------------


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    reason: str = "",
    details: dict | None = None,
) -> ModerationAction:
    """Write one audit row: ``actor`` did ``action`` to ``target`` because of ``reason``.

    Call it inside the transaction that makes the decision so the row commits (or rolls back)
    with it. ``actor`` may be None for decisions taken by the system. ``details`` must be
    JSON-able (ids, statuses, ``_cents`` amounts).
    """
    return ModerationAction.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
        target_repr=str(getattr(target, "email", None) or target)[:200],
        reason=reason or "",
        details=details or {},
    )
