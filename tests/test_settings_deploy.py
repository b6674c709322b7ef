"""Production settings: refuse to start half-configured, and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPLETE_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
    "SECRET_KEY": "x7#Lq9v!pR2w@Zk4$Nf8^Tb6&Hy3*Jc1(Md5)Gs0_Ue-We+Qa=Xr" * 2,
    "ALLOWED_HOSTS": "kaaj.example.com",
    "DATABASE_URL": "postgres://kaaj@127.0.0.1:5432/kaaj",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    # Only what a deployment would have: none of the test run's own switches.
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in COMPLETE_ENVIRONMENT and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
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
