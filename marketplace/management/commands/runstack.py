"""``make run``: migrate, load demo data once, then run web, Celery worker and Celery beat.

``manage.py`` has already started the embedded PostgreSQL and Redis (unless
``DATABASE_URL`` / ``REDIS_URL`` are set) and stops them when this command returns. This
command supervises the three processes with honcho: Ctrl-C or SIGTERM stops them all, and
if one of them dies the others are stopped too, so nothing is left behind half-running.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from honcho.manager import Manager

from accounts.models import User

from .seed_demo import DEFAULT_PASSWORD, DEMO_DOMAIN, MODERATOR_EMAIL, demo_email


class Command(BaseCommand):
    help = "Run Kaaj: web server, Celery worker and Celery beat, after migrating."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KAAJ_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KAAJ_PORT", 8000)))
        parser.add_argument(
            "--reload", action="store_true", help="restart the web server when code changes"
        )

    def handle(self, *args, host: str, port: int, reload: bool, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database is up to date.")
        if not User.objects.filter(email__iendswith=f"@{DEMO_DOMAIN}").exists():
            call_command("seed_demo", password=DEFAULT_PASSWORD, stdout=self.stdout)
            self._print_logins(DEFAULT_PASSWORD)
        else:
            self._print_logins(None)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nKaaj is starting at http://{host}:{port}/  (Ctrl-C stops everything)\n"
            )
        )
        manager = self._manager(host, port, reload)
        _exit_with_parent()
        manager.loop()
        sys.exit(manager.returncode or 0)

    def _print_logins(self, password: str | None) -> None:
        self.stdout.write("Demo logins:")
        for email in (demo_email("employer", 1), demo_email("worker", 1), MODERATOR_EMAIL):
            self.stdout.write(f"  {email}")
        self.stdout.write(
            f"  password: {password or DEFAULT_PASSWORD} (unless you re-seeded "
            "with another: manage.py seed_demo --password ...)"
        )

    def _manager(self, host: str, port: int, reload: bool) -> Manager:
        python = sys.executable
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
            "PYTHONUNBUFFERED": "1",
        }
        manage = f"{python} {settings.BASE_DIR / 'manage.py'}"
        schedule = getattr(settings, "CELERY_BEAT_SCHEDULE_FILENAME", "celerybeat-schedule")
        manager = Manager()
        manager.add_process(
            "web",
            f"{manage} runserver {host}:{port}" + ("" if reload else " --noreload"),
            env=env,
            cwd=str(settings.BASE_DIR),
        )
        manager.add_process(
            "worker",
            f"{python} -m celery -A marketplace worker --loglevel INFO "
            "--concurrency 2 --without-gossip --without-mingle",
            env=env,
            cwd=str(settings.BASE_DIR),
        )
        manager.add_process(
            "beat",
            f"{python} -m celery -A marketplace beat --loglevel INFO --schedule {schedule}",
            env=env,
            cwd=str(settings.BASE_DIR),
        )
        return manager


def _exit_with_parent() -> None:
    """Stop everything if whoever started us (``make``) goes away without telling us.

    ``make`` passes SIGTERM on to its children but not a SIGINT sent to make alone; an
    orphaned stack would keep PostgreSQL and Redis running with nobody to stop them.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
