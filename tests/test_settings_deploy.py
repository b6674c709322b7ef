"""Production settings: refuse to start half-configured, and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Real money: Stripe with a live key (made-up ones; nothing here calls Stripe).
LIVE_KEY = "sk_live_" + "0" * 24
TEST_KEY = "sk_test_" + "0" * 24
LIVE_STRIPE = {
    "PAYMENTS_PROVIDER": "stripe",
    "STRIPE_SECRET_KEY": LIVE_KEY,
    "STRIPE_WEBHOOK_SECRET": "whsec_" + "0" * 32,
}
PAYMENT_VARIABLES = (*LIVE_STRIPE, "KAAJ_DEMO_MODE")
COMPLETE_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
    "SECRET_KEY": "x7#Lq9v!pR2w@Zk4$Nf8^Tb6&Hy3*Jc1(Md5)Gs0_Ue-We+Qa=Xr" * 2,
    "ALLOWED_HOSTS": "kaaj.example.com",
    "DATABASE_URL": "postgres://kaaj@127.0.0.1:5432/kaaj",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    **LIVE_STRIPE,
}
WITHOUT_PAYMENTS = {k: v for k, v in COMPLETE_ENVIRONMENT.items() if k not in PAYMENT_VARIABLES}


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    # Only what a deployment would have: none of the test run's own switches.
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in COMPLETE_ENVIRONMENT
        and key not in PAYMENT_VARIABLES
        and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_a_complete_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **COMPLETE_ENVIRONMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    environment = {k: v for k, v in COMPLETE_ENVIRONMENT.items() if k != missing}
    result = manage("check", **environment)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_refuses_to_start_without_a_payment_provider():
    result = manage("check", **WITHOUT_PAYMENTS)
    assert result.returncode != 0
    assert "ImproperlyConfigured: The sandbox provider makes money up" in result.stderr
    assert (
        "set PAYMENTS_PROVIDER=stripe with STRIPE_SECRET_KEY (a live key) and "
        "STRIPE_WEBHOOK_SECRET, or KAAJ_DEMO_MODE=true"
    ) in result.stderr


@pytest.mark.parametrize(
    ("payments", "message"),
    [
        ({"PAYMENTS_PROVIDER": "sandbox"}, "The sandbox provider makes money up"),
        ({"PAYMENTS_PROVIDER": "stripe"}, "set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"),
        ({**LIVE_STRIPE, "STRIPE_WEBHOOK_SECRET": ""}, "stripe: set STRIPE_WEBHOOK_SECRET."),
        ({**LIVE_STRIPE, "STRIPE_SECRET_KEY": TEST_KEY}, "STRIPE_SECRET_KEY is not a live key"),
        ({**LIVE_STRIPE, "KAAJ_DEMO_MODE": "true"}, "a demo never touches real money"),
        ({"PAYMENTS_PROVIDER": "stripe ", "KAAJ_DEMO_MODE": "true"}, "PAYMENTS_PROVIDER is"),
    ],
)
def test_production_refuses_payments_that_could_mint_money(payments, message):
    result = manage("check", **WITHOUT_PAYMENTS, **payments)
    assert result.returncode != 0
    assert message in result.stderr.splitlines()[-1]  # one line, saying what to set


@pytest.mark.parametrize(
    "payments",
    [
        {"KAAJ_DEMO_MODE": "true"},
        {"KAAJ_DEMO_MODE": "true", **LIVE_STRIPE, "STRIPE_SECRET_KEY": TEST_KEY},
    ],
    ids=["sandbox", "stripe-test-mode"],
)
def test_demo_mode_starts_production_on_pretend_money(payments):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **WITHOUT_PAYMENTS, **payments)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    loaded = manage("diffsettings", **WITHOUT_PAYMENTS, **payments)
    assert "KAAJ_DEMO_MODE = True" in loaded.stdout


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(COMPLETE_ENVIRONMENT["SECRET_KEY"])
    environment = {k: v for k, v in COMPLETE_ENVIRONMENT.items() if k != "SECRET_KEY"}
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY_FILE=str(key_file), **environment
    )
    assert result.returncode == 0, result.stderr


def test_no_secret_is_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    names = tracked.stdout.split()
    assert not [name for name in names if name.startswith("var/") or name.endswith(".env")]


def test_social_logins_appear_only_when_configured():
    without = manage("diffsettings", **COMPLETE_ENVIRONMENT)
    assert without.returncode == 0, without.stderr
    assert "providers.google" not in without.stdout
    assert "providers.facebook" not in without.stdout
    configured = manage(
        "diffsettings",
        GOOGLE_CLIENT_ID="id.apps.example",
        GOOGLE_CLIENT_SECRET="s",
        **COMPLETE_ENVIRONMENT,
    )
    assert "allauth.socialaccount.providers.google" in configured.stdout
    assert "providers.facebook" not in configured.stdout
