"""``/api/v1/me/``: the signed-in user's profile and roles, with their money (which accounts,
below payments, cannot know)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import ErrorSerializer
from payments.selectors import balances_of


class BalanceSerializer(serializers.Serializer):
    available_cents = serializers.IntegerField(help_text=_("Yours to spend or withdraw."))
    escrow_cents = serializers.IntegerField(help_text=_("Locked for your campaigns' tasks."))
    payout_cents = serializers.IntegerField(help_text=_("Withdrawals on their way to you."))


class MeSerializer(serializers.ModelSerializer):
    country = serializers.CharField(
        source="country.code", read_only=True, help_text=_("ISO 3166-1 alpha-2 code, or empty.")
    )
    time_zone = serializers.CharField(
        source="zone",
        read_only=True,
        help_text=_("The IANA zone pages show times in: the profile's, else the country's."),
    )
    is_moderator = serializers.BooleanField(read_only=True)
    level = serializers.IntegerField(
        read_only=True, help_text=_("The worker's level: 0 (new) to 3, see /levels/.")
    )
    balance = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "display_name",
            "country",
            "language",
            "time_zone",
            "is_moderator",
            "level",
            "balance",
        ]
        read_only_fields = fields

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, user: User) -> dict:
        return BalanceSerializer(balances_of(user)).data


class MeView(APIView):
    """The signed-in user's profile and roles."""

    @extend_schema(responses={200: MeSerializer, 401: ErrorSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
