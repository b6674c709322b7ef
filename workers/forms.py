"""The worker's forms: the feed's filters; qualification tests, written and taken; an
employer's groups of workers."""

from django import forms
from django.utils.translation import gettext_lazy

from core.fields import MoneyFormField
from tasks import limits, search
from tasks import qualifications as rules
from tasks.models import Qualification
from tasks.services.qualifications import QualificationSpec

from .searches import SAVED_SEARCH_NAME_MAX_CHARS
from .selectors import FEED_SORTS, FeedFilters


class FeedQueryForm(forms.Form):
    """The feed page's filters, held to what the API's FeedQuerySerializer accepts (rewards
    typed as amounts here, in cents there); ``filters()`` makes them a FeedFilters, whose
    rule over them (the range) is the one both follow."""

    q = forms.CharField(
        label=gettext_lazy("Words"), required=False, max_length=search.QUERY_MAX_CHARS
    )
    category = forms.SlugField(required=False)
    min_reward = MoneyFormField(
        label=gettext_lazy("Reward from"),
        required=False,
        maximum=limits.REWARD_MAX_CENTS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    max_reward = MoneyFormField(
        label=gettext_lazy("to"),
        required=False,
        maximum=limits.REWARD_MAX_CENTS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    hide_done = forms.BooleanField(label=gettext_lazy("Hide campaigns I worked on"), required=False)
    sort = forms.ChoiceField(choices=[(s, s) for s in FEED_SORTS], required=False)

    def filters(self) -> FeedFilters:
        """The valid fields as FeedFilters (a field in error is left out); DomainError when
        the range is upside down."""
        return FeedFilters(**self._values())

    def filters_unranged(self) -> FeedFilters:
        """The filters without the reward range (what still applies when it is refused)."""
        return FeedFilters(**self._values() | {"min_reward_cents": None, "max_reward_cents": None})

    def _values(self) -> dict:
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "category": data.get("category") or None,
            "min_reward_cents": data.get("min_reward"),
            "max_reward_cents": data.get("max_reward"),
            "hide_done": bool(data.get("hide_done")),
        }


class SavedSearchForm(forms.Form):
    """The name a worker gives the search they are looking at."""

    name = forms.CharField(
        label=gettext_lazy("Name this search"), max_length=SAVED_SEARCH_NAME_MAX_CHARS
    )


# --- qualification tests ------------------------------------------------------------------------

# Rows of questions on the writing page: the first ones typed in are the test (empty rows are
# left out), so the page needs no script to add a row.
QUESTION_ROWS = 10


class QualificationForm(forms.Form):
    """A test's settings and up to QUESTION_ROWS questions, one row each: the question, its
    kind, the choices (one a line) and the right answer (a choice's number, or the text)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=rules.NAME_MAX_CHARS)
    description = forms.CharField(
        label=gettext_lazy("What it checks"),
        required=False,
        max_length=rules.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Workers read this before they start."),
    )
    pass_mark = forms.IntegerField(
        label=gettext_lazy("Pass mark (%)"), min_value=1, max_value=100, initial=80
    )
    retake_after_hours = forms.IntegerField(
        label=gettext_lazy("Hours before a worker may try again"),
        min_value=0,
        max_value=rules.RETAKE_AFTER_HOURS_MAX,
        initial=24,
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Open: workers may take it"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for n in range(QUESTION_ROWS):
            self.fields[f"q{n}_text"] = forms.CharField(
                label=gettext_lazy("Question"), required=False, max_length=rules.QUESTION_MAX_CHARS
            )
            self.fields[f"q{n}_kind"] = forms.ChoiceField(
                label=gettext_lazy("Answered by"),
                choices=[
                    ("choice", gettext_lazy("Choosing one")),
                    ("text", gettext_lazy("Typing a short answer")),
                ],
                initial="choice",
            )
            self.fields[f"q{n}_choices"] = forms.CharField(
                label=gettext_lazy("Choices, one a line"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"q{n}_answer"] = forms.CharField(
                label=gettext_lazy("Right answer"),
                required=False,
                max_length=rules.ANSWER_MAX_CHARS,
                help_text=gettext_lazy("The right choice's number (1 for the first), or the text."),
            )

    def rows(self) -> list[list]:
        """Each question row's four fields, bound, for the template."""
        return [
            [self[f"q{n}_{part}"] for part in ("text", "kind", "choices", "answer")]
            for n in range(QUESTION_ROWS)
        ]

    def questions(self) -> list[dict]:
        """The rows with a question, as ``tasks.qualifications`` reads them (it decides)."""
        data, questions = self.cleaned_data, []
        for n in range(QUESTION_ROWS):
            text = data.get(f"q{n}_text", "").strip()
            if not text:
                continue
            kind, answer = data.get(f"q{n}_kind"), data.get(f"q{n}_answer", "").strip()
            question = {"text": text, "kind": kind, "answer": answer}
            if kind == "choice":
                lines = data.get(f"q{n}_choices", "").splitlines()
                question["choices"] = [line.strip() for line in lines if line.strip()]
                question["answer"] = int(answer) - 1 if answer.isdigit() else None
            questions.append(question)
        return questions

    def spec(self) -> QualificationSpec:
        data = self.cleaned_data
        return QualificationSpec(
            name=data["name"],
            description=data["description"],
            questions=self.questions(),
            pass_mark=data["pass_mark"],
            retake_after_hours=data["retake_after_hours"],
            is_active=data["is_active"],
        )

    @staticmethod
    def initial_for(qualification: Qualification) -> dict:
        initial = {
            "name": qualification.name,
            "description": qualification.description,
            "pass_mark": qualification.pass_mark,
            "retake_after_hours": qualification.retake_after_hours,
            "is_active": qualification.is_active,
        }
        for n, question in enumerate(qualification.questions[:QUESTION_ROWS]):
            choice = question["kind"] == "choice"
            initial |= {
                f"q{n}_text": question["text"],
                f"q{n}_kind": question["kind"],
                f"q{n}_choices": "\n".join(question["choices"]),
                f"q{n}_answer": str(question["answer"] + 1) if choice else question["answer"],
            }
        return initial


class AttemptForm(forms.Form):
    """A test as the worker answers it: one field a question (choices as radio buttons)."""

    def __init__(self, *args, questions: list[dict], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for n, question in enumerate(questions):
            if question["kind"] == "choice":
                self.fields[f"a{n}"] = forms.TypedChoiceField(
                    label=question["text"],
                    choices=list(enumerate(question["choices"])),
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": gettext_lazy("Choose one.")},
                )
            else:
                self.fields[f"a{n}"] = forms.CharField(
                    label=question["text"],
                    max_length=rules.ANSWER_MAX_CHARS,
                    error_messages={"required": gettext_lazy("Type your answer.")},
                )

    def answers(self) -> list:
        return [self.cleaned_data[f"a{n}"] for n in range(len(self.questions))]


# --- warnings before sanctions ------------------------------------------------------------------


class AppealForm(forms.Form):
    """Why a warning or pause is wrong (the service checks it: ``workers.sanctions``)."""

    reason = forms.CharField(
        label=gettext_lazy("Why is it wrong?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


# --- groups of chosen workers ---------------------------------------------------------------


class GroupForm(forms.Form):
    """A group's name (new, or renamed); the service holds the rules."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=limits.GROUP_NAME_MAX_CHARS)


class GroupMemberForm(forms.Form):
    """A worker added to a group by id (the number on their public profile)."""

    worker = forms.IntegerField(
        label=gettext_lazy("Worker number"),
        min_value=1,
        help_text=gettext_lazy("Workers find their number on their profile page."),
    )


class AddToGroupForm(forms.Form):
    """From the review queue: the worker of a submission into one of the employer's groups,
    or into a new one named here."""

    group = forms.ModelChoiceField(
        label=gettext_lazy("Group"),
        queryset=None,  # the employer's groups (__init__)
        required=False,
        widget=forms.RadioSelect,
        empty_label=None,
    )
    new_name = forms.CharField(
        label=gettext_lazy("Or a new group"),
        max_length=limits.GROUP_NAME_MAX_CHARS,
        required=False,
    )

    def __init__(self, *args, groups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        if not groups:
            del self.fields["group"]
            self.fields["new_name"].label = gettext_lazy("New group")

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("group") and not (data.get("new_name") or "").strip():
            field = "group" if "group" in self.fields else "new_name"
            self.add_error(field, gettext_lazy("Choose a group, or name a new one."))
        return data
