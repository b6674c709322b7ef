#!/usr/bin/env python
"""Kaaj's command-line utility for administrative tasks.

With no DATABASE_URL / REDIS_URL, commands use the embedded stack under var/: the one
``make run`` keeps up, or, when Kaaj is stopped, servers started for this command only.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")
    from django.core.management import execute_from_command_line

    from marketplace import devstack

    with devstack.for_command(sys.argv):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
