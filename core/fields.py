"""The one money field, for serializers (integer cents) and for forms (an amount as typed).

Both take ``minimum`` (cents, default 0) and an optional ``maximum`` below MONEY_MAX_CENTS,
and refuse anything outside with a message that states the bound (``money_bound_error``).
The services still decide what an amount may be for their purpose (a deposit's minimum, the
wallet's balance, with their own error codes); these fields keep what reaches them within
sane integers.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from core.money import format_cents, money_bound_error, parse_amount


class MoneyField(serializers.IntegerField):
    """An integer number of cents within the money bounds (``*_cents`` in the API)."""

    default_error_messages = {
        "max_value": gettext_lazy("At most {cents} cents ({amount})."),
        "min_value": gettext_lazy("At least {cents} cents ({amount})."),
    }

    def __init__(self, *, minimum: int = 0, maximum: int | None = None, **kwargs) -> None:
        self.minimum, self.maximum = minimum, maximum
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> int:
        cents = super().to_internal_value(data)
        problem = money_bound_error(cents, minimum=self.minimum, maximum=self.maximum)
        if problem is not None:
            code, bound = problem
            self.fail(code, cents=bound, amount=format_cents(bound))
        return cents


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    """The bounds in the schema, as of the settings the schema is built with."""

    target_class = MoneyField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        top = settings.MONEY_MAX_CENTS
        return {
            "type": "integer",
            "format": "int64",
            "minimum": field.minimum,
            "maximum": top if field.maximum is None else min(field.maximum, top),
        }


class MoneyFormField(forms.Field):
    """An amount as people type it (``12.50`` or ``12,50``), cleaned to cents within the
    money bounds. ``signed`` accepts a leading minus (the bounds then apply to its size)."""

    widget = forms.TextInput
    default_error_messages = {"invalid": gettext_lazy("Enter an amount such as 12.50.")}

    def __init__(
        self, *, minimum: int = 0, maximum: int | None = None, signed: bool = False, **kwargs
    ) -> None:
        self.minimum, self.maximum, self.signed = minimum, maximum, signed
        super().__init__(**kwargs)

    def to_python(self, value) -> int | None:
        text = "" if value in self.empty_values else str(value).strip()
        if not text:
            return None
        sign = -1 if self.signed and text.startswith("-") else 1
        if self.signed:
            text = text.removeprefix("-").removeprefix("+")
        try:
            cents = parse_amount(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        problem = money_bound_error(cents, minimum=self.minimum, maximum=self.maximum)
        if problem is not None:
            code, bound = problem
            message = _("At most %(amount)s.") if code == "max_value" else _("At least %(amount)s.")
            raise forms.ValidationError(message % {"amount": format_cents(bound)}, code=code)
        return sign * cents
