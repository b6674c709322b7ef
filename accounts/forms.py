from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from .models import Language, User
from .services import user_update_profile
from .timezones import time_zone_choices


def country_choices() -> list[tuple[str, str]]:
    """Countries named and sorted in the language of the request (a list built at import would
    stay in English)."""
    return [("", "—"), *countries]


def current_language() -> str:
    """The language the visitor is reading now, when it is one of Kaaj's; else English."""
    language = translation.get_language() or ""
    return language if language in Language.values else Language.ENGLISH


class ProfileFields(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        required=False,
        help_text=_("The name employers and workers see. Leave empty to stay anonymous."),
    )
    country = LazyTypedChoiceField(label=_("Country"), choices=country_choices, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=Language.choices, initial=current_language
    )


class SignupProfileForm(ProfileFields):
    """Extra fields on allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    field_order = ["email", "display_name", "country", "language", "password1", "password2"]

    def signup(self, request, user: User) -> None:
        """allauth calls this once the new user is saved."""
        user_update_profile(
            user=user,
            display_name=self.cleaned_data["display_name"],
            country=self.cleaned_data["country"],
            language=self.cleaned_data["language"],
        )


class ProfileForm(ProfileFields):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        # A callable: the labels and their order are the reader's language's.
        choices=lambda: [("", _("My country's")), *time_zone_choices()],
        required=False,
        help_text=_("Every time on Kaaj is shown in this zone."),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)
    next = forms.CharField(required=False)
