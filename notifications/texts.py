"""What each kind of notification says. One place, lazy templates, rendered in the active
language (the reader's: the request's on a page, ``translation.override`` in a mail).

Params are the caller's small JSON dict; a key missing from it renders as an empty string
rather than breaking a page. Keys ending ``_cents`` are money and go through
``core.money.format_cents``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.money import format_cents
from notifications.models import NotificationKind as Kind


@dataclass(frozen=True)
class KindText:
    title: Promise
    email: bool  # the default for "also by email"


TEXTS: dict[str, KindText] = {
    Kind.CAMPAIGN_APPROVED: KindText(
        _("Your campaign “%(campaign_title)s” was approved and is live."), True
    ),
    Kind.CAMPAIGN_REJECTED: KindText(_("Your campaign “%(campaign_title)s” was rejected."), True),
    Kind.SUBMISSIONS_TO_REVIEW: KindText(
        ngettext_lazy(
            "%(count)s new submission to review on “%(campaign_title)s”.",
            "%(count)s new submissions to review on “%(campaign_title)s”.",
            "count",
        ),
        True,
    ),
    Kind.SUBMISSION_APPROVED: KindText(
        _("Your work on “%(campaign_title)s” was approved: %(reward_cents)s earned."), False
    ),
    Kind.SUBMISSION_REJECTED: KindText(_("Your work on “%(campaign_title)s” was rejected."), True),
    Kind.REVISION_REQUESTED: KindText(
        _("The employer asks you to revise your work on “%(campaign_title)s”."), True
    ),
    Kind.CLAIM_EXPIRING: KindText(
        _("Your claim on “%(campaign_title)s” expires soon: submit your proof in time."), True
    ),
    Kind.DISPUTE_OPENED: KindText(
        _("A worker disputes your rejection on “%(campaign_title)s”."), True
    ),
    Kind.DISPUTE_ANSWERED: KindText(
        _("The employer answered your dispute on “%(campaign_title)s”."), True
    ),
    Kind.DISPUTE_DECIDED: KindText(
        _("A moderator decided the dispute on “%(campaign_title)s”."), True
    ),
    Kind.PAYOUT_PAID: KindText(_("Your payout of %(amount_cents)s was paid."), True),
    Kind.PAYOUT_FAILED: KindText(_("Your payout of %(amount_cents)s failed."), True),
    Kind.ACCOUNT_SUSPENDED: KindText(_("Your account was suspended."), True),
    Kind.ACCOUNT_REINSTATED: KindText(_("Your account was reinstated."), True),
    Kind.LEVEL_UP: KindText(
        _("You reached level %(level)s: campaigns that ask for it are open to you now."), False
    ),
    Kind.PRIVATE_CAMPAIGN: KindText(
        _(
            "%(employer_name)s chose you for a private campaign, live now: "
            "“%(campaign_title)s”, %(reward_cents)s a task."
        ),
        True,
    ),
    Kind.RATING_ANSWERED: KindText(
        _("%(employer_name)s answered your rating of “%(campaign_title)s”."), False
    ),
    Kind.SEARCH_MATCHED: KindText(
        _("New for your saved search “%(search_name)s”: “%(campaign_title)s”, %(reward_cents)s."),
        False,
    ),
    Kind.BONUS_RECEIVED: KindText(
        _("A bonus of %(amount_cents)s for your work on “%(campaign_title)s”: %(reason)s"), True
    ),
    Kind.GOLD_STOPPED: KindText(
        _(
            "“%(campaign_title)s” takes no more of your work: %(right)s of your %(answered)s "
            "answers to its check tasks were right, and it asks for %(min_accuracy)s%%. You "
            "can dispute each wrong one from My work."
        ),
        True,
    ),
    Kind.GOLD_STOP_LIFTED: KindText(
        _(
            "“%(campaign_title)s” takes your work again: your check-task answers are right "
            "often enough."
        ),
        True,
    ),
    # --- warnings before sanctions (workers.sanctions); params side, rate, rejected,
    # reviewed, days (a pause's), appeal ("upheld" for a turned-down appeal)
    Kind.SANCTION_WARNING: KindText(
        _(
            "Warning: %(rejected)s of your %(reviewed)s reviewed tasks were rejected "
            "(%(rate)s%%). If more of your work is rejected, your claims will pause for a "
            "while. See which, and appeal if it is wrong."
        ),
        True,
    ),
    Kind.SANCTION_PAUSE: KindText(
        _(
            "Your claims are paused for %(days)s days: more of your work was rejected after a "
            "warning (%(rate)s%% of %(reviewed)s). Work in progress and your money are untouched."
        ),
        True,
    ),
    Kind.SANCTION_LIFTED: KindText(_("Your warning or pause for rejections was lifted."), True),
    Kind.EMPLOYER_RATED: KindText(
        _("A worker rated you %(average)s of 5 for “%(campaign_title)s”. You may answer it."),
        False,
    ),
}

# A kind whose text depends on one param: (kind, param, value) → title.
VARIANTS: dict[tuple[str, str, str], Promise] = {
    (Kind.DISPUTE_DECIDED, "outcome", "worker"): _(
        "The dispute on “%(campaign_title)s” was decided for the worker: the work is paid."
    ),
    (Kind.DISPUTE_DECIDED, "outcome", "employer"): _(
        "The dispute on “%(campaign_title)s” was decided for the employer: the rejection stands."
    ),
    (Kind.DISPUTE_DECIDED, "outcome", "reversed"): _(
        "The employer took back the rejection on “%(campaign_title)s”: the work is paid."
    ),
    # --- warnings before sanctions: an employer's ladder, then a turned-down appeal (last: it
    # wins over the side's text)
    (Kind.SANCTION_WARNING, "side", "employer"): _(
        "Warning: you rejected %(rate)s%% of the %(reviewed)s submissions you reviewed, far "
        "more than other employers. If it goes on, you will not be able to launch new "
        "campaigns for a while."
    ),
    (Kind.SANCTION_PAUSE, "side", "employer"): _(
        "You cannot launch new campaigns for %(days)s days: you still reject far more work "
        "than other employers after a warning. Running campaigns go on; no money is taken."
    ),
    (Kind.SANCTION_WARNING, "appeal", "upheld"): _(
        "A moderator turned down your appeal: the warning for rejections stands."
    ),
    (Kind.SANCTION_PAUSE, "appeal", "upheld"): _(
        "A moderator turned down your appeal: the pause for rejections stands."
    ),
}

REASON = _("Reason: %(reason)s")


def email_default(kind: str) -> bool:
    text = TEXTS.get(kind)
    return bool(text and text.email)


class _Params(dict):
    """A missing key renders as "" instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


def _prepared(params: Mapping[str, object], count: int) -> _Params:
    values = _Params(count=count)
    for key, value in (params or {}).items():
        if key.endswith("_cents") and isinstance(value, int):
            values[key] = format_cents(value)
        else:
            values[key] = value
    return values


def render_title(kind: str, params: Mapping[str, object], count: int = 1) -> str:
    """The one-line text of a notification, in the active language."""
    text = TEXTS.get(kind)
    if text is None:
        return str(kind)
    title = text.title
    for (variant_kind, key, value), variant in VARIANTS.items():
        if variant_kind == kind and (params or {}).get(key) == value:
            title = variant
    return str(title % _prepared(params, count))


def render_detail(params: Mapping[str, object]) -> str:
    """The second line, if any: the reason a person gave."""
    reason = str((params or {}).get("reason") or "").strip()
    return str(REASON) % {"reason": reason} if reason else ""
