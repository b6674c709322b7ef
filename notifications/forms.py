from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import NotificationKind


class PreferencesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=_("Also send me an email when"),
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
