import pytest
from django.db import IntegrityError, connection, transaction

from payments import services
from payments.models import AccountKind, Movement, Transfer
from payments.selectors import account_balance, balances_of, ledger_violations
from payments.services.ledger import (
    Leg,
    Posting,
    ledger_post,
    system_account,
    wallet_account,
)

from .helpers import give

pytestmark = pytest.mark.django_db


def payment(employer, worker, assignment_id=1, reward=100, fee=10, campaign_id=1):
    return services.TaskPayment(
        assignment_id=assignment_id,
        campaign_id=campaign_id,
        employer=employer,
        worker=worker,
        reward_cents=reward,
        fee_cents=fee,
    )


def test_funding_and_approval_move_reward_and_fee(employer, worker):
    give(employer, 1_000)
    services.escrow_fund(
        campaign_id=1, employer=employer, amount_cents=330, event="launch", by=employer
    )
    movement, created = services.escrow_pay(payment=payment(employer, worker), by=employer)
    assert created
    assert sorted(movement.transfers.values_list("amount", flat=True)) == [10, 100]
    assert balances_of(employer).available_cents == 670
    assert balances_of(employer).escrow_cents == 220
    assert balances_of(worker).available_cents == 100
    assert account_balance(system_account(AccountKind.FEES)) == 10
    assert ledger_violations() == []


def test_paying_the_same_assignment_twice_pays_once(employer, worker):
    give(employer, 1_000)
    services.escrow_fund(
        campaign_id=1, employer=employer, amount_cents=220, event="launch", by=employer
    )
    first, _ = services.escrow_pay(payment=payment(employer, worker), by=None)
    again, created = services.escrow_pay(payment=payment(employer, worker), by=None)
    assert again.pk == first.pk and not created
    assert balances_of(worker).available_cents == 100
    assert Transfer.objects.filter(movement=first).count() == 2


def test_a_short_wallet_moves_nothing(employer):
    give(employer, 100)
    with pytest.raises(services.InsufficientFunds):
        services.escrow_fund(
            campaign_id=1, employer=employer, amount_cents=101, event="launch", by=employer
        )
    assert balances_of(employer) == balances_of(employer).__class__(available_cents=100)
    assert not Movement.objects.filter(kind="escrow_fund").exists()


def test_a_key_reused_for_another_event_is_refused(employer, worker):
    give(employer, 500)
    services.escrow_fund(
        campaign_id=1, employer=employer, amount_cents=100, event="launch", by=employer
    )
    clash = Posting(
        kind="bonus",
        idempotency_key="fund:campaign:1:launch",
        reference="x",
        legs=(Leg(wallet_account(employer), wallet_account(worker), 5),),
    )
    with pytest.raises(services.IdempotencyConflict):
        ledger_post(clash)
    assert balances_of(worker).available_cents == 0


def test_refund_returns_escrow_to_the_wallet(employer):
    give(employer, 500)
    services.escrow_fund(
        campaign_id=7, employer=employer, amount_cents=300, event="launch", by=employer
    )
    services.escrow_refund(
        campaign_id=7, employer=employer, amount_cents=300, event="cancel", by=employer
    )
    assert balances_of(employer).available_cents == 500
    assert balances_of(employer).escrow_cents == 0


def test_bonus_charges_the_fee_on_top(employer, worker, settings):
    settings.PLATFORM_FEE_PERCENT = "10"
    give(employer, 1_000)
    services.bonus_transfer(
        employer=employer, worker=worker, amount_cents=55, event="assignment:4", by=employer
    )
    assert balances_of(worker).available_cents == 55
    assert balances_of(employer).available_cents == 1_000 - 55 - 6  # 5.5 rounds up to 6


def test_adjustments_need_staff_and_a_reason(employer, moderator):
    import uuid

    with pytest.raises(PermissionError):
        services.adjustment_post(
            user=employer, amount_cents=50, reason="x", by=employer, request_id=uuid.uuid4()
        )
    with pytest.raises(ValueError):
        services.adjustment_post(
            user=employer, amount_cents=50, reason="  ", by=moderator, request_id=uuid.uuid4()
        )
    request = uuid.uuid4()
    for _ in range(2):
        services.adjustment_post(
            user=employer, amount_cents=50, reason="goodwill", by=moderator, request_id=request
        )
    movement = Movement.objects.get(kind="adjustment")
    assert (movement.actor, movement.memo) == (moderator, "goodwill")
    assert balances_of(employer).available_cents == 50


def test_the_database_refuses_to_change_or_delete_ledger_rows(employer):
    movement = give(employer, 100)
    transfer = movement.transfers.get()
    for statement in (
        "UPDATE payments_transfer SET amount = 1 WHERE id = %s",
        "DELETE FROM payments_transfer WHERE id = %s",
        "UPDATE payments_movement SET memo = 'x' WHERE id = %s",
        "DELETE FROM payments_movement WHERE id = %s",
    ):
        target = transfer.pk if "transfer" in statement else movement.pk
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [target])
    assert Transfer.objects.get(pk=transfer.pk).amount == 100


def test_the_database_refuses_an_overdraft(employer):
    wallet = wallet_account(employer)
    with (
        pytest.raises(IntegrityError, match="no_overdraft"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE payments_account SET balance = -1 WHERE id = %s", [wallet.pk])


def test_the_database_refuses_unbalanced_or_empty_transfers(employer, worker):
    movement = give(employer, 100)
    for debit, credit, amount in (
        (wallet_account(employer).pk, wallet_account(worker).pk, 0),
        (wallet_account(employer).pk, wallet_account(employer).pk, 5),
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO payments_transfer (movement_id, debit_id, credit_id, amount) "
                "VALUES (%s, %s, %s, %s)",
                [movement.pk, debit, credit, amount],
            )


def test_system_accounts_store_no_balance(employer):
    give(employer, 100)
    deposits = system_account(AccountKind.DEPOSITS, "test")
    deposits.refresh_from_db()
    assert deposits.balance == 0
    assert account_balance(deposits) == -100


def test_ledger_violations_spots_a_tampered_balance_and_unbalanced_books(employer):
    give(employer, 100)
    assert ledger_violations() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payments_account SET balance = 99 WHERE key = %s", [f"wallet:{employer.pk}"]
        )
    violations = ledger_violations()
    assert [v.rule for v in violations] == ["stored_balance", "balanced"]
    assert "add up to -1" in violations[1].detail


def test_ledger_check_command_passes_on_clean_books_and_fails_on_tampering(employer, capsys):
    from django.core.management import CommandError, call_command

    give(employer, 100)
    call_command("ledger_check")
    assert "All invariants hold" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payments_account SET balance = 1 WHERE key = %s", [f"wallet:{employer.pk}"]
        )
    with pytest.raises(CommandError, match="2 ledger invariant"):
        call_command("ledger_check")


def test_the_daily_job_logs_an_error_when_the_books_are_wrong(employer, caplog):
    from payments.jobs import ledger_check_daily

    give(employer, 100)
    assert ledger_check_daily() == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payments_account SET balance = 1 WHERE key = %s", [f"wallet:{employer.pk}"]
        )
    assert ledger_check_daily() == 2
    assert any(
        r.levelname == "ERROR" and "stored_balance" in r.getMessage() for r in caplog.records
    )


def test_the_daily_check_is_on_the_beat_schedule(settings):
    entries = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "payments.ledger_check_daily"
    ]
    assert len(entries) == 1
