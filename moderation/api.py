"""Moderation API (moderators only): suspend and reinstate accounts, read the audit log.

Errors are ``{code, detail}``: ``reason_required`` (400), ``own_case`` (403: your own
account) and ``cannot_suspend_moderator`` (403), ``already_suspended`` and ``not_suspended``
(409); 404 for an unknown user; 401/403 for anybody who is not a moderator.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from marketplace.api import ApiError, ErrorSerializer
from payments.api.payouts import IsModerator
from tasks.pagination import is_id

from . import selectors
from .models import ModerationAction, Suspension
from .services import ModerationError, user_reinstate, user_suspend


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


class AuditActorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()


class AuditTargetSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()
    repr = serializers.CharField()


class ModerationActionSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()

    class Meta:
        model = ModerationAction
        fields = ["id", "action", "actor", "target", "reason", "details", "created_at"]
        read_only_fields = fields

    @extend_schema_field(AuditActorSerializer(allow_null=True))
    def get_actor(self, row: ModerationAction) -> dict | None:
        return {"id": row.actor.pk, "email": row.actor.email} if row.actor else None

    @extend_schema_field(AuditTargetSerializer)
    def get_target(self, row: ModerationAction) -> dict:
        kind = row.target_type
        return {
            "type": f"{kind.app_label}.{kind.model}",
            "id": row.target_id,
            "repr": row.target_repr,
        }


def _api_error(error: ModerationError) -> ApiError:
    return ApiError(error.status, error.code, error.message)


class _Sanction(APIView):
    permission_classes = [IsModerator]
    service = staticmethod(user_suspend)
    created = status.HTTP_200_OK

    def post(self, request: Request, pk: int) -> Response:
        body = SanctionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = get_object_or_404(User, pk=pk)
        try:
            suspension = self.service(
                user=user, by=request.user, reason=body.validated_data["reason"]
            )
        except ModerationError as error:
            raise _api_error(error) from error
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


@extend_schema(
    parameters=[
        OpenApiParameter("action", str, description="Exact action, e.g. campaign.approve"),
        OpenApiParameter("moderator", int, description="The moderator's user id"),
        OpenApiParameter("target", str, description="Search in the target's text, or its id"),
    ],
    responses={200: ModerationActionSerializer(many=True), 401: ErrorSerializer},
)
class AuditListView(ListAPIView):
    """The audit log, newest first (paginated ``{count, next, previous, results}``)."""

    serializer_class = ModerationActionSerializer
    permission_classes = [IsModerator]

    def get_queryset(self):
        params = self.request.query_params
        moderator = params.get("moderator", "")
        return selectors.audit_log(
            action=params.get("action", ""),
            actor_id=int(moderator) if is_id(moderator) else None,
            target=params.get("target", "").strip(),
        )
