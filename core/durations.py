"""A length of time in words, as a person reads it: "12 minutes", "5 hours", "3 days"."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import ngettext


def duration_words(value: timedelta | float | None) -> str | None:
    """``value`` (a timedelta, or seconds) rounded to whole minutes under two hours, whole
    hours under two days, else whole days; at least a minute. None for None."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    minutes = max(1, round(seconds / 60))
    if minutes < 120:
        return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
    hours = round(minutes / 60)
    if hours < 48:
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    days = round(hours / 24)
    return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
