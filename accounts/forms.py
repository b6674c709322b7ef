from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from .models import Language, User
from .selectors import has_two_step
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


# --- Two-step sign-in: allauth.mfa's forms (MFA_FORMS) with Kaaj's labels ------------------


class TwoStepCodeField:
    """The code box of allauth's two-step forms as a phone wants it: a digits keyboard, the
    phone's own code suggestions (``one-time-code``), a label and help in Kaaj's words (no
    placeholder standing in for the label)."""

    code_label = _("Code")
    code_help = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.label, code.help_text = self.code_label, self.code_help
        code.widget.attrs = {
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autocapitalize": "off",
            "spellcheck": "false",
        }


class TwoStepAuthenticateForm(TwoStepCodeField, AuthenticateForm):
    """The second step of signing in: the app's code, or one recovery code."""

    code_label = _("6-digit code from your authenticator app")
    code_help = _("Lost your phone? Type one of your 8-digit recovery codes instead.")


class TwoStepReauthenticateForm(TwoStepCodeField, ReauthenticateForm):
    code_label = _("6-digit code from your authenticator app")
    code_help = _("Or one of your 8-digit recovery codes.")


class TwoStepActivateForm(TwoStepCodeField, ActivateTOTPForm):
    code_label = _("6-digit code the app shows for Kaaj")


class AdminLoginForm(AdminAuthenticationForm):
    """The Django admin's own log-in page (admin.site.login_form) asks for the password only:
    an account with two-step sign-in on is sent to Kaaj's log-in page, which asks for the code
    too. Otherwise a password alone would open a session (for the admin and the moderation
    pages) that the code was meant to guard."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if has_two_step(user):
            raise ValidationError(
                _(
                    "Two-step sign-in is on for this account: log in on Kaaj's log-in page "
                    "(it asks for your code), then open the admin."
                ),
                code="two_step",
            )
