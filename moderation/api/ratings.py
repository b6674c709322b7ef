"""Reported ratings of employers: a moderator hides one or keeps it, with a reason for the
audit log (``tasks.services.ratings``)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsModerator
from tasks import limits
from tasks.api.base import errors
from tasks.api.ratings import RatingSerializer
from tasks.models import EmployerRating
from tasks.services.ratings import RATING_DECISIONS


class RatingDecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(RATING_DECISIONS))
    reason = serializers.CharField(
        max_length=limits.REASON_MAX_CHARS, help_text=_("For the audit log.")
    )


class ModerationRatingDecideView(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        request=RatingDecisionSerializer,
        responses={200: RatingSerializer, **errors(400, 401, 403, 404, 409)},
        description="`hide`: the rating leaves every public list and the employer's average "
        "(reported or not). `keep`: a waiting report is cleared. Audited with the reason. "
        "Errors: `reason_required`, `invalid` (400); `own_case` (403, the moderator wrote it "
        "or is its employer); `rating_hidden`, `not_reported` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        rating = get_object_or_404(EmployerRating, pk=pk)
        data = RatingDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decide = RATING_DECISIONS[data.validated_data["action"]]
        rating = decide(rating=rating, by=request.user, reason=data.validated_data["reason"])
        return Response(RatingSerializer(rating, context={"request": request}).data)


urlpatterns = [
    path(
        "ratings/<int:pk>/decide/",
        ModerationRatingDecideView.as_view(),
        name="moderation-rating-decide",
    ),
]
