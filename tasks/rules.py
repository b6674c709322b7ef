"""What Kaaj will not post, and what a moderator should look at twice.

Refused outright: tasks that ask workers to break other sites' rules in ways that hurt the
worker or third parties — selling or handing over accounts, fake identities, verification
codes that belong to somebody else. Flagged for the moderator (with the reason shown):
wording that is often, but not always, a problem.
"""

import re

from django.utils.translation import gettext_lazy as _

_REFUSED = [
    (
        re.compile(
            r"\b(sell|buy|give|hand over|send)\b[^.\n]{0,40}\b(account|accounts|gmail|"
            r"facebook id|login details?|passwords?)\b",
            re.I,
        ),
        _("Kaaj does not allow buying, selling or handing over accounts or logins."),
    ),
    (
        re.compile(
            r"\b(fake|false|someone else'?s)\b[^.\n]{0,30}\b(identity|id card|nid|name|"
            r"documents?|passport)\b",
            re.I,
        ),
        _("Kaaj does not allow tasks that ask for fake identities or documents."),
    ),
    (
        re.compile(
            r"\b(otp|verification code|sms code)\b[^.\n]{0,40}\b(send|share|give)\b|"
            r"\b(send|share|give)\b[^.\n]{0,40}\b(otp|sms code)\b",
            re.I,
        ),
        _("Kaaj does not allow tasks that ask workers to share one-time codes."),
    ),
]

_FLAGGED = [
    (
        re.compile(r"\b(vpn|proxy|multiple accounts|many accounts|new account each)\b", re.I),
        "mentions VPNs or several accounts per person",
    ),
    (
        re.compile(r"\b(5[- ]?star|five[- ]?star)\b.*\b(only|must)\b", re.I),
        "asks for a fixed positive review",
    ),
    (
        re.compile(r"\b(bank|card number|cvv|bkash pin|pin number)\b", re.I),
        "mentions bank, card or PIN details",
    ),
    (
        re.compile(r"\b(deposit|invest|pay (us|first)|registration fee)\b", re.I),
        "asks workers to pay money",
    ),
]


def refusals(*texts: str) -> list[str]:
    """Reasons the campaign cannot be posted at all (translated messages)."""
    joined = "\n".join(texts)
    return [str(message) for pattern, message in _REFUSED if pattern.search(joined)]


def flags(*texts: str) -> list[str]:
    """Reasons a moderator should look closely (kept in English, for staff)."""
    joined = "\n".join(texts)
    return [reason for pattern, reason in _FLAGGED if pattern.search(joined)]
