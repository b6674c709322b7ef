import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from payments.models import Movement

from .helpers import give

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, moderator):
    moderator.user_permissions.add(*Permission.objects.filter(content_type__app_label="payments"))
    client.force_login(moderator)
    return client


def test_staff_read_the_ledger_but_cannot_edit_it(staff_client, employer):
    movement = give(employer, 250)
    changelist = staff_client.get(reverse("admin:payments_movement_changelist"))
    assert changelist.status_code == 200
    assert movement.idempotency_key in changelist.content.decode()
    page = staff_client.get(reverse("admin:payments_movement_change", args=[movement.pk]))
    assert page.status_code == 200
    assert "250" in page.content.decode()
    response = staff_client.post(
        reverse("admin:payments_movement_change", args=[movement.pk]), {"memo": "changed"}
    )
    assert response.status_code == 403
    response = staff_client.post(
        reverse("admin:payments_movement_delete", args=[movement.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Movement.objects.get(pk=movement.pk).memo == ""


def test_account_list_shows_balances(staff_client, employer):
    give(employer, 250)
    html = staff_client.get(reverse("admin:payments_account_changelist")).content.decode()
    assert f"wallet:{employer.pk}" in html and "250" in html
