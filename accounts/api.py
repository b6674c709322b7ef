from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from marketplace.api import ApiError, ErrorSerializer

from .serializers import MeSerializer, TokenRequestSerializer, TokenSerializer
from .services import token_issue


class TokenView(APIView):
    """Exchange an email and password for an API token."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            email=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise ApiError(
                status.HTTP_400_BAD_REQUEST,
                "invalid_credentials",
                _("The email address or the password is not right."),
            )
        if not EmailAddress.objects.filter(user=user, verified=True).exists():
            raise ApiError(
                status.HTTP_403_FORBIDDEN,
                "email_unverified",
                _("Confirm your email address first; we sent you a link."),
            )
        return Response({"token": token_issue(user=user).key})


class MeView(APIView):
    """The signed-in user's profile and roles."""

    @extend_schema(responses={200: MeSerializer, 401: ErrorSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
