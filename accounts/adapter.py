"""Kaaj's allauth adapters.

``AccountAdapter``: allauth's, with Kaaj's rule for the client's IP address (its login rate
limits key on it) and with a password change revoking the user's API tokens.

``MFAAdapter`` (two-step sign-in, allauth.mfa): allauth's, with moderators kept from turning
it off (``accounts.permissions.two_step_required``), the QR code drawn as an SVG element the
page can carry inline (the Content-Security-Policy allows no data: images), and its refusals
in Kaaj's words.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .http import client_ip
from .models import User
from .permissions import two_step_required
from .services import user_set_password


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def set_password(self, user: User, password: str) -> None:
        """allauth's one place for a new password on an existing account: changed, set or
        reset (sign-up sets the first one elsewhere)."""
        user_set_password(user=user, password=password)


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "add_email_blocked": _(
            "While two-step sign-in is on, a new email address cannot be added here. Turn "
            "two-step sign-in off first; moderators ask an administrator."
        ),
        "cannot_delete_authenticator": _(
            "Moderators must keep two-step sign-in on, so it cannot be turned off."
        ),
        "cannot_generate_recovery_codes": _(
            "Turn on two-step sign-in first: recovery codes are for when you lose your phone."
        ),
        "incorrect_code": _("That code is not right, or it was used already."),
        "unverified_email": _(
            "Confirm your email address first (we sent you a link), then turn on two-step sign-in."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Nobody who must keep two-step sign-in on may remove their authenticator app."""
        if authenticator.type != Authenticator.Type.TOTP:
            return True
        return not two_step_required(authenticator.user)

    def build_totp_svg(self, url: str) -> str:
        """allauth's QR code without its XML declaration: an ``<svg>`` element for the page
        itself (the page sizes it in kaaj.css)."""
        svg = super().build_totp_svg(url)
        return svg[svg.index("<svg") :]
