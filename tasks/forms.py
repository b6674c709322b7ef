"""Forms of the work-loop pages. They parse what people type; the services decide."""

from __future__ import annotations

import csv
import io

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from core.errors import DomainError
from core.fields import MoneyFormField
from tasks import limits
from tasks.gold import positions_and_checks
from tasks.models import Campaign, Category, ProofKind, Qualification, WorkerGroup
from tasks.selectors import groups_of, qualifications_usable
from tasks.services import CampaignSpec, reward_check

# Every bound below comes from tasks.limits, the numbers the campaign service enforces; the
# fields repeat them only to put the message next to the field.
PROOF_ROWS = limits.PROOF_FIELDS_MAX  # a row for each proof a campaign may ask for
SCREENSHOT_TYPES = "image/jpeg,image/png,image/webp"


def country_choices() -> list[tuple[str, str]]:
    """Every country as (code, name), by name in the active language (django-countries
    translates the names): called each time a form is built, so the language is the
    request's."""
    return [(country.code, country.name) for country in countries]


def countries_field(label) -> forms.MultipleChoiceField:
    """Countries chosen from their names (a list that opens as a picker on a phone), sent
    as codes."""
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        choices=country_choices,
        widget=forms.SelectMultiple(attrs={"size": 8, "class": "countries"}),
        help_text=gettext_lazy(
            "None chosen: every country. On a computer, hold Ctrl (⌘ on a Mac) to choose "
            "more than one."
        ),
    )


def reward_error(category: Category | None, reward_cents: int | None) -> str | None:
    """The campaign service's reward rule (``reward_check``) as a message, or None: for the
    form and the cost preview, so the category's minimum shows next to the reward."""
    if category is None or reward_cents is None:
        return None
    try:
        reward_check(category=category, reward_cents=reward_cents)
    except DomainError as error:
        return error.message
    return None


def parse_task_csv(upload) -> tuple[dict, ...]:
    """An uploaded CSV → one dict per row keyed by the first row's column names."""
    return parse_csv(upload, max_rows=settings.CAMPAIGN_CSV_MAX_ROWS)


def parse_csv(upload, *, max_rows: int) -> tuple[dict, ...]:
    """An uploaded CSV (UTF-8, at most TASK_FILE_MAX_BYTES and ``max_rows`` rows, every row
    as many values as the first names) → one dict per row keyed by the first row's column
    names. Raises ValidationError with what to fix."""
    if upload.size > limits.TASK_FILE_MAX_BYTES:
        raise forms.ValidationError(
            _("The file is larger than %(kb)s KB.") % {"kb": limits.TASK_FILE_MAX_BYTES // 1024}
        )
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise forms.ValidationError(_("Save the file as CSV in UTF-8.")) from error
    if "\x00" in text:  # PostgreSQL cannot store it; no spreadsheet writes one in a CSV
        raise forms.ValidationError(
            _("The file contains a NUL character; save it again as CSV in UTF-8.")
        )
    lines = list(csv.reader(io.StringIO(text)))
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if len(lines) < 2:
        raise forms.ValidationError(_("The file needs a row of column names and one row a task."))
    header = [name.strip() for name in lines[0]]
    if not all(header) or len(set(header)) != len(header):
        raise forms.ValidationError(_("Each column needs its own name in the first row."))
    rows = lines[1:]
    if len(rows) > max_rows:
        raise forms.ValidationError(_("The file has more than %(n)s rows.") % {"n": max_rows})
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise forms.ValidationError(
                _("Row %(row)s has %(found)s values; the first row names %(expected)s columns.")
                % {"row": number, "found": len(row), "expected": len(header)}
            )
    return tuple(
        {name: value.strip() for name, value in zip(header, row, strict=True)} for row in rows
    )


class CampaignForm(forms.Form):
    """A draft's choices, except its proof fields (ProofFieldsForm)."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=limits.TITLE_MAX_CHARS)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=Category.objects.all(), empty_label=None
    )
    instructions = forms.CharField(
        label=gettext_lazy("Instructions"),
        max_length=limits.INSTRUCTIONS_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "Plain text, shown as written. {{column}} is replaced by that column of the task's "
            "row when you upload a file."
        ),
    )
    reward = MoneyFormField(
        label=gettext_lazy("Reward per task"),
        minimum=limits.REWARD_MIN_CENTS,
        maximum=limits.REWARD_MAX_CENTS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=gettext_lazy("What a worker earns for one approved task, for example 0.50."),
        error_messages={"invalid": gettext_lazy("Enter an amount such as 0.50.")},
    )
    positions = forms.IntegerField(
        label=gettext_lazy("Positions"),
        required=False,  # with a file, the rows decide
        min_value=limits.POSITIONS_MIN,
        max_value=limits.POSITIONS_MAX,
        help_text=gettext_lazy("How many tasks. With a file: one task a row."),
    )
    max_tasks_per_worker = forms.IntegerField(
        label=gettext_lazy("Tasks one worker may do"),
        min_value=limits.MAX_TASKS_PER_WORKER_MIN,
        max_value=limits.MAX_TASKS_PER_WORKER_MAX,
        initial=limits.MAX_TASKS_PER_WORKER_DEFAULT,
    )
    time_to_complete_minutes = forms.IntegerField(
        label=gettext_lazy("Minutes to complete a task"),
        min_value=limits.TIME_TO_COMPLETE_MINUTES_MIN,
        max_value=limits.TIME_TO_COMPLETE_MINUTES_MAX,
        initial=limits.TIME_TO_COMPLETE_MINUTES_DEFAULT,
    )
    time_to_rate_hours = forms.IntegerField(
        label=gettext_lazy("Hours you take to review"),
        min_value=limits.TIME_TO_RATE_HOURS_MIN,
        max_value=limits.TIME_TO_RATE_HOURS_MAX,
        initial=limits.TIME_TO_RATE_HOURS_DEFAULT,
        help_text=gettext_lazy("Work you have not reviewed by then is approved automatically."),
    )
    min_success_rate = forms.IntegerField(
        label=gettext_lazy("Minimum worker success rate (%)"),
        min_value=limits.MIN_SUCCESS_RATE_MIN,
        max_value=limits.MIN_SUCCESS_RATE_MAX,
        initial=limits.MIN_SUCCESS_RATE_DEFAULT,
    )
    min_level = forms.TypedChoiceField(
        label=gettext_lazy("Minimum worker level"),
        choices=[(0, gettext_lazy("Anyone, new workers too"))]
        + [
            (level, format_lazy(gettext_lazy("Level {n} or above"), n=level))
            for level in range(1, limits.MIN_LEVEL_MAX + 1)
        ],
        coerce=int,
        required=False,
        empty_value=0,
        initial=0,
        help_text=gettext_lazy("Levels come from approved work, success rate and time on Kaaj."),
    )
    countries_include = countries_field(gettext_lazy("Only these countries"))
    countries_exclude = countries_field(gettext_lazy("Not these countries"))
    ends_at = forms.DateTimeField(
        label=gettext_lazy("End date"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    qualifications = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Only workers who passed these tests"),
        queryset=Qualification.objects.none(),  # the employer's and Kaaj's (__init__)
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Write tests under My tests; workers take one before they claim."),
    )
    groups = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Only workers of these groups (a private campaign)"),
        queryset=WorkerGroup.objects.none(),  # the employer's (__init__)
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Nobody else sees it. Make groups under My groups; their workers hear when it "
            "goes live."
        ),
    )
    uses_verification_code = forms.BooleanField(
        label=gettext_lazy("Give each worker a verification code"),
        required=False,
        help_text=gettext_lazy(
            "Workers enter the code on your site and in their proof; you can check it yourself."
        ),
    )
    auto_approve_code = forms.BooleanField(
        label=gettext_lazy("Approve automatically when the verification code matches"),
        required=False,
        help_text=gettext_lazy(
            "With a verification code proof and a _code column in the task file: Kaaj checks "
            "each code, and work with the right one is approved and paid at once."
        ),
    )
    gold_rate = forms.IntegerField(
        label=gettext_lazy("Check tasks (% of each worker's tasks)"),
        min_value=limits.GOLD_RATE_MIN,
        max_value=limits.GOLD_RATE_MAX,
        initial=0,
        required=False,
        help_text=gettext_lazy(
            "Rows of the task file with an expected answer in a _gold_<proof key> column are "
            "check tasks: mixed among the others, free for you, paid by Kaaj when right."
        ),
    )
    gold_min_accuracy = forms.IntegerField(
        label=gettext_lazy("Stop workers right less often than (%)"),
        min_value=limits.GOLD_MIN_ACCURACY_MIN,
        max_value=limits.GOLD_MIN_ACCURACY_MAX,
        initial=limits.GOLD_MIN_ACCURACY_DEFAULT,
        required=False,
    )
    gold_min_answers = forms.IntegerField(
        label=gettext_lazy("…after this many check-task answers"),
        min_value=limits.GOLD_MIN_ANSWERS_MIN,
        max_value=limits.GOLD_MIN_ANSWERS_MAX,
        initial=limits.GOLD_MIN_ANSWERS_DEFAULT,
        required=False,
    )
    task_file = forms.FileField(
        label=gettext_lazy("Task inputs (CSV file)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=gettext_lazy(
            "Optional. The first row names the columns; each further row is one task."
        ),
    )
    remove_inputs = forms.BooleanField(
        label=gettext_lazy("Remove the uploaded rows"), required=False
    )

    def __init__(self, *args, employer=None, stored_inputs: list | tuple = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stored_inputs = tuple(stored_inputs)
        if employer is not None:
            self.fields["qualifications"].queryset = qualifications_usable(employer)
            self.fields["groups"].queryset = groups_of(employer)
        # The date and time typed are read in the employer's zone (UserTimeZoneMiddleware's):
        # say which, since a campaign's workers may live in others.
        self.fields["ends_at"].help_text = _(
            "In your time zone, %(zone)s (your profile sets it). Leave empty for no end."
        ) % {"zone": timezone.get_current_timezone_name().replace("_", " ")}
        if not self.stored_inputs:
            del self.fields["remove_inputs"]
        else:
            self.fields["task_file"].help_text = _(
                "%(n)s rows uploaded. Upload another file to replace them."
            ) % {"n": len(self.stored_inputs)}

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict:
        return {
            "title": campaign.title,
            "category": campaign.category_id,
            "instructions": campaign.instructions,
            "reward": f"{campaign.reward_cents // 100}.{campaign.reward_cents % 100:02d}",
            "positions": campaign.positions,
            "max_tasks_per_worker": campaign.max_tasks_per_worker,
            "time_to_complete_minutes": campaign.time_to_complete_minutes,
            "time_to_rate_hours": campaign.time_to_rate_hours,
            "min_success_rate": campaign.min_success_rate,
            "min_level": campaign.min_level,
            "countries_include": list(campaign.countries_include),
            "countries_exclude": list(campaign.countries_exclude),
            "ends_at": campaign.ends_at,
            "uses_verification_code": campaign.uses_verification_code,
            "auto_approve_code": campaign.auto_approve_code,
            "qualifications": list(campaign.qualifications),
            "groups": list(campaign.groups),
            "gold_rate": campaign.gold_rate,
            "gold_min_accuracy": campaign.gold_min_accuracy,
            "gold_min_answers": campaign.gold_min_answers,
        }

    def clean_countries_include(self) -> tuple[str, ...]:
        return tuple(self.cleaned_data["countries_include"])

    def clean_countries_exclude(self) -> tuple[str, ...]:
        return tuple(self.cleaned_data["countries_exclude"])

    def clean_task_file(self) -> tuple[dict, ...] | None:
        upload = self.cleaned_data.get("task_file")
        return None if not upload else parse_task_csv(upload)

    def clean(self) -> dict:
        data = super().clean()
        inputs = data.get("task_file")
        if inputs is None:
            inputs = () if data.get("remove_inputs") else self.stored_inputs
        if inputs:
            # One task a row, check tasks aside; the service checks the columns.
            data["positions"] = len(positions_and_checks(inputs)[0])
        elif not data.get("positions") and "positions" not in self.errors:
            self.add_error("positions", _("How many tasks? Enter a number of positions."))
        data["task_inputs"] = tuple(inputs)
        refused = reward_error(data.get("category"), data.get("reward"))
        if refused:  # with the form's other errors, not after them on save
            self.add_error("reward", refused)
        return data

    def spec(self, proof_fields: list[dict]) -> CampaignSpec:
        data = self.cleaned_data
        return CampaignSpec(
            title=data["title"],
            category=data["category"],
            instructions=data["instructions"],
            proof_fields=proof_fields,
            reward_cents=data["reward"],
            positions=data["positions"],
            max_tasks_per_worker=data["max_tasks_per_worker"],
            countries_include=data["countries_include"],
            countries_exclude=data["countries_exclude"],
            min_success_rate=data["min_success_rate"],
            min_level=data["min_level"],
            time_to_complete_minutes=data["time_to_complete_minutes"],
            time_to_rate_hours=data["time_to_rate_hours"],
            ends_at=data["ends_at"],
            uses_verification_code=data["uses_verification_code"],
            auto_approve_code=data["auto_approve_code"],
            task_inputs=data["task_inputs"],
            qualifications=tuple(q.pk for q in data["qualifications"]),
            groups=tuple(group.pk for group in data["groups"]),
            # Left empty: no check tasks, and the thresholds' defaults.
            gold_rate=_or(data["gold_rate"], 0),
            gold_min_accuracy=_or(data["gold_min_accuracy"], limits.GOLD_MIN_ACCURACY_DEFAULT),
            gold_min_answers=_or(data["gold_min_answers"], limits.GOLD_MIN_ANSWERS_DEFAULT),
        )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


# The form's field a service error is about (the services speak the API's field names).
SERVICE_FIELDS = {"reward_cents": "reward", "task_inputs": "task_file"}


class ProofFieldsForm(forms.Form):
    """Up to PROOF_ROWS proofs, one row of key, label, kind and required each; an empty row
    is skipped."""

    prefix = "proof"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for i in range(PROOF_ROWS):
            self.fields[f"{i}_key"] = forms.CharField(
                label=gettext_lazy("Key"), required=False, max_length=limits.PROOF_KEY_MAX_CHARS
            )
            self.fields[f"{i}_label"] = forms.CharField(
                label=gettext_lazy("What to send"),
                required=False,
                max_length=limits.PROOF_LABEL_MAX_CHARS,
            )
            self.fields[f"{i}_kind"] = forms.ChoiceField(
                label=gettext_lazy("Kind"),
                choices=ProofKind.choices,
                initial=ProofKind.TEXT,
                required=False,
            )
            self.fields[f"{i}_required"] = forms.BooleanField(
                label=gettext_lazy("Required"), required=False, initial=True
            )

    @classmethod
    def initial_for(cls, proof_fields: list[dict]) -> dict:
        initial: dict = {}
        for i, field in enumerate(proof_fields[:PROOF_ROWS]):
            initial.update(
                {
                    f"{i}_key": field.get("key", ""),
                    f"{i}_label": field.get("label", ""),
                    f"{i}_kind": field.get("kind", ProofKind.TEXT),
                    f"{i}_required": bool(field.get("required", True)),
                }
            )
        for i in range(len(proof_fields), PROOF_ROWS):
            initial[f"{i}_required"] = False
        return initial

    @classmethod
    def initial_after_change(cls, data, category: Category) -> dict:
        """The rows for a newly chosen category, ``data`` holding the rows on the page (htmx
        sends them along): the category's suggested proofs while the rows are empty or still
        some category's suggestion, else the rows the employer typed, kept as typed."""
        typed = []
        for i in range(PROOF_ROWS):
            name = f"{cls.prefix}-{i}_"
            key, label = data.get(name + "key", "").strip(), data.get(name + "label", "").strip()
            if key or label:
                kind = data.get(name + "kind") or ProofKind.TEXT
                typed.append((key, label, kind, name + "required" in data))
        suggestions = [
            [
                (f.get("key", ""), f.get("label", ""), f.get("kind"), bool(f.get("required", True)))
                for f in other.proof_template[:PROOF_ROWS]
            ]
            for other in Category.objects.all()
        ]
        if typed and typed not in suggestions:
            keys = ("key", "label", "kind", "required")
            return cls.initial_for([dict(zip(keys, row, strict=True)) for row in typed])
        return cls.initial_for(category.proof_template)

    def rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"{i}_{name}"] for name in ("key", "label", "kind", "required")]
            for i in range(PROOF_ROWS)
        ]

    def clean(self) -> dict:
        data = super().clean()
        proofs = []
        for i in range(PROOF_ROWS):
            key, label = data.get(f"{i}_key", ""), data.get(f"{i}_label", "")
            if not key and not label:
                continue
            if not label:
                self.add_error(f"{i}_label", _("Say what the worker should send."))
            if not key.isidentifier():
                self.add_error(
                    f"{i}_key", _("A short name in letters, digits and underscores, e.g. link.")
                )
            proofs.append(
                {
                    "key": key,
                    "label": label,
                    "kind": data.get(f"{i}_kind") or ProofKind.TEXT,
                    "required": bool(data.get(f"{i}_required")),
                }
            )
        if not proofs and not self.errors:
            raise forms.ValidationError(_("Ask for at least one proof."))
        data["proof_fields"] = proofs
        return data


class CostPreviewForm(forms.Form):
    """The category, reward and positions typed so far; a value that is not valid yet is
    left out. A reward the campaign would refuse (under the category's minimum) is an error
    of ``reward``, worded as the service words it."""

    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    reward = MoneyFormField(
        required=False, minimum=limits.REWARD_MIN_CENTS, maximum=limits.REWARD_MAX_CENTS
    )
    positions = forms.IntegerField(
        required=False, min_value=limits.POSITIONS_MIN, max_value=limits.POSITIONS_MAX
    )

    def clean(self) -> dict:
        data = super().clean()
        refused = reward_error(data.get("category"), data.get("reward"))
        if refused:
            self.add_error("reward", refused)
        return data


class AddPositionsForm(forms.Form):
    count = forms.IntegerField(
        label=gettext_lazy("Add positions"),
        min_value=limits.POSITIONS_MIN,
        max_value=limits.POSITIONS_MAX,
    )


def reason_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=limits.REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Needed to reject or ask for a revision; the worker sees it."),
    )


REVIEW_ACTIONS = [
    ("approve", gettext_lazy("Approve")),
    ("request_revision", gettext_lazy("Ask for a revision")),
    ("reject", gettext_lazy("Reject")),
]


class ReviewForm(forms.Form):
    """One submission's review: the button pressed (``action``) is the decision."""

    reason = reason_field()

    def clean(self) -> dict:
        data = super().clean()
        action = self.data.get("action")
        if action not in dict(REVIEW_ACTIONS):
            raise forms.ValidationError(_("Choose approve, reject or ask for a revision."))
        if action != "approve" and not data.get("reason"):
            self.add_error("reason", _("Give the worker a reason."))
        data["action"] = action
        return data


class BulkReviewForm(forms.Form):
    """Many submissions at once: the ticked ``ids`` (checkboxes in the queue's rows)."""

    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=REVIEW_ACTIONS)
    reason = reason_field()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") in ("reject", "request_revision") and not data.get("reason"):
            self.add_error("reason", _("Give the workers a reason."))
        ids = [int(pk) for pk in self.data.getlist("ids") if str(pk).isdigit()]
        if not ids:
            raise forms.ValidationError(_("Tick at least one submission."))
        data["ids"] = ids
        return data


class SubmitForm(forms.Form):
    """The proof fields of a campaign as inputs. Validation is the service's
    (``proof_check``): its errors are attached to these fields by key. The inputs carry
    the same rules as attributes (required, a link, the length), so the browser stops a
    proof that would come back before its screenshots are uploaded.

    ``kept`` maps field keys to the screenshots kept from an earlier try (``KeptScreenshot``):
    such a field needs no new file, and shows the kept one (``field.kept``)."""

    def __init__(self, *args, proof_fields: list[dict], kept: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.use_required_attribute = False  # set per input below, from the proof's rule
        for proof in proof_fields:
            kind, required = proof["kind"], bool(proof.get("required", True))
            if kind == ProofKind.SCREENSHOT:
                attrs = {"accept": SCREENSHOT_TYPES, "class": "proof-screenshot"}
                field = forms.FileField(widget=forms.ClearableFileInput(attrs=attrs))
            elif kind == ProofKind.URL:
                field = forms.CharField(
                    widget=forms.URLInput(
                        attrs={
                            "placeholder": "https://",
                            "inputmode": "url",
                            "pattern": "https?://.+",
                            "maxlength": limits.PROOF_ANSWER_MAX_CHARS,
                            "title": _("A full link, starting with https://"),
                        }
                    )
                )
            elif kind == ProofKind.VERIFICATION_CODE:  # typed as the task's page shows it
                field = forms.CharField(
                    widget=forms.TextInput(
                        attrs={
                            "autocomplete": "off",
                            "autocapitalize": "characters",
                            "spellcheck": "false",
                            "maxlength": limits.PROOF_ANSWER_MAX_CHARS,
                        }
                    ),
                    help_text=_("The code the task's page shows at its end. Kaaj checks it."),
                )
            else:
                field = forms.CharField(
                    widget=forms.Textarea(
                        attrs={"rows": 2, "maxlength": limits.PROOF_ANSWER_MAX_CHARS}
                    )
                )
            if required and kind != ProofKind.SCREENSHOT:  # screenshots: show_kept decides
                field.widget.attrs["required"] = True
            field.label, field.required = proof["label"], False
            field.proof_required = required
            self.fields[proof["key"]] = field
        self.proof_fields = proof_fields
        self.show_kept(kept or {})

    def show_kept(self, kept: dict) -> None:
        """Mark the screenshot fields answered by a kept screenshot: no new file needed."""
        for proof in self.proof_fields:
            field = self.fields[proof["key"]]
            field.kept = kept.get(proof["key"])
            if proof["kind"] == ProofKind.SCREENSHOT:
                if field.proof_required and field.kept is None:
                    field.widget.attrs["required"] = True
                else:
                    field.widget.attrs.pop("required", None)

    def answers(self) -> dict:
        return {
            p["key"]: self.data.get(p["key"], "")
            for p in self.proof_fields
            if p["kind"] != ProofKind.SCREENSHOT
        }

    def files_by_key(self) -> dict:
        return {
            p["key"]: self.files.getlist(p["key"])
            for p in self.proof_fields
            if p["kind"] == ProofKind.SCREENSHOT and p["key"] in self.files
        }

    def add_service_errors(self, errors: dict) -> None:
        for key, messages in errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)


class BonusForm(forms.Form):
    """A bonus for one assignment's worker (tasks.services.bonuses holds the limits; the
    form takes its bounds from tasks.limits only to answer next to the field first). ``key``
    is made when the form is shown, so sending it twice pays once."""

    amount = MoneyFormField(
        label=gettext_lazy("Bonus"),
        minimum=limits.BONUS_MIN_CENTS,
        maximum=limits.BONUS_MAX_CENTS,
        help_text=gettext_lazy("Kaaj's fee is added on top, as on a task's reward."),
    )
    reason = forms.CharField(
        label=gettext_lazy("What it is for"),
        max_length=limits.REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The worker reads it."),
    )
    key = forms.CharField(max_length=limits.BONUS_KEY_MAX_CHARS, widget=forms.HiddenInput)


class ReviewFileForm(forms.Form):
    """A review file: a CSV with the columns ``assignment``, ``decision`` (approve, reject
    or revision) and ``reason`` (the results' CSV has the assignment's column)."""

    file = forms.FileField(
        label=gettext_lazy("Review file (CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )  # the page names the columns

    def clean_file(self) -> tuple[dict, ...]:
        rows = parse_csv(self.cleaned_data["file"], max_rows=limits.BULK_REVIEW_MAX)
        if not {"assignment", "decision"} <= set(rows[0]):
            raise forms.ValidationError(
                _("The first row must name the columns assignment and decision (and reason).")
            )
        return rows
