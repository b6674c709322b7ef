"""``make check-deploy``: Django's deploy checks on the production settings, with an env file.

    python deploy/check.py [ENV_FILE]      (default: deploy/env.example)

The checks see only what the file sets (plus PATH, HOME and the locale): whatever the
shell that runs this happens to export (a DEBUG, a DATABASE_URL of the development
database) is left out, so the result says whether the file alone is a complete
production environment. Any warning fails, as an error does. Neither PostgreSQL nor
Redis is contacted. Exits with ``manage.py check``'s status.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = ROOT / "deploy" / "env.example"
# What the process needs to run at all; nothing that configures Kaaj.
KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def main(argv: list[str]) -> None:
    env_file = Path(argv[1]) if len(argv) > 1 else DEFAULT_ENV_FILE
    if not env_file.is_file():
        sys.exit(f"No environment file at {env_file}.")
    import environ

    kept = {name: os.environ[name] for name in KEPT if name in os.environ}
    os.environ.clear()
    os.environ.update(kept)
    environ.Env.read_env(env_file, overwrite=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.production"
    sys.path.insert(0, str(ROOT))
    from django.core.management import execute_from_command_line

    print(f"Deploy checks with {env_file}:", flush=True)
    execute_from_command_line(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])


if __name__ == "__main__":
    main(sys.argv)
