"""The worker's API shapes: the feed (field names are the public contract in DESIGN.md)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import MoneyField
from tasks import limits, search
from tasks.api.serializers import ProofFieldSerializer
from tasks.models import Campaign

from .selectors import FEED_SORTS, FeedFilters


class FeedQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=search.QUERY_MAX_CHARS,
        help_text=_(
            "Words, in English or Bengali: campaigns whose title or instructions have every "
            "one (each as the start of a word; English words by their stem)."
        ),
    )
    category = serializers.SlugField(required=False)
    min_reward_cents = MoneyField(
        required=False, maximum=limits.REWARD_MAX_CENTS, help_text=_("Rewards from this.")
    )
    max_reward_cents = MoneyField(
        required=False, maximum=limits.REWARD_MAX_CENTS, help_text=_("Rewards up to this.")
    )
    hide_done = serializers.BooleanField(
        default=False, help_text=_("Leave out campaigns you have worked on.")
    )
    sort = serializers.ChoiceField(choices=list(FEED_SORTS), default="reward")

    def filters(self) -> FeedFilters:
        """The query as FeedFilters; DomainError when the range is upside down."""
        data = self.validated_data
        return FeedFilters(
            q=data.get("q", ""),
            category=data.get("category") or None,
            min_reward_cents=data.get("min_reward_cents"),
            max_reward_cents=data.get("max_reward_cents"),
            hide_done=data["hide_done"],
        )


class EmployerStatsSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("Their ratings: /api/v1/employers/{id}/ratings/."))
    name = serializers.CharField()
    approval_rate = serializers.IntegerField(
        allow_null=True, help_text=_("Percent of reviewed work approved; null before any.")
    )
    average_time_to_rate_hours = serializers.FloatField(
        allow_null=True, help_text=_("From submission to review, on average; null before any.")
    )
    overturned_rejections = serializers.IntegerField(
        help_text=_("Rejections overturned on dispute (by a moderator or the employer).")
    )
    rating_average = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "Workers' ratings: the mean of their three scores (1 to 5), to one decimal; "
            "null before any."
        ),
    )
    rating_count = serializers.IntegerField(help_text=_("Workers' ratings shown."))


class FeedItemSerializer(serializers.ModelSerializer):
    """A campaign as a worker finds it in the feed, with its employer's track record."""

    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    proof_fields = ProofFieldSerializer(many=True, read_only=True)
    open_tasks = serializers.IntegerField(read_only=True)
    employer = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "title",
            "category",
            "instructions",
            "reward_cents",
            "proof_fields",
            "time_to_complete_minutes",
            "time_to_rate_hours",
            "ends_at",
            "launched_at",
            "open_tasks",
            "uses_verification_code",
            "employer",
        ]
        read_only_fields = fields

    @extend_schema_field(EmployerStatsSerializer)
    def get_employer(self, campaign: Campaign) -> dict:
        """From ``tasks.selectors.employer_stats_attach``."""
        stats, average = campaign.employer_stats, campaign.employer_stats.time_to_rate
        return {
            "id": campaign.employer_id,
            "name": campaign.employer.public_name,
            "approval_rate": stats.approval_rate,
            "average_time_to_rate_hours": round(average / timedelta(hours=1), 1)
            if average is not None
            else None,
            "overturned_rejections": stats.overturned,
            "rating_average": stats.rating_average,
            "rating_count": stats.rating_count,
        }
