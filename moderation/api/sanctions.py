"""Appeals against warnings and pauses for rejections: the open ones, oldest first, and the
decision on one (moderators only).

Errors are ``{code, detail}``: ``reason_required`` (400), ``own_case`` (403: your own
appeal), ``appeal_not_open`` (409); 404 for an unknown step; 401/403 for anybody who is not
a moderator."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Sanction
from accounts.permissions import IsModerator
from tasks.api.base import errors
from workers.api_sanctions import SanctionStepSerializer
from workers.sanctions import APPEAL_MAX_LENGTH, open_appeals, sanction_appeal_decide


class AppealDecisionSerializer(serializers.Serializer):
    lift = serializers.BooleanField(help_text="True lifts the step; false upholds it.")
    reason = serializers.CharField(
        max_length=APPEAL_MAX_LENGTH, allow_blank=True, default="", help_text="The user sees it."
    )


@extend_schema_view(
    get=extend_schema(responses={200: SanctionStepSerializer(many=True), **errors(401, 403)})
)
class AppealListView(ListAPIView):
    """Appealed warnings and pauses waiting for a decision, oldest appeal first."""

    serializer_class = SanctionStepSerializer
    permission_classes = [IsModerator]

    def get_queryset(self):
        return open_appeals()


class AppealDecideView(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        request=AppealDecisionSerializer,
        responses={200: SanctionStepSerializer, **errors(400, 401, 403, 404, 409)},
        description="Decides an appeal with a reason the user reads: `lift` ends the "
        "warning or pause at once (it no longer counts towards the next step), otherwise it "
        "stands. Errors: `reason_required` (400), `own_case` (403), `appeal_not_open` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        sanction = get_object_or_404(Sanction, pk=pk)
        data = AppealDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sanction = sanction_appeal_decide(sanction=sanction, by=request.user, **data.validated_data)
        return Response(SanctionStepSerializer(sanction).data)


urlpatterns = [
    path("sanctions/", AppealListView.as_view(), name="moderation-sanctions"),
    path(
        "sanctions/<int:pk>/decide/",
        AppealDecideView.as_view(),
        name="moderation-sanction-decide",
    ),
]
