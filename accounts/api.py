from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer
from core.errors import DomainError

from .models import ApiToken
from .serializers import ApiTokenSerializer, TokenRequestSerializer, TokenSerializer
from .services import token_issue, token_revoke
from .throttling import ScopedRateThrottle


class TokenView(APIView):
    """Exchange an email and password for an API token for one device.

    The password is checked by allauth's adapter, exactly as on the sign-in page, so the same
    failed-login limits apply (per IP address and per account, shared with the page)."""

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
        description="Errors: `invalid_credentials` (400); `email_unverified` (403); "
        "`too_many_tokens` (409: revoke one first); `throttled`, `too_many_attempts` (429: "
        "too many failed sign-ins for this address or this account, on the site or here).",
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
            raise exceptions.Throttled(
                wait=settings.LOGIN_LOCKOUT_SECONDS,
                detail=_("Too many failed sign-ins. Wait a few minutes, then try again."),
                code="too_many_attempts",
            ) from None
        if user is None or not user.is_active:
            raise DomainError(
                "invalid_credentials", _("The email address or the password is not right.")
            )
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
