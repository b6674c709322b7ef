"""Collect the English strings Kaaj shows from its libraries into our own catalogue.

django-allauth and DRF ship no Bengali; Django's Bengali leaves the password validators'
messages untranslated (its catalogue still has their old wording: ``%(min_length)d`` and a
straight apostrophe where Django 5.2 has ``%d`` and a typographic one); django-countries
ships no Bengali country names. Their messages reach our users all the same (the sign-up
and password pages, country lists, API error details), so Kaaj translates them in a
catalogue of its own, ``marketplace/locale_vendor/bn``, which Django consults after
``marketplace/locale/`` and before the libraries' own catalogues (see ``LOCALE_PATHS``).

Country names and time zone names (msgctxt "time zone") come translated from the Unicode
CLDR (Babel's copy, a development dependency: only this command needs it); a name already
translated in the catalogue is kept, so a correction made there survives a refresh.
Run after upgrading any of these libraries: new strings are added (untranslated unless CLDR
has them), translations of strings that still exist are kept, strings that no longer exist
are dropped.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

# allauth: the account and social login flows Kaaj uses (no phone or passkeys). Two-step
# sign-in's pages, messages and errors, and the emailed code's, are Kaaj's own templates and
# words (marketplace/templates/mfa/, account/*reauthentication*, accounts.adapter.MFAAdapter),
# in Kaaj's catalogue.
ALLAUTH_SOURCES = re.compile(
    r"^(account/(forms|adapter|fields|models)\.py|templates/account/|templates/socialaccount/"
    r"|socialaccount/adapter\.py)"
)
ALLAUTH_SKIP = re.compile(r"phone|passkey|code|reauthenticate|mfa")
# accounts.timezones.time_zone_label's context: a zone's name on the profile page.
ZONE_CONTEXT = "time zone"
# DRF: the messages an API client can receive.
DRF_MODULES = [
    "exceptions",
    "fields",
    "serializers",
    "authentication",
    "validators",
    "relations",
    "generics",
    "pagination",
]


def allauth_messages() -> list[tuple[str, str, str]]:
    """(msgctxt, msgid, msgid_plural) from allauth's English catalogue, filtered."""
    import allauth
    import polib

    path = Path(allauth.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
    found = []
    for entry in polib.pofile(str(path)):
        if any(
            ALLAUTH_SOURCES.match(name) and not ALLAUTH_SKIP.search(name)
            for name, _ in entry.occurrences
        ):
            found.append((entry.msgctxt or "", entry.msgid, entry.msgid_plural or ""))
    return found


def drf_messages() -> list[tuple[str, str, str]]:
    """Every ``_("...")`` literal in DRF's modules that produce client-facing errors."""
    import rest_framework

    found = []
    root = Path(rest_framework.__file__).parent
    for module in DRF_MODULES:
        tree = ast.parse((root / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"_", "gettext_lazy", "gettext"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(("", node.args[0].value, ""))
    return found


def _gettext_calls(path: Path) -> list[tuple[str, str, str]]:
    """Every ``_("...")``/``gettext``/``ngettext("...", "...", n)`` literal in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args):
            continue
        literals = [
            arg.value
            for arg in node.args[:2]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        if node.func.id in {"_", "gettext_lazy", "gettext"} and literals:
            found.append(("", literals[0], ""))
        elif node.func.id in {"ngettext", "ngettext_lazy"} and len(literals) == 2:
            found.append(("", literals[0], literals[1]))
    return found


def django_password_messages(locale: str) -> list[tuple[str, str, str]]:
    """The password validators' messages (rules and errors) that Django's own catalogue for
    ``locale`` does not translate."""
    import django
    import polib

    auth = Path(django.__file__).parent / "contrib" / "auth"
    compiled = auth / "locale" / locale / "LC_MESSAGES" / "django.mo"
    translated = {e.msgid for e in polib.mofile(str(compiled))} if compiled.exists() else set()
    return [
        message
        for message in _gettext_calls(auth / "password_validation.py")
        if message[1] not in translated
    ]


def country_names(locale: str) -> dict[str, str]:
    """django-countries' English names (official and common) → CLDR's name in ``locale``."""
    from babel import Locale
    from django_countries.base import CountriesBase
    from django_countries.data import COUNTRIES

    cldr = Locale.parse(locale).territories
    names = [(code, name) for code, name in COUNTRIES.items()]
    names += list(CountriesBase.COMMON_NAMES.items())
    with translation.override(None):  # the English msgids, whatever the active language
        return {str(name): cldr.get(code, "") for code, name in names}


def time_zone_names(locale: str) -> dict[str, str]:
    """Each zone's label as Kaaj shows it in English (accounts.timezones.time_zone_label's
    msgid) → CLDR's name of the zone in ``locale``: its location ("বাংলাদেশ সময়"), with the
    city where the location does not name it ("বাংলাদেশ সময় (ঢাকা)")."""
    from babel.dates import get_timezone, get_timezone_location

    from accounts.timezones import time_zone_names as zones

    names = {}
    for zone in sorted(zones()):
        if zone == "UTC":
            names[zone] = "UTC"
            continue
        location = get_timezone_location(get_timezone(zone), locale=locale)
        city = get_timezone_location(get_timezone(zone), locale=locale, return_city=True)
        names[zone.replace("_", " ")] = location if city in location else f"{location} ({city})"
    return names


class Command(BaseCommand):
    help = (
        "Refresh marketplace/locale_vendor/<lang>/django.po from allauth, DRF, Django's "
        "password validators and CLDR's country and time zone names, keeping translations."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--locale", default="bn")

    def handle(self, *args, locale: str, **options) -> None:
        import polib

        path = Path(settings.PACKAGE_DIR) / "locale_vendor" / locale / "LC_MESSAGES" / "django.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        old = polib.pofile(str(path)) if path.exists() else None
        catalogue = polib.POFile(wrapwidth=100)
        catalogue.header = old.header if old else ""
        catalogue.metadata = (
            old.metadata
            if old
            else {
                "Project-Id-Version": "Kaaj",
                "Language": locale,
                "MIME-Version": "1.0",
                "Content-Type": "text/plain; charset=UTF-8",
                "Content-Transfer-Encoding": "8bit",
                "Plural-Forms": "nplurals=2; plural=(n != 1);",
            }
        )
        countries = country_names(locale)
        messages = allauth_messages() + drf_messages() + django_password_messages(locale)
        messages += [("", name, "") for name in countries]
        zones = time_zone_names(locale)
        messages += [(ZONE_CONTEXT, label, "") for label in zones]
        seen: set[tuple[str, str]] = set()
        for msgctxt, msgid, plural in messages:
            if (msgctxt, msgid) in seen:
                continue
            seen.add((msgctxt, msgid))
            previous = old.find(msgid, msgctxt=msgctxt or False) if old else None
            entry = polib.POEntry(msgctxt=msgctxt or None, msgid=msgid)
            if plural:
                entry.msgid_plural = plural
                entry.msgstr_plural = (
                    previous.msgstr_plural
                    if previous and previous.msgstr_plural
                    else {0: "", 1: ""}
                )
            else:
                cldr = zones if msgctxt == ZONE_CONTEXT else countries
                entry.msgstr = (previous.msgstr if previous else "") or cldr.get(msgid, "")
            catalogue.append(entry)
        catalogue.save(str(path))
        missing = len(catalogue.untranslated_entries())
        self.stdout.write(f"{path}: {len(catalogue)} strings, {missing} untranslated.")
