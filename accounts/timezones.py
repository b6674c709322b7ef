"""Time zones by country, from the IANA time zone database's ``zone.tab`` (one line per zone:
country code, coordinates, zone name), read from the same tz database ``zoneinfo`` uses (the
system's, or the ``tzdata`` package where the system has none). Nothing is copied into Kaaj:
a tzdata update updates these too.

A country's default zone is its first line in ``zone.tab`` (the one country with one zone is
the common case for Kaaj's workers: BD, IN, PK, NP, LK, PH); a user of a country with several
zones picks theirs on the profile page.

``format_time`` is the one way a time is shown (the ``when`` template filter, messages): in
the current time zone (UserTimeZoneMiddleware activates the user's), with the zone named.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from importlib import resources
from pathlib import Path

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import pgettext

# Format characters that print a time of day (Django's date format syntax).
_TIME_OF_DAY = re.compile(r"(?<!\\)[aAfgGhHisuP]")


def _zone_tab() -> str:
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:  # the tzdata package, which zoneinfo falls back to as well
        return resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


@functools.cache
def zones_by_country() -> dict[str, list[str]]:
    """``{"IN": ["Asia/Kolkata"], "US": ["America/New_York", ...], ...}`` in zone.tab's order."""
    found: dict[str, list[str]] = {}
    for line in _zone_tab().splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone, *_comment = line.split("\t")
            found.setdefault(country, []).append(zone)
    return found


def time_zone_for_country(country: str) -> str:
    """The default time zone of a country (ISO 3166 code); TIME_ZONE for none or unknown."""
    zones = zones_by_country().get((country or "").upper())
    return zones[0] if zones else settings.TIME_ZONE


@functools.cache
def time_zone_names() -> frozenset[str]:
    """Every zone a user may choose: the zones of zone.tab, TIME_ZONE and UTC."""
    names = {zone for zones in zones_by_country().values() for zone in zones}
    return frozenset(names | {settings.TIME_ZONE, "UTC"})


def time_zone_label(name: str) -> str:
    """A zone as a person reads it in the active language: in Bengali, CLDR's name ("বাংলাদেশ
    সময় (ঢাকা)", from the vendor catalogue, msgctxt "time zone"); in English, and wherever
    the catalogue has none, the IANA name with spaces ("America/New York")."""
    return pgettext("time zone", name.replace("_", " "))


def time_zone_choices() -> list[tuple[str, str]]:
    """(IANA name, label) for every zone, in the active language's order of the labels."""
    return sorted(((name, time_zone_label(name)) for name in time_zone_names()), key=_by_label)


def _by_label(choice: tuple[str, str]) -> tuple[str, str]:
    return (choice[1].casefold(), choice[0])


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()


def zone_label(value: dt.datetime) -> str:
    """The zone's abbreviation where it has one ("IST", "UTC"), else its offset ("+06:00")."""
    name = value.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = value.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_time(value: dt.datetime | dt.date, pattern: str = "j M Y, H:i") -> str:
    """``value`` formatted as Django's ``date`` filter does (``pattern`` may be a format's
    name, such as SHORT_DATETIME_FORMAT), followed by its zone when the pattern prints a time
    of day: the one way Kaaj shows a time ("3 Dec, 14:30 IST"). An aware ``value`` is shown in
    the current time zone."""
    pattern = formats.get_format(pattern)
    if isinstance(value, dt.datetime) and value.tzinfo:
        value = value.astimezone(timezone.get_current_timezone())
        if _TIME_OF_DAY.search(pattern):
            return f"{formats.date_format(value, pattern)} {zone_label(value)}"
    return formats.date_format(value, pattern)
