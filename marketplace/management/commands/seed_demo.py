"""Demo accounts for trying Kaaj: employers, workers and a moderator, all verified."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.services import moderator_grant, user_ensure_verified
from payments.checkout import SANDBOX
from payments.models import DepositStatus
from payments.money import format_cents
from payments.selectors import balances_of
from payments.services.deposits import deposit_start, sandbox_checkout_confirm

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
        parser.add_argument(
            "--employer-balance-cents",
            type=int,
            default=10_000,
            help="top each demo employer's wallet up to this through a sandbox deposit (10000)",
        )

    def handle(
        self,
        *args,
        employers: int,
        workers: int,
        password: str,
        employer_balance_cents: int = 10_000,
        **options,
    ) -> None:
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
        self._fund_employers(employers, employer_balance_cents)

    def _ensure(self, email: str, password: str, name: str, country: str, language: str) -> int:
        _, created = user_ensure_verified(
            email=email, password=password, display_name=name, country=country, language=language
        )
        return int(created)

    def _fund_employers(self, employers: int, target_cents: int) -> None:
        """Top each demo employer's wallet up to ``target_cents`` with real sandbox deposits:
        ``deposit_start``, then the sandbox page's confirm (a signed event through the
        webhook handler). Outside any transaction, as ``deposit_start`` requires."""
        if target_cents <= 0 or employers <= 0:
            return
        if settings.PAYMENTS_PROVIDER != SANDBOX:
            self.stdout.write("  balances: not topped up, a real payment provider is configured")
            return
        for number in range(1, employers + 1):
            user = User.objects.get(email__iexact=demo_email("employer", number))
            deposits = []
            while (balance := balances_of(user).available_cents) < target_cents:
                amount = min(
                    max(target_cents - balance, settings.DEPOSIT_MINIMUM_CENTS),
                    settings.DEPOSIT_MAXIMUM_CENTS,
                )
                deposit = sandbox_checkout_confirm(
                    deposit=deposit_start(user=user, amount_cents=amount)
                )
                if deposit.status != DepositStatus.PAID:
                    raise CommandError(f"sandbox deposit {deposit.pk} ended {deposit.status}")
                deposits.append(f"#{deposit.pk} {format_cents(amount)}")
            done = f"deposited {', '.join(deposits)}" if deposits else "nothing to deposit"
            self.stdout.write(f"  {user.email}: balance {format_cents(balance)} ({done}, sandbox)")
