"""Demo accounts for trying Kaaj: employers, workers and a moderator, all verified."""

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.services import moderator_grant, user_ensure_verified

DEMO_DOMAIN = "demo.kaaj.test"
DEFAULT_PASSWORD = "kaaj-demo-pass"  # noqa: S105  (a published demo password, by design)
MODERATOR_EMAIL = f"moderator@{DEMO_DOMAIN}"


def demo_email(role: str, number: int) -> str:
    return f"{role}{number}@{DEMO_DOMAIN}"


class Command(BaseCommand):
    help = "Create (or refresh) verified demo accounts. Running it twice creates nothing new."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--employers", type=int, default=2, help="demo employers (2)")
        parser.add_argument("--workers", type=int, default=5, help="demo workers (5)")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="password set on every demo account"
        )

    def handle(self, *args, employers: int, workers: int, password: str, **options) -> None:
        created = 0
        with transaction.atomic():
            for number in range(1, employers + 1):
                created += self._ensure(
                    demo_email("employer", number), password, f"Demo Employer {number}", "US", "en"
                )
            for number in range(1, workers + 1):
                created += self._ensure(
                    demo_email("worker", number),
                    password,
                    f"Demo Worker {number}",
                    "BD",
                    "bn" if number % 2 else "en",
                )
            moderator, new = user_ensure_verified(
                email=MODERATOR_EMAIL,
                password=password,
                display_name="Demo Moderator",
                country="BD",
            )
            moderator_grant(user=moderator)
            created += new
        self.stdout.write(
            self.style.SUCCESS(f"Demo accounts ready ({created} new). Password for all: {password}")
        )
        self.stdout.write(
            f"  employers: {demo_email('employer', 1)} … "
            f"{demo_email('employer', max(employers, 1))}"
        )
        self.stdout.write(
            f"  workers:   {demo_email('worker', 1)} … {demo_email('worker', max(workers, 1))}"
        )
        self.stdout.write(f"  moderator: {MODERATOR_EMAIL}")

    def _ensure(self, email: str, password: str, name: str, country: str, language: str) -> int:
        _, created = user_ensure_verified(
            email=email, password=password, display_name=name, country=country, language=language
        )
        return int(created)
