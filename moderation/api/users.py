"""Suspend and reinstate accounts (moderators only).

Errors are ``{code, detail}``: ``reason_required`` (400), ``own_case`` (403: your own
account) and ``cannot_suspend_moderator`` (403), ``already_suspended`` and ``not_suspended``
(409); 404 for an unknown user; 401/403 for anybody who is not a moderator.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Suspension, User
from accounts.permissions import IsModerator
from core.api import ErrorSerializer
from moderation.services import user_reinstate, user_suspend


class SanctionSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=1000, allow_blank=True, default="", help_text="Required; the user is told."
    )


class SuspensionSerializer(serializers.ModelSerializer):
    by = serializers.IntegerField(source="by_id", read_only=True)
    lifted_by = serializers.IntegerField(source="lifted_by_id", read_only=True, allow_null=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = Suspension
        fields = [
            "id",
            "user",
            "active",
            "reason",
            "by",
            "created_at",
            "lifted_at",
            "lifted_by",
            "lift_reason",
        ]
        read_only_fields = fields


class _Sanction(APIView):
    permission_classes = [IsModerator]
    service = staticmethod(user_suspend)
    created = status.HTTP_200_OK

    def post(self, request: Request, pk: int) -> Response:
        body = SanctionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = get_object_or_404(User, pk=pk)
        suspension = self.service(user=user, by=request.user, reason=body.validated_data["reason"])
        return Response(SuspensionSerializer(suspension).data, status=self.created)


_ERRORS = dict.fromkeys((400, 401, 403, 404, 409), ErrorSerializer)


@extend_schema(
    request=SanctionSerializer,
    responses={201: SuspensionSerializer, **_ERRORS},
    description="Suspends an account: no claims, launches, resumes or withdrawals; its active "
    "campaigns are paused. Money stays. Errors: `reason_required` (400), "
    "`own_case` (403, your own account), `cannot_suspend_moderator` (403), "
    "`already_suspended` (409).",
)
class UserSuspendView(_Sanction):
    service = staticmethod(user_suspend)
    created = status.HTTP_201_CREATED


@extend_schema(
    request=SanctionSerializer,
    responses={200: SuspensionSerializer, **_ERRORS},
    description="Lifts an account's suspension (its paused campaigns stay paused). Errors: "
    "`reason_required` (400), `own_case` (403, your own account), `not_suspended` (409).",
)
class UserReinstateView(_Sanction):
    service = staticmethod(user_reinstate)


urlpatterns = [
    path(
        "users/<int:pk>/suspend/",
        UserSuspendView.as_view(),
        name="moderation-user-suspend",
    ),
    path(
        "users/<int:pk>/reinstate/",
        UserReinstateView.as_view(),
        name="moderation-user-reinstate",
    ),
]
