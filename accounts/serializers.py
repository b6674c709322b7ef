from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.selectors import balances_of

from .models import User


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as `Authorization: Token <token>`."))


class BalanceSerializer(serializers.Serializer):
    available_cents = serializers.IntegerField(help_text=_("Yours to spend or withdraw."))
    escrow_cents = serializers.IntegerField(help_text=_("Locked for your campaigns' tasks."))
    payout_cents = serializers.IntegerField(help_text=_("Withdrawals on their way to you."))


class MeSerializer(serializers.ModelSerializer):
    country = serializers.CharField(
        source="country.code", read_only=True, help_text=_("ISO 3166-1 alpha-2 code, or empty.")
    )
    is_moderator = serializers.BooleanField(read_only=True)
    balance = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "country", "language", "is_moderator", "balance"]
        read_only_fields = fields

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, user: User) -> dict:
        return BalanceSerializer(balances_of(user)).data
