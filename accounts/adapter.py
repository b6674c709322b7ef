"""Kaaj's allauth adapter: allauth's, with Kaaj's rule for the client's IP address (its login
rate limits key on it) and with a password change revoking the user's API tokens."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .http import client_ip
from .models import User
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
