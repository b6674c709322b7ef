"""Employers' statistics (``tasks.statistics``): one campaign's (its owner's only, 404 for anybody
else) and the dashboard across all their campaigns. Days are the user's (``User.zone``, named
in ``time_zone``); money in cents, durations in seconds."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.statistics import DEFAULT_SPAN, SPANS, campaign_statistics, employer_dashboard

from .base import errors, own_campaign
from .serializers import campaign_status_field


class StatisticsQuerySerializer(serializers.Serializer):
    days = serializers.ChoiceField(choices=SPANS, default=DEFAULT_SPAN)


DAYS_PARAMETER = OpenApiParameter(
    "days",
    int,
    enum=list(SPANS),
    default=DEFAULT_SPAN,
    description="How many days ``days`` covers, today (in your time zone) the last.",
)


class StatisticsDaySerializer(serializers.Serializer):
    """Work sent on one day (an assignment counts on the day its latest proof was sent), by
    what became of it; check tasks aside."""

    date = serializers.DateField()
    submitted = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField(help_text="Rejected, under dispute included.")
    undecided = serializers.IntegerField(help_text="Waiting for review or sent back.")


class StatisticsTotalsSerializer(serializers.Serializer):
    """Work (check tasks aside) and money. The approval rate counts a rejection under dispute
    as a rejection until it is decided; null before any review."""

    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    disputed = serializers.IntegerField()
    waiting = serializers.IntegerField(help_text="Submissions waiting for your review.")
    approval_rate = serializers.IntegerField(allow_null=True, help_text="Percent.")
    positions = serializers.IntegerField()
    positions_done = serializers.IntegerField(help_text="Positions paid.")
    spent_cents = serializers.IntegerField(
        help_text="Paid from escrow for approved work: rewards and Kaaj's fees."
    )
    paid_to_workers_cents = serializers.IntegerField()
    fees_cents = serializers.IntegerField()
    escrow_cents = serializers.IntegerField(help_text="Still in escrow.")
    refunded_cents = serializers.IntegerField(help_text="Returned from escrow to your wallet.")
    bonus_cents = serializers.IntegerField(help_text="Bonuses paid, with Kaaj's fee.")


class CampaignFiguresSerializer(StatisticsTotalsSerializer):
    median_time_to_complete_seconds = serializers.IntegerField(
        source="median_to_complete", allow_null=True, help_text="From claim to submission."
    )
    median_time_to_review_seconds = serializers.IntegerField(
        source="median_to_review", allow_null=True, help_text="From submission to review."
    )


class GoldAccuracySerializer(serializers.Serializer):
    answered = serializers.IntegerField()
    right = serializers.IntegerField()
    percent = serializers.IntegerField()


class CampaignStatisticsSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(source="campaign.pk")
    title = serializers.CharField(source="campaign.title")
    status = campaign_status_field(source="campaign.status")
    time_zone = serializers.CharField(source="zone")
    days = StatisticsDaySerializer(many=True)
    figures = CampaignFiguresSerializer()
    gold_accuracy = GoldAccuracySerializer(
        source="gold", allow_null=True, help_text="All workers' check-task answers; null: none."
    )


class StatisticsRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="campaign.pk")
    title = serializers.CharField(source="campaign.title")
    status = campaign_status_field(source="campaign.status")
    figures = CampaignFiguresSerializer()


class EmployerStatisticsSerializer(serializers.Serializer):
    time_zone = serializers.CharField(source="zone")
    days = StatisticsDaySerializer(many=True, help_text="Work sent to any of your campaigns.")
    totals = StatisticsTotalsSerializer()
    campaigns = StatisticsRowSerializer(source="rows", many=True, help_text="Newest first.")


def _days(request: Request) -> int:
    query = StatisticsQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["days"]


class CampaignStatisticsView(APIView):
    """One of your campaigns' statistics: work sent per day, reviews, times and money."""

    @extend_schema(
        parameters=[DAYS_PARAMETER],
        responses={200: CampaignStatisticsSerializer, **errors(400, 401, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        campaign = own_campaign(request, pk)
        stats = campaign_statistics(campaign, zone=request.user.zone, days=_days(request))
        return Response(CampaignStatisticsSerializer(stats).data)


class EmployerStatisticsView(APIView):
    """Your campaigns' statistics: totals, one row per campaign, work sent per day."""

    @extend_schema(
        parameters=[DAYS_PARAMETER],
        responses={200: EmployerStatisticsSerializer, **errors(400, 401)},
    )
    def get(self, request: Request) -> Response:
        dashboard = employer_dashboard(request.user, zone=request.user.zone, days=_days(request))
        return Response(EmployerStatisticsSerializer(dashboard).data)
