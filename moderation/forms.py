"""Moderators' forms: decide a campaign in review, find a user, suspend or reinstate, filter
the audit log."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AUDIT_ACTIONS, User


def _user_by_email(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise forms.ValidationError(_("No account has this email address."))
    return user


class ReasonForm(forms.Form):
    """Why: required for every sanction, kept in the audit log."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Kept in the audit log; the user is told."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why."))
        return reason


class SuspendForm(ReasonForm):
    """Suspend an account named by its email address."""

    email = forms.EmailField(label=gettext_lazy("Account email"))
    field_order = ["email", "reason"]

    def clean_email(self) -> User:
        return _user_by_email(self.cleaned_data["email"])


class UserLookupForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Account email"))

    def clean_email(self) -> User:
        return _user_by_email(self.cleaned_data["email"])


class AuditFilterForm(forms.Form):
    """The audit log's filters; every one optional."""

    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    moderator = forms.ModelChoiceField(
        label=gettext_lazy("Moderator"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Anyone"),
    )
    target = forms.CharField(label=gettext_lazy("Target"), max_length=100, required=False)

    def __init__(self, *args, actions: list[str], moderators, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any action"))] + [
            (a, AUDIT_ACTIONS.get(a, a)) for a in actions
        ]
        self.fields["moderator"].queryset = moderators


class CampaignDecisionForm(forms.Form):
    """A moderator's decision on a campaign in review: the button pressed (``action``) is
    approve or reject."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Needed to reject; the employer sees it."),
    )

    def clean(self) -> dict:
        data = super().clean()
        action = self.data.get("action")
        if action not in ("approve", "reject"):
            raise forms.ValidationError(_("Choose approve or reject."))
        if action == "reject" and not data.get("reason"):
            self.add_error("reason", _("Say why the campaign is rejected."))
        data["action"] = action
        return data
