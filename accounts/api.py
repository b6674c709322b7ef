from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.base.forms import AuthenticateForm
from allauth.utils import get_form_class
from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer
from core.errors import DomainError

from .models import ApiToken, User
from .selectors import has_two_step
from .serializers import ApiTokenSerializer, TokenRequestSerializer, TokenSerializer
from .services import token_issue, token_revoke
from .throttling import ScopedRateThrottle


def locked_out() -> exceptions.Throttled:
    """The answer once failed sign-ins (passwords or codes) hit allauth's limits."""
    return exceptions.Throttled(
        wait=settings.LOGIN_LOCKOUT_SECONDS,
        detail=_("Too many failed sign-ins. Wait a few minutes, then try again."),
        code="too_many_attempts",
    )


def second_step_check(request: HttpRequest, *, user: User, code: str) -> None:
    """Two-step sign-in for the token endpoint, checked as allauth's sign-in page checks it:
    with its form (MFA_FORMS "authenticate"), so the app's code or one unused recovery code
    passes, each only once (a TOTP code is remembered as used, a recovery code is spent), and
    a wrong code counts towards the same per-account lockout as on the page.

    Nothing to check for a user without two-step sign-in. Raises DomainError
    ``mfa_code_required`` or ``mfa_code_invalid`` (400), Throttled when locked out."""
    if not has_two_step(user):
        return
    if not code:
        raise DomainError(
            "mfa_code_required",
            _(
                "Two-step sign-in is on for this account: send the 6-digit code from your "
                "authenticator app, or a recovery code, as code."
            ),
            field="code",
        )
    form_class = get_form_class(mfa_settings.FORMS, "authenticate", AuthenticateForm)
    form = form_class(user=user, data={"code": code})
    if form.is_valid():
        form.authenticator.record_usage()
        return
    errors = form.errors.as_data().get("code", [])
    if any(error.code == "too_many_login_attempts" for error in errors):
        raise locked_out()
    raise DomainError("mfa_code_invalid", form.errors["code"][0], field="code")


class TokenView(APIView):
    """Exchange an email and password (and, with two-step sign-in on, a code) for an API token
    for one device.

    The password is checked by allauth's adapter and the code by allauth's form, exactly as on
    the sign-in page, so the same failed-login limits apply (per IP address and per account,
    shared with the page)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
            429: ErrorSerializer,
        },
        auth=[],
        description="With two-step sign-in on for the account, `code` is required too: the "
        "6-digit code from the authenticator app, or one unused recovery code. "
        "Errors: `invalid_credentials` (400); `mfa_code_required` (400: two-step sign-in is "
        "on, send `code`); `mfa_code_invalid` (400: the code is wrong or was used already); "
        "`email_unverified` (403); `too_many_tokens` (409: revoke one first); `throttled`, "
        "`too_many_attempts` (429: too many failed sign-ins or codes for this address or this "
        "account, on the site or here).",
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = get_adapter(request._request).authenticate(
                request._request,
                email=data.validated_data["email"],
                password=data.validated_data["password"],
            )
        except forms.ValidationError:
            raise locked_out() from None
        if user is None or not user.is_active:
            raise DomainError(
                "invalid_credentials", _("The email address or the password is not right.")
            )
        second_step_check(request._request, user=user, code=data.validated_data.get("code", ""))
        if not EmailAddress.objects.filter(user=user, verified=True).exists():
            raise DomainError(
                "email_unverified",
                _("Confirm your email address first; we sent you a link."),
                status=403,
            )
        token, key = token_issue(user=user, name=data.validated_data.get("device", ""))
        return Response(
            TokenSerializer({"id": token.pk, "token": key, "expiry": token.expiry}).data
        )


def own_tokens(request: Request) -> QuerySet[ApiToken]:
    """The signed-in user's tokens, newest first; nobody else's."""
    return ApiToken.objects.filter(user=request.user).order_by("-created", "-id")


@extend_schema_view(
    get=extend_schema(description="Your API tokens, one per device (never the tokens themselves).")
)
class TokenListView(generics.ListAPIView):
    serializer_class = ApiTokenSerializer

    def get_queryset(self) -> QuerySet[ApiToken]:
        return own_tokens(self.request)


@extend_schema_view(
    delete=extend_schema(
        description="Revoke one of your tokens (sign that device out); 404 for anyone else's."
    )
)
class TokenDetailView(generics.DestroyAPIView):
    serializer_class = ApiTokenSerializer

    def get_queryset(self) -> QuerySet[ApiToken]:
        return own_tokens(self.request)

    def perform_destroy(self, instance: ApiToken) -> None:
        token_revoke(token=instance)
