"""Fair ratings through the API: a worker rates a campaign's employer (or changes the
rating), anybody signed in reads an employer's ratings, the employer answers one, anybody
but its author reports one. Moderators decide reports under /api/v1/moderation/
(moderation/api/ratings.py). The rules are ``tasks.services.ratings``'."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks import limits
from tasks.models import EmployerRating
from tasks.rating_selectors import (
    campaign_title_for,
    campaign_worked,
    employer_ratings,
    rated_employer,
    rating_of_employer,
    rating_visible_to,
)
from tasks.services.ratings import editable_until, rating_answer, rating_report, rating_save

from .base import errors

# --- shapes ----------------------------------------------------------------------------------


def _score(help_text) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=limits.RATING_SCORE_MIN, max_value=limits.RATING_SCORE_MAX, help_text=help_text
    )


class RatingSerializer(serializers.Serializer):
    """A rating of an employer as anybody signed in reads it: without its worker's name.
    Also the body of ``POST /api/v1/campaigns/{id}/rating/`` (``pay``, ``clarity``,
    ``speed``, ``comment``); bounds from ``tasks.limits``, which the service holds."""

    id = serializers.IntegerField(read_only=True)
    campaign = serializers.IntegerField(source="campaign_id", read_only=True)
    campaign_title = serializers.SerializerMethodField(
        help_text=_("Empty for a private campaign (open to chosen workers) not yours.")
    )
    employer = serializers.IntegerField(source="employer_id", read_only=True)
    pay = _score(_("Pay fairness, 1 to 5."))
    clarity = _score(_("Clarity of the instructions, 1 to 5."))
    speed = _score(_("Speed of review, 1 to 5."))
    average = serializers.FloatField(read_only=True, help_text=_("The three scores' mean."))
    comment = serializers.CharField(
        max_length=limits.RATING_COMMENT_MAX_CHARS, allow_blank=True, default=""
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_campaign_title(self, rating) -> str:
        request = self.context.get("request")
        return campaign_title_for(rating, request.user if request else None)

    editable_until = serializers.SerializerMethodField(
        help_text=_("Until when its worker may change it.")
    )
    answer = serializers.CharField(read_only=True, help_text=_("The employer's; empty if none."))
    answered_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_editable_until(self, rating: EmployerRating) -> datetime:
        return editable_until(rating.created_at)


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(
        max_length=limits.RATING_ANSWER_MAX_CHARS, help_text=_("Shown under the rating.")
    )


class ReportSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=limits.REASON_MAX_CHARS, help_text=_("What is wrong with the rating.")
    )


# --- endpoints -------------------------------------------------------------------------------


class CampaignRatingView(APIView):
    @extend_schema(
        request=RatingSerializer,
        responses={201: RatingSerializer, 200: RatingSerializer, **errors(400, 401, 403, 404, 409)},
        description="Rates the campaign's employer (201), or changes your rating (200) for "
        f"{limits.RATING_EDIT_DAYS} days after you first gave it; once per worker per "
        "campaign. Only with work of yours in it that the employer decided (a check task's "
        "does not count). Errors: `invalid` (400); `own_campaign` (403); `not_decided`, "
        "`edit_window_closed`, `rating_hidden` (409); 404 for a campaign you have no work in.",
    )
    def post(self, request: Request, pk: int) -> Response:
        campaign = campaign_worked(request.user, pk)
        data = RatingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating, created = rating_save(campaign=campaign, worker=request.user, **data.validated_data)
        return Response(
            RatingSerializer(rating, context={"request": request}).data,
            status=201 if created else 200,
        )


@extend_schema_view(
    get=extend_schema(
        responses={200: RatingSerializer(many=True), **errors(401, 404)},
        description="An employer's ratings by workers, newest first, each with the "
        "employer's answer; hidden ones left out. 404 for a user with no campaign workers "
        "know of.",
    )
)
class EmployerRatingsView(ListAPIView):
    serializer_class = RatingSerializer

    def get_queryset(self):
        return employer_ratings(rated_employer(self.kwargs["pk"]))


class RatingAnswerView(APIView):
    @extend_schema(
        request=AnswerSerializer,
        responses={200: RatingSerializer, **errors(400, 401, 404, 409)},
        description="Answers a rating of one of your campaigns, once; you may change the "
        f"answer for {limits.RATING_EDIT_DAYS} days after first giving it. Errors: "
        "`answer_required`, `invalid` (400); `edit_window_closed`, `rating_hidden` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        rating = rating_of_employer(request.user, pk)
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = rating_answer(rating=rating, by=request.user, **data.validated_data)
        return Response(RatingSerializer(rating, context={"request": request}).data)


class RatingReportView(APIView):
    @extend_schema(
        request=ReportSerializer,
        responses={200: RatingSerializer, **errors(400, 401, 403, 404, 409)},
        description="Reports a rating as abusive: moderators hide it or keep it. A second "
        "report while one waits changes nothing. Errors: `reason_required`, `invalid` (400); "
        "`own_rating` (403); `rating_hidden` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        rating = rating_visible_to(request.user, pk)
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = rating_report(rating=rating, by=request.user, **data.validated_data)
        return Response(RatingSerializer(rating, context={"request": request}).data)
