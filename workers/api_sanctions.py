"""Warnings before sanctions in the API: one's own steps, and an appeal against one.

Errors are ``{code, detail}``: ``reason_required``/``reason_too_long`` (400),
``sanction_lifted`` and ``already_appealed`` (409); 404 for anybody else's step."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Sanction
from tasks.api.base import errors

from .sanctions import APPEAL_MAX_LENGTH, sanction_appeal, sanction_of


class RejectionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The assignment.")
    campaign = serializers.CharField(help_text="Its campaign's title.")
    reason = serializers.CharField(help_text="The employer's reason.")
    at = serializers.DateTimeField(help_text="When it was rejected.")


class SanctionStepSerializer(serializers.ModelSerializer):
    """One step of the ladder before sanctions, with the evidence it rests on."""

    user = serializers.IntegerField(source="user_id", read_only=True)
    window_days = serializers.SerializerMethodField()
    rejections = serializers.SerializerMethodField()
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = Sanction
        fields = [
            "id",
            "user",
            "side",
            "step",
            "number",
            "rejection_rate",
            "reviewed",
            "rejected",
            "window_days",
            "rejections",
            "starts_at",
            "ends_at",
            "in_force",
            "lifted_at",
            "lift_reason",
            "appeal",
            "appeal_status",
            "appealed_at",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields

    def get_window_days(self, step: Sanction) -> int:
        return int(step.details.get("window_days") or 0)

    @extend_schema_field(RejectionSerializer(many=True))
    def get_rejections(self, step: Sanction) -> list[dict]:
        return list(step.details.get("rejections") or [])

    def get_in_force(self, step: Sanction) -> bool:
        """A pause that stops claims (worker) or launches (employer) now."""
        return step.in_force(timezone.now())


class AppealSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=APPEAL_MAX_LENGTH,
        allow_blank=True,
        default="",
        help_text="Why the warning or pause is wrong; a moderator reads it.",
    )


@extend_schema_view(
    get=extend_schema(responses={200: SanctionStepSerializer(many=True), **errors(401)})
)
class SanctionListView(ListAPIView):
    """Your warnings and pauses for rejections, newest first (the rules: /warnings/)."""

    serializer_class = SanctionStepSerializer

    def get_queryset(self):
        return Sanction.objects.filter(user_id=self.request.user.pk).order_by("-starts_at", "-id")


class SanctionAppealView(APIView):
    @extend_schema(
        request=AppealSerializer,
        responses={200: SanctionStepSerializer, **errors(400, 401, 404, 409)},
        description="Appeals one of your warnings or pauses, once, saying why; a moderator "
        "lifts or upholds it. Errors: `reason_required`, `reason_too_long` (400); "
        "`sanction_lifted`, `already_appealed` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        sanction = sanction_of(request.user, pk)
        data = AppealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sanction = sanction_appeal(
            sanction=sanction, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(SanctionStepSerializer(sanction).data)
