"""Compile every .po catalogue of Kaaj's into its .mo, in pure Python.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``; this does the same with
polib, so a machine without gettext can rebuild the catalogues. The compiled .mo files are
committed, so running Kaaj never needs either.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every LOCALE_PATHS catalogue (locale/, locale_vendor/) into its .mo file."

    def handle(self, *args, **options) -> None:
        import polib

        for root in settings.LOCALE_PATHS:
            for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
                catalogue = polib.pofile(str(po_path))
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                self.stdout.write(f"{po_path}: {catalogue.percent_translated()}% translated")
