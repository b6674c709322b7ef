"""An unfair rejection, appealed on a phone and decided by a moderator on a phone."""

import pytest

from payments.selectors import balances_of, ledger_violations
from tasks.models import AssignmentStatus, DisputeOutcome
from tests.factories import PASSWORD, UserFactory, two_step_on

from ..tasks.dispute_helpers import rejected
from .conftest import fits_the_screen, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_disputes_a_rejection_and_a_moderator_pays_it_on_a_phone(phone):
    from accounts.services import moderator_grant

    employer = UserFactory(email="rahim@example.com", display_name="Rahim Traders")
    worker = UserFactory(email="karim@example.com", display_name="Karim")
    moderator = two_step_on(moderator_grant(user=UserFactory(email="moderator@example.com")))
    assignment = rejected(employer, worker, moderator, reward_cents=50)

    log_in(phone, "karim@example.com", PASSWORD)
    phone.go(f"/work/assignments/{assignment.pk}/")
    assert fits_the_screen(phone)
    phone.fill("#dispute textarea[name=reason]", "I signed up as karim; the page was slow.")
    phone.click("#dispute button:has-text('Send dispute')")
    phone.wait_for_load_state()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DISPUTED
    phone.context.clear_cookies()  # the moderator picks up the same phone

    log_in(phone, "moderator@example.com", PASSWORD)
    phone.go("/moderation/")
    phone.click("a[href='/moderation/disputes/']")
    assert fits_the_screen(phone)
    phone.click(f"a[href='/moderation/disputes/{assignment.dispute.pk}/']")
    assert fits_the_screen(phone)
    assert "I signed up as karim" in phone.content()
    phone.check("input[name=outcome][value=worker]")
    phone.fill("textarea[name=reason]", "The account exists under that name.")
    phone.click("button:has-text('Decide')")
    phone.wait_for_load_state()

    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.APPROVED
    assert assignment.dispute.outcome == DisputeOutcome.WORKER
    assert balances_of(worker).available_cents == 50
    assert ledger_violations() == []
