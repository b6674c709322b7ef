from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from .models import Language, User
from .services import user_update_profile


class ProfileFields(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        required=False,
        help_text=_("The name employers and workers see. Leave empty to stay anonymous."),
    )
    country = LazyTypedChoiceField(
        label=_("Country"), choices=[("", "—"), *countries], required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=Language.choices, initial=Language.ENGLISH
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
    pass


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)
    next = forms.CharField(required=False)
