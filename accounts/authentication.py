"""API token authentication: knox's header handling, Kaaj's lookup.

The token's SHA-512 digest is unique, so a token is found with one indexed query (knox looks
up candidates by the token's first characters and then scans all the user's tokens for
expired ones on every request). An expired token is refused and deleted; ``last_used`` is
written at most once per ``LAST_USED_PRECISION``, so most requests cost no write.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth
from knox.crypto import hash_token
from rest_framework import exceptions

from .models import ApiToken, User

LAST_USED_PRECISION = timedelta(minutes=5)


class TokenAuthentication(auth.TokenAuthentication):
    """``Authorization: Token <token>``; ``request.auth`` is the ``ApiToken``."""

    def authenticate_credentials(self, token: bytes) -> tuple[User, ApiToken]:
        refused = exceptions.AuthenticationFailed(_("Invalid token."))
        try:
            digest = hash_token(token.decode())
        except UnicodeDecodeError:
            raise refused from None
        api_token = ApiToken.objects.select_related("user").filter(digest=digest).first()
        if api_token is None:
            raise refused
        now = timezone.now()
        if api_token.expiry <= now:
            api_token.delete()
            raise refused
        if not api_token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if api_token.last_used is None or now - api_token.last_used > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used=now)
            api_token.last_used = now
        return api_token.user, api_token


class TokenScheme(OpenApiAuthenticationExtension):
    """The scheme in the OpenAPI schema (the name DRF's token scheme had: ``tokenAuth``)."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Token",  # noqa: S106 (a header word)
        )
