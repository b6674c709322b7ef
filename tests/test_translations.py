"""The Bengali catalogues are complete, well-formed, and compiled (no gettext needed)."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")
CATALOGUES = [Path(root) / "bn" / "LC_MESSAGES" / "django.po" for root in settings.LOCALE_PATHS]


@pytest.fixture(params=CATALOGUES, ids=lambda path: path.parent.parent.parent.name)
def catalogue(request):
    return request.param


def test_every_string_is_translated(catalogue):
    po = polib.pofile(str(catalogue))
    assert len(po) > 20
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


def test_translations_keep_their_placeholders(catalogue):
    for entry in polib.pofile(str(catalogue)):
        if not entry.msgid_plural:
            pairs = [(entry.msgid, entry.msgstr)]
        else:  # Bengali's form 0 is n == 1 (the English singular), form 1 every other n
            sources = (entry.msgid, entry.msgid_plural)
            pairs = [(sources[min(n, 1)], text) for n, text in entry.msgstr_plural.items()]
        for source, text in pairs:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), source


def test_translations_are_bengali_not_copies(catalogue):
    entries = [
        entry for entry in polib.pofile(str(catalogue)) if re.search("[a-z]{3}", entry.msgid)
    ]
    bengali = [
        entry
        for entry in entries
        if re.search("[\u0980-\u09ff]", entry.msgstr or "".join(entry.msgstr_plural.values()))
    ]
    assert len(bengali) >= 0.95 * len(entries)


def test_compiled_catalogue_matches_its_source(catalogue):
    compiled = catalogue.with_suffix(".mo")
    assert compiled.exists(), "run `make messages` and commit the .mo"
    source = {
        (e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(catalogue)) if not e.msgid_plural
    }
    built = {
        (e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(compiled)) if not e.msgid_plural
    }
    assert built == source, "the .mo is stale: run `make messages` and commit it"
