"""Rules about who may decide what, shared by every app's services and views.

Moderators only: :func:`moderator_required` guards a page (403 for anybody else signed in,
the login page for anonymous users) and :class:`IsModerator` an API view (401/403).

Two-step sign-in: moderators must have it on (:func:`two_step_required`, the one rule). Both
gates above ask :func:`ensure_two_step`, which raises :class:`TwoStepRequired`: a page sends
the moderator to allauth's page that turns it on, with the error's message; the API answers it
like any refusal (403 ``mfa_required``). allauth's page that turns it off asks the same rule
(``accounts.adapter.MFAAdapter``).

Four eyes: no moderator decides their own case. Nobody adjusts their own wallet, decides
their own payout, moderates their own campaign, decides a dispute they are party to, or
sanctions their own account; another moderator must. Each moderator service calls
:func:`ensure_not_own_case` before it changes anything, so pages and API refuse alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from rest_framework import permissions

from core.errors import DomainError

if TYPE_CHECKING:  # no model import at runtime: importable before the apps load
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from .models import User


def two_step_required(user: User) -> bool:
    """Whether ``user`` must keep two-step sign-in on: moderators (they decide about other
    people's money and accounts, so a stolen password alone must not be enough)."""
    return bool(user.is_authenticated and user.is_moderator)


class TwoStepRequired(DomainError):
    """Two-step sign-in is off for a user who must have it: the domain error ``mfa_required``
    (403)."""

    def __init__(self) -> None:
        super().__init__(
            "mfa_required",
            _(
                "Moderators must have two-step sign-in on before they use the moderation tools. "
                "Turn it on with an authenticator app on your phone."
            ),
            status=403,
        )


def ensure_two_step(user: User) -> None:
    """Raise :class:`TwoStepRequired` when ``user`` must have two-step sign-in (an
    authenticator app) on and has not: one query, for the users it applies to only."""
    if not two_step_required(user):
        return
    from .selectors import has_two_step  # allauth's models: not before the apps load

    if not has_two_step(user):
        raise TwoStepRequired


def moderator_required(view: Callable) -> Callable:
    """Moderators only; anybody else signed in gets Kaaj's 403 page ("Not allowed": the console
    is no secret, and a 404 would read as a broken link), anonymous users the login page. A
    moderator without two-step sign-in is sent to the page that turns it on, told why."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_moderator:
            raise PermissionDenied
        try:
            ensure_two_step(request.user)
        except TwoStepRequired as refusal:
            messages.warning(request, refusal.message)
            return redirect("mfa_activate_totp")
        return view(request, *args, **kwargs)

    return wrapped


class IsModerator(permissions.BasePermission):
    """The API's gate to moderators' endpoints: 401 anonymous, 403 anybody else, 403
    ``mfa_required`` a moderator without two-step sign-in."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated and request.user.is_moderator):
            return False
        ensure_two_step(request.user)
        return True


class OwnCase(DomainError):
    """A moderator action on the actor's own case, refused: the domain error ``own_case``
    (403), rendered like any other (``{"code": "own_case", "detail": ...}`` by the API, the
    message on pages; a page that does not catch it answers 403, never 500)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            "own_case",
            message or _("This is your own case: another moderator must decide it."),
            status=403,
        )


def ensure_not_own_case(
    *, actor: User, parties: Iterable[User | int | None], message: str | None = None
) -> None:
    """Raise :class:`OwnCase` when ``actor`` is one of ``parties`` (users or user ids; None
    is skipped): the owner of the wallet, the payout's worker, the campaign's employer, the
    worker and employer of a disputed assignment, the account to be sanctioned.

    ``message`` says what was refused, for people; a general one otherwise."""
    ids = {getattr(party, "pk", party) for party in parties} - {None}
    if actor.pk is not None and actor.pk in ids:
        raise OwnCase(message)
