import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_verified_accounts_once(capsys):
    call_command("seed_demo", employers=2, workers=3, password="first-pass-123")
    assert User.objects.count() == 6
    assert EmailAddress.objects.filter(verified=True).count() == 6
    moderator = User.objects.get(email="moderator@demo.kaaj.test")
    assert moderator.is_moderator
    assert User.objects.get(email="worker3@demo.kaaj.test").check_password("first-pass-123")

    call_command("seed_demo", employers=2, workers=3, password="second-pass-456")
    assert User.objects.count() == 6
    assert EmailAddress.objects.count() == 6
    assert "(0 new)" in capsys.readouterr().out
    for user in User.objects.all():
        assert user.check_password("second-pass-456")


def test_seed_demo_prints_the_default_password(capsys):
    call_command("seed_demo", employers=1, workers=1)
    assert "kaaj-demo-pass" in capsys.readouterr().out
    assert User.objects.get(email="employer1@demo.kaaj.test").check_password("kaaj-demo-pass")


def test_demo_accounts_can_log_in(client):
    call_command("seed_demo", employers=1, workers=1, password="demo-pass-789")
    response = client.post(
        "/accounts/login/", {"login": "worker1@demo.kaaj.test", "password": "demo-pass-789"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_seed_demo_warns_one_worker_for_real_rejections_once(settings, capsys):
    from accounts.models import Sanction

    settings.PAYMENTS_PROVIDER = "sandbox"
    call_command("seed_demo", employers=1, workers=2, campaigns=0, password="demo-pass-1")
    [warning] = Sanction.objects.all()
    assert warning.user.email == "worker2@demo.kaaj.test" and warning.step == "warning"
    assert warning.rejected >= 7 and len(warning.details["rejections"]) == warning.rejected
    call_command("seed_demo", employers=1, workers=2, campaigns=0, password="demo-pass-1")
    assert Sanction.objects.count() == 1
    assert "Demo warned worker ready (0 new)." in capsys.readouterr().out


def test_seed_demo_has_demo_workers_rate_demo_employers_once_one_answered(settings, capsys):
    from tasks.models import EmployerRating

    settings.PAYMENTS_PROVIDER = "sandbox"
    call_command("seed_demo", employers=1, workers=3, campaigns=1, password="demo-pass-1")
    ratings = list(EmployerRating.objects.order_by("id"))
    assert len(ratings) >= 2
    assert {r.employer.email for r in ratings} == {"employer1@demo.kaaj.test"}
    assert [r.answer != "" for r in ratings].count(True) == 1
    call_command("seed_demo", employers=1, workers=3, campaigns=1, password="demo-pass-1")
    assert EmployerRating.objects.count() == len(ratings)
    assert "Demo ratings of employers ready (0 new)." in capsys.readouterr().out
