"""Whether Kaaj runs from a checkout or is installed from its wheel, and what follows.

A checkout (``manage.py`` beside the packages) is where Kaaj is developed: it defaults to the
development settings and keeps its data under ``var/`` beside the code. An installed Kaaj
(``pip install kaaj-*.whl``, the production image) lives in site-packages, which is no place
for data: it defaults to the production settings, and every directory it writes to comes from
the environment (MEDIA_ROOT, STATIC_ROOT, KAAJ_VAR_DIR).

Settings and the Celery app import this module before Django is set up: standard library only.
"""

from pathlib import Path

#: The marketplace package: templates, static sources and translation catalogues live in it.
PACKAGE_DIR = Path(__file__).resolve().parent
#: The directory holding Kaaj's packages: the checkout, or site-packages when installed.
SOURCE_ROOT = PACKAGE_DIR.parent
IN_CHECKOUT = (SOURCE_ROOT / "manage.py").is_file()
#: What ``kaaj``, ``python -m marketplace`` and ``celery -A marketplace`` use when
#: DJANGO_SETTINGS_MODULE is not set.
DEFAULT_SETTINGS_MODULE = (
    "marketplace.settings.dev" if IN_CHECKOUT else "marketplace.settings.production"
)
