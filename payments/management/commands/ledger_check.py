"""Prove the books: every invariant of the ledger, printed, with a non-zero exit on any
violation. Celery beat runs the same check daily (payments.jobs.ledger_check_daily)."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from payments.models import Account, Movement, Transfer
from payments.selectors import ledger_violations


class Command(BaseCommand):
    help = "Check that the ledger balances and every stored balance matches its transfers."

    def handle(self, *args, **options) -> None:
        violations = ledger_violations()
        accounts = dict(Account.objects.values_list("kind").annotate(n=Count("id")))
        self.stdout.write(
            f"Ledger: {Movement.objects.count()} movements, {Transfer.objects.count()} "
            f"transfers, accounts: "
            + ", ".join(f"{kind} {n}" for kind, n in sorted(accounts.items()))
        )
        if not violations:
            self.stdout.write(self.style.SUCCESS("All invariants hold."))
            return
        for violation in violations:
            self.stderr.write(f"  [{violation.rule}] {violation.detail}")
        raise CommandError(f"{len(violations)} ledger invariant(s) violated")
