"""``make run``: migrate, load demo data once, then run web, Celery worker and Celery beat.

Before anything starts, this command claims the data folder (one ``make run`` per
``var/``), stops the processes a run killed hard left behind (found through their pid
files), and checks that the web port is free: a port in use is one line naming it. It then
starts the embedded PostgreSQL and Redis (unless ``DATABASE_URL`` / ``REDIS_URL`` are set),
or reuses the ones an earlier run left running, and stops them when it returns.

The three processes run under :class:`marketplace.devstack.Supervisor`: one that dies is
restarted after 1 s, 2 s, 4 s ... (at most 30 s), each exit and restart logged in one line;
Ctrl-C or SIGTERM stops them all, then the servers, and the command exits 0 (and, run from
``make run`` in a terminal, make with it: see :func:`marketplace.devstack.terminal_foreground`).

E-mails the processes send (sign-up confirmations, notifications of the demo data) are
written to files under ``var/mail/`` rather than the console, where hundreds of lines would
push the address and the demo logins off screen; their links use this run's host and port
(``SITE_URL``). The address and the logins are printed last, once the web server answers.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from marketplace import devstack

from .seed_demo import DEFAULT_PASSWORD, DEMO_DOMAIN, demo_email, moderator_login_line


class Command(BaseCommand):
    help = "Run Kaaj: web server, Celery worker and Celery beat, after migrating."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KAAJ_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KAAJ_PORT", 8000)))
        parser.add_argument(
            "--reload", action="store_true", help="restart the web server when code changes"
        )

    def handle(self, *args, host: str, port: int, reload: bool, **options) -> None:
        with devstack.terminal_foreground():
            self._run(host, port, reload)

    def _run(self, host: str, port: int, reload: bool) -> None:
        stack = devstack.dev_stack()
        postgres, redis = devstack.wanted_services()
        try:
            with devstack.run_claim(stack):
                devstack.stop_leftovers(stack)
                if devstack.port_in_use(host, port):
                    raise CommandError(
                        f"Port {port} on {host} is already in use: stop what listens there, "
                        f"or run on another port (KAAJ_PORT={port + 1} make run)."
                    )
                with devstack.embedded(stack, postgres=postgres, redis=redis):
                    summary = self._prepare(host, port)
                    supervisor = devstack.Supervisor(
                        self.programs(host, port, reload), pid_dir=stack.pid_dir
                    )
                    _exit_with_parent()
                    _announce_when_up(supervisor, host, port, summary)
                    supervisor.run()
        except devstack.StackBusy as error:
            raise CommandError(str(error)) from None
        except KeyboardInterrupt:
            pass  # Ctrl-C before the processes started: the servers are stopped already

    @property
    def mail_dir(self) -> Path:
        """Where the e-mails of make run go, a file each (unless EMAIL_BACKEND is set)."""
        return devstack.dev_stack().root / "mail"

    def _prepare(self, host: str, port: int) -> str:
        """Migrate and seed; return what to print once the site answers."""
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database is up to date.")
        seeded = not User.objects.filter(email__iendswith=f"@{DEMO_DOMAIN}").exists()
        if seeded:
            call_command("seed_demo", password=DEFAULT_PASSWORD, levels=True, stdout=self.stdout)
        return self._summary(host, port, DEFAULT_PASSWORD if seeded else None)

    def _summary(self, host: str, port: int, password: str | None) -> str:
        lines = ["", "Demo logins:"]
        lines += [f"  {email}" for email in (demo_email("employer", 1), demo_email("worker", 1))]
        lines.append(f"  {moderator_login_line()}")
        lines.append(
            f"  password: {password or DEFAULT_PASSWORD} (unless you re-seeded "
            "with another: manage.py seed_demo --password ...)"
        )
        if "EMAIL_BACKEND" not in os.environ:
            lines.append(f"E-mails the site sends are files in {self.mail_dir}/")
        url = self.style.SUCCESS(f"Kaaj is running at {site_url(host, port)}/")
        lines += [f"{url}  (Ctrl-C stops everything)", ""]
        return "\n".join(lines) + "\n"

    def programs(self, host: str, port: int, reload: bool) -> list[devstack.Program]:
        """What make run supervises: the web server, one Celery worker consuming every
        queue, and beat (the deployment's one beat)."""
        python = sys.executable
        env = {
            "SITE_URL": site_url(host, port),  # links in e-mails: this run's address
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
            "PYTHONUNBUFFERED": "1",
        }
        if "EMAIL_BACKEND" not in os.environ:
            env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
            env["EMAIL_FILE_PATH"] = str(self.mail_dir)
        manage = str(settings.BASE_DIR / "manage.py")
        schedule = getattr(settings, "CELERY_BEAT_SCHEDULE_FILENAME", "celerybeat-schedule")
        web = [python, manage, "runserver", f"{host}:{port}"]
        celery = [python, "-m", "celery", "-A", "marketplace"]
        # One worker for every queue (production runs workers per queue; the README says how).
        queues = ",".join(queue.name for queue in settings.CELERY_TASK_QUEUES)
        commands = {
            "web": web if reload else [*web, "--noreload"],
            "worker": [
                *celery,
                *("worker", "--loglevel", "INFO", "--concurrency", "2", "--queues", queues),
                *("--without-gossip", "--without-mingle"),
            ],
            "beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", schedule],
        }
        return [
            devstack.Program(name, tuple(argv), env=env, cwd=settings.BASE_DIR)
            for name, argv in commands.items()
        ]


def site_url(host: str, port: int) -> str:
    """The address a browser on this machine uses for a server listening on host:port."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (a name for "every address", not a bind)
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _announce_when_up(supervisor: devstack.Supervisor, host: str, port: int, text: str) -> None:
    """Print ``text`` once the web server accepts connections: after the processes' start-up
    lines, so that the address and the logins are the last thing on screen."""

    def wait() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if devstack.port_in_use(host, port):  # the web server listens there now
                supervisor.announce(text)
                return
            time.sleep(0.2)

    threading.Thread(target=wait, name="announce", daemon=True).start()


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
