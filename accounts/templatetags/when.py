"""``{{ value|when }}``: a time as the reader should see it, in their time zone and with the
zone named, so "14:30" is never ambiguous. A template builtin (settings.TEMPLATES), used by
every template that shows a time; ``|date:'c'`` stays for machine-readable attributes."""

from __future__ import annotations

import datetime as dt

from django import template

from accounts.timezones import format_time

register = template.Library()


@register.filter(expects_localtime=True)
def when(value: dt.datetime | dt.date | None, arg: str = "j M Y, H:i") -> str:
    """``{{ campaign.ends_at|when }}`` → "3 Dec 2026, 14:30 IST";
    ``{{ a.expires_at|when:"j M, H:i" }}`` → "3 Dec, 14:30 +06:00"; a format without a time of
    day (``"j M Y"``) prints the date alone. The template engine has already moved the value
    into the current time zone (UserTimeZoneMiddleware's)."""
    if value in (None, ""):
        return ""
    try:
        return format_time(value, arg)
    except AttributeError:  # not a date: print nothing, as Django's date filter does
        return ""
