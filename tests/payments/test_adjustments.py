import pytest
from django.urls import reverse

from payments.models import Movement
from payments.selectors import balances_of

from .helpers import give

pytestmark = pytest.mark.django_db
URL = reverse("moderation:adjustments")


def form(email, amount, reason="Deposit landed in the wrong wallet", request_id=None):
    import uuid

    return {
        "email": email,
        "amount": amount,
        "reason": reason,
        "request_id": str(request_id or uuid.uuid4()),
    }


def test_a_moderator_adjusts_a_wallet_with_a_reason_kept_for_the_audit(client, moderator, worker):
    client.force_login(moderator)
    response = client.post(URL, form("WORKER@example.com", "2.50"))
    assert response.status_code == 302
    assert balances_of(worker).available_cents == 250
    movement = Movement.objects.get(kind="adjustment")
    assert (movement.actor, movement.memo) == (moderator, "Deposit landed in the wrong wallet")
    page = client.get(URL).content.decode()
    assert "Deposit landed in the wrong wallet" in page and "moderator@example.com" in page


def test_taking_money_back_cannot_overdraw_the_wallet(client, moderator, worker):
    give(worker, 100)
    client.force_login(moderator)
    response = client.post(URL, form("worker@example.com", "-1.50"))
    assert response.status_code == 400
    assert 'id="id_amount_errors"' in response.content.decode()
    assert balances_of(worker).available_cents == 100
    assert client.post(URL, form("worker@example.com", "-1.00")).status_code == 302
    assert balances_of(worker).available_cents == 0


def test_a_double_submit_adjusts_once(client, moderator, worker):
    client.force_login(moderator)
    data = form("worker@example.com", "1.00")
    client.post(URL, data)
    client.post(URL, data)
    assert balances_of(worker).available_cents == 100


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("email", form("nobody@example.com", "1.00")),
        ("amount", form("worker@example.com", "lots")),
        ("amount", form("worker@example.com", "0")),
        ("reason", form("worker@example.com", "1.00", reason="   ")),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_changes_nothing(
    client, moderator, worker, field, data
):
    client.force_login(moderator)
    response = client.post(URL, data)
    assert response.status_code == 400
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert not Movement.objects.filter(kind="adjustment").exists()


def test_only_moderators_adjust(client, worker, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form("worker@example.com", "5.00")).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302
    assert balances_of(worker).available_cents == 0
