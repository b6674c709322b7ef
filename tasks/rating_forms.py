"""The ratings' forms: a worker's rating, an employer's answer, a report, a moderator's
decision. Their bounds come from ``tasks.limits``; the service decides (these only put a
message next to the field before it is asked)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from tasks import limits

SCORES = [(n, str(n)) for n in range(limits.RATING_SCORE_MIN, limits.RATING_SCORE_MAX + 1)]


def _score(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "scores"}),
        help_text=gettext_lazy("1 is poor, 5 is excellent."),
    )


def _text(label, most: int, *, required: bool, help_text="") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=most,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


class RatingForm(forms.Form):
    pay = _score(gettext_lazy("Pay fairness"))
    clarity = _score(gettext_lazy("Clarity of the instructions"))
    speed = _score(gettext_lazy("Speed of review"))
    comment = _text(
        gettext_lazy("Comment"),
        limits.RATING_COMMENT_MAX_CHARS,
        required=False,
        help_text=gettext_lazy("Shown without your name. Keep it about the work."),
    )


class RatingAnswerForm(forms.Form):
    answer = _text(
        gettext_lazy("Your answer"),
        limits.RATING_ANSWER_MAX_CHARS,
        required=True,
        help_text=gettext_lazy("Shown under the rating, to every worker."),
    )


class RatingReportForm(forms.Form):
    reason = _text(gettext_lazy("What is wrong with it"), limits.REASON_MAX_CHARS, required=True)


class RatingDecisionForm(forms.Form):
    """A moderator's decision: the button pressed (``action``: hide or keep) and why."""

    action = forms.ChoiceField(
        choices=[("hide", gettext_lazy("Hide")), ("keep", gettext_lazy("Keep"))]
    )
    reason = _text(gettext_lazy("Reason"), limits.REASON_MAX_CHARS, required=True)
