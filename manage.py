#!/usr/bin/env python
"""Kaaj's command-line utility for administrative tasks (installed, the same is ``kaaj``).

With no DATABASE_URL / REDIS_URL, commands use the embedded stack under var/: the one
``make run`` keeps up, or, when Kaaj is stopped, servers started for this command only.
"""

from marketplace.cli import main

if __name__ == "__main__":
    main()
