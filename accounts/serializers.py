from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import ApiToken


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    device = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text=_("A name for this device, shown in your list of tokens (e.g. “Rina's phone”)."),
    )
    code = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=_(
            "With two-step sign-in on: the 6-digit code from the authenticator app, or one "
            "unused recovery code."
        ),
    )


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("This token's id in `GET /api/v1/tokens/`."))
    token = serializers.CharField(
        help_text=_("Send as `Authorization: Token <token>`. Shown this once, never again.")
    )
    expiry = serializers.DateTimeField(help_text=_("After this the token is refused."))


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it in the list: never the token itself."""

    device = serializers.CharField(source="name", read_only=True)
    current = serializers.SerializerMethodField(
        help_text=_("True for the token this request was sent with.")
    )

    class Meta:
        model = ApiToken
        fields = ["id", "device", "created", "expiry", "last_used", "current"]
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        return token == getattr(self.context.get("request"), "auth", None)
