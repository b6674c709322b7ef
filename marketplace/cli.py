"""``kaaj``: Django's management commands for an installed Kaaj, as ``manage.py`` in a checkout.

``kaaj migrate``, ``kaaj collectstatic``, ``kaaj check --deploy``, ... (also
``python -m marketplace ...``). Installed, the settings default to production; in a checkout
to development, where, with no DATABASE_URL / REDIS_URL, commands use the embedded stack under
var/: the one ``make run`` keeps up, or, when Kaaj is stopped, servers started for this
command only.
"""

import os
import sys

from marketplace.checkout import DEFAULT_SETTINGS_MODULE


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    from marketplace import devstack

    argv = sys.argv if argv is None else argv
    # Starts nothing unless the settings are the development ones and name no services.
    with devstack.for_command(argv):
        execute_from_command_line(argv)
