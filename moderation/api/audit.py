"""The audit log (moderators only): every moderator decision, newest first."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from accounts.models import ModerationAction
from accounts.permissions import IsModerator
from core.api import ErrorSerializer
from core.pagination import is_id
from moderation import selectors


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


urlpatterns = [
    path("audit/", AuditListView.as_view(), name="moderation-audit"),
]
