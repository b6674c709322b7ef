"""Collect the English strings Kaaj shows from django-allauth and DRF into our own catalogue.

Neither library ships Bengali. Their messages reach our users all the same (the sign-up
and password pages, API error details), so Kaaj translates them in a catalogue of its own,
``marketplace/locale_vendor/bn``, which Django consults after ``marketplace/locale/`` (see
``LOCALE_PATHS``).
Run after upgrading either library: new strings are added untranslated, translations of
strings that still exist are kept, strings that no longer exist are dropped.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

# allauth: the account and social login flows Kaaj uses (no MFA, phone or passkeys).
ALLAUTH_SOURCES = re.compile(
    r"^(account/(forms|adapter|fields|models)\.py|templates/account/|templates/socialaccount/"
    r"|socialaccount/adapter\.py)"
)
ALLAUTH_SKIP = re.compile(r"phone|passkey|code|reauthenticate|mfa")
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


class Command(BaseCommand):
    help = (
        "Refresh marketplace/locale_vendor/<lang>/django.po from allauth and DRF, "
        "keeping translations."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--locale", default="bn")

    def handle(self, *args, locale: str, **options) -> None:
        import polib

        path = Path(settings.PACKAGE_DIR) / "locale_vendor" / locale / "LC_MESSAGES" / "django.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        old = polib.pofile(str(path)) if path.exists() else None
        catalogue = polib.POFile(wrapwidth=100)
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
        seen: set[tuple[str, str]] = set()
        for msgctxt, msgid, plural in allauth_messages() + drf_messages():
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
                entry.msgstr = previous.msgstr if previous else ""
            catalogue.append(entry)
        catalogue.save(str(path))
        missing = len(catalogue.untranslated_entries())
        self.stdout.write(f"{path}: {len(catalogue)} strings, {missing} untranslated.")
