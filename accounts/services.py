"""Writes to accounts. Views, API views and commands call these; they never save users."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import MODERATORS_GROUP, User


def user_update_profile(*, user: User, display_name: str, country: str, language: str) -> User:
    """Save the profile fields a user may edit about themselves."""
    user.display_name = display_name.strip()
    user.country = country
    user.language = language
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=["display_name", "country", "language"])
    return user


def user_set_language(*, user: User, language: str) -> None:
    """Remember the language a signed-in user chose, for every device they use."""
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def token_issue(*, user: User) -> Token:
    """The user's API token; the same one on every call until it is revoked."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


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
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user, created
