from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WebhookEvent


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("Where Kaaj sends events, e.g. https://example.com/kaaj/webhooks."),
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose none to receive every event, including ones Kaaj adds later."),
    )
