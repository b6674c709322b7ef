"""The container setup (Dockerfile, docker-compose.yml) checked against the code it runs.

Docker is not needed: each command the image or a service runs is parsed by its own
program's parser (Django's, gunicorn's, Celery's) and what it names is looked up here.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib.util
import io
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import click
import environ
import pytest
import yaml
from django.conf import settings
from django.core.management import BaseCommand, CommandError, get_commands, load_command_class

from payments.configuration import payment_configuration_problems

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING_APP_SERVICES = ("web", "worker", "beat")
_WSGI_MODULE, _, _WSGI_ATTRIBUTE = settings.WSGI_APPLICATION.rpartition(".")
# What each app service must run, so that a mix-up (the worker running beat) fails too.
EXPECTED_COMMANDS = {
    "migrate": "manage.py migrate",
    "web": f"gunicorn {_WSGI_MODULE}:{_WSGI_ATTRIBUTE}",
    "worker": "celery worker",
    "beat": "celery beat",
}


# --- Reading the files ---------------------------------------------------------------------


@functools.cache
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def service(name: str) -> dict:
    return compose()["services"][name]


@functools.cache
def dockerfile() -> tuple[tuple[str, str], ...]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return tuple(instructions)


def dockerfile_args(keyword: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile() if instruction == keyword]


def dockerfile_env() -> dict[str, str]:
    env = {}
    for arguments in dockerfile_args("ENV"):
        words = shlex.split(arguments)
        if "=" not in words[0]:  # the legacy `ENV NAME value` form
            env[words[0]] = arguments.split(None, 1)[1]
            continue
        env.update(word.split("=", 1) for word in words)
    return env


def image_paths() -> set[str]:
    """Paths under WORKDIR that COPY puts there from the build context, as Docker does it:
    a directory's contents land in the destination, a file lands in a destination ending
    with `/` under its own name. Wildcards match what exists in this checkout."""
    workdir = PurePosixPath(dockerfile_args("WORKDIR")[-1])
    paths = set()
    for arguments in dockerfile_args("COPY"):
        words = [word for word in shlex.split(arguments) if not word.startswith("--")]
        *sources, destination = words
        target = workdir / destination
        for source in sources:
            for match in sorted(ROOT.glob(source.rstrip("/"))):
                into_directory = match.is_file() and destination.endswith("/")
                copied = target / match.name if into_directory else target
                with contextlib.suppress(ValueError):
                    paths.add(str(copied.relative_to(workdir)))
    return paths


def interpolate(value: str, environ: Mapping[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME:?error}` (and the colon-less forms)
    and `$$`. Raises LookupError where Compose refuses to start."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        operator, argument = match.group("operator"), match.group("argument") or ""
        current = environ.get(name)
        unset = current is None or (current == "" and bool(operator) and operator[0] == ":")
        if not unset:
            return current
        if operator and operator.endswith("?"):
            raise LookupError(f"{name}: {argument}")
        return argument if operator else ""

    pattern = (
        r"\$(?:\$|\{(?P<name>\w+)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}|(?P<bare>\w+))"
    )
    return re.sub(pattern, replace, value)


def service_environment(name: str, environ: Mapping[str, str]) -> dict[str, str]:
    raw = service(name).get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: interpolate(str(value), environ) for key, value in raw.items()}


def dependencies(name: str) -> dict[str, str]:
    """The services `name` depends on, each with the condition it waits for."""
    depends_on = service(name).get("depends_on", {})
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {
        dep: (spec or {}).get("condition", "service_started") for dep, spec in depends_on.items()
    }


def waits_for_healthy(name: str, target: str, seen: tuple[str, ...] = ()) -> bool:
    """Whether `target` is healthy before `name` starts: directly, or through a dependency
    that itself only starts once `target` is healthy."""
    for dep, condition in dependencies(name).items():
        if condition not in ("service_healthy", "service_completed_successfully"):
            continue
        if dep == target and condition == "service_healthy":
            return True
        if dep not in seen and waits_for_healthy(dep, target, (*seen, name)):
            return True
    return False


# --- What a command names ------------------------------------------------------------------


class Unresolvable(Exception):
    """A command names a program, module, option or subcommand that does not exist."""


def resolve_command(argv: list[str]) -> str:
    """What `argv` runs, as "manage.py X", "gunicorn module:attribute" or "celery X"."""
    program, *args = argv
    if program in ("python", "python3") and args[:1] == ["manage.py"]:
        return _resolve_manage_py(args[1:])
    if program == "gunicorn":
        return _resolve_gunicorn(args)
    if program == "celery":
        return _resolve_celery(args)
    raise Unresolvable(f"no check knows the program {program!r}")


def _resolve_manage_py(args: list[str]) -> str:
    if not (ROOT / "manage.py").is_file():
        raise Unresolvable("there is no manage.py")
    if not args:
        raise Unresolvable("manage.py without a command")
    name, options = args[0], args[1:]
    commands = get_commands()
    if name not in commands:
        raise Unresolvable(f"there is no management command {name!r}")
    app = commands[name]
    command = app if isinstance(app, BaseCommand) else load_command_class(app, name)
    try:
        command.create_parser("manage.py", name).parse_args(options)
    except CommandError as error:
        raise Unresolvable(f"manage.py {name}: {error}") from error
    return f"manage.py {name}"


def gunicorn_options(args: list[str]):
    from gunicorn.config import Config

    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            return Config().parser().parse_args(args)
    except SystemExit as error:
        raise Unresolvable(f"gunicorn rejects {args}: {stderr.getvalue()}") from error


def _resolve_gunicorn(args: list[str]) -> str:
    positional = gunicorn_options(args).args
    if len(positional) != 1:
        raise Unresolvable(f"gunicorn needs one application, got {positional}")
    module, _, attribute = positional[0].partition(":")
    attribute = attribute or "application"
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    if spec is None or spec.origin is None:
        raise Unresolvable(f"there is no module {module!r}")
    # Read, don't import: importing a WSGI module sets up Django with its own settings.
    tree = ast.parse(Path(spec.origin).read_text())
    defined = set()
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(target.id for target in targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
    if attribute not in defined:
        raise Unresolvable(f"{module} defines no {attribute!r}")
    return f"gunicorn {module}:{attribute}"


def _resolve_celery(args: list[str]) -> str:
    from celery import Celery
    from celery.app.utils import find_app
    from celery.bin.base import CLIContext
    from celery.bin.celery import celery as cli

    try:
        context = cli.make_context("celery", list(args))
        if not context.params.get("app"):
            raise Unresolvable("celery without -A names no app")
        try:
            app = find_app(context.params["app"])
        except (ImportError, AttributeError) as error:
            raise Unresolvable(f"celery -A {context.params['app']}: {error}") from error
        if not isinstance(app, Celery):
            raise Unresolvable(f"celery -A {context.params['app']} is not a Celery app")
        # The group leaves the subcommand's own arguments in context.args; its name is
        # the word just before them.
        rest = args[len(args) - len(context.args) - 1 :]
        name, subcommand, options = cli.resolve_command(context, rest)
        context.obj = CLIContext(app=app, no_color=True, workdir=None, quiet=True)
        parsed = subcommand.make_context(name, options, parent=context)
        if name in ("inspect", "control"):  # the action is checked only when run, so here
            from celery.bin.control import _verify_command_name

            _verify_command_name(name, parsed.params["command"])
    except click.ClickException as error:
        raise Unresolvable(f"celery rejects {args}: {error.format_message()}") from error
    return f"celery {name}"


# --- Services and their commands -----------------------------------------------------------


def test_compose_defines_every_service():
    assert {"postgres", "redis", *APP_SERVICES} <= set(compose()["services"])


def test_every_service_command_is_an_argv_list():
    for name, spec in compose()["services"].items():
        if "command" in spec:
            command = spec["command"]
            assert isinstance(command, list), f"{name}: command should be a list (exec form)"
            assert all(isinstance(word, str) for word in command), name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_service_command_names_something_that_exists(name):
    assert resolve_command(service(name)["command"]) == EXPECTED_COMMANDS[name]


@pytest.mark.parametrize(
    "argv",
    [
        ["python", "manage.py", "migrat"],
        ["python", "manage.py", "migrate", "--no-such-option"],
        ["gunicorn", f"{_WSGI_MODULE}:app"],
        ["gunicorn", "marketplace.no_such_module:application"],
        ["gunicorn", f"{_WSGI_MODULE}:{_WSGI_ATTRIBUTE}", "--no-such-option"],
        ["celery", "worker"],
        ["celery", "-A", "no_such_module", "worker"],
        ["celery", "-A", "json", "worker"],
        ["celery", "-A", "marketplace", "no-such-subcommand"],
        ["celery", "-A", "marketplace", "worker", "--loglevel", "LOUD"],
        ["celery", "-A", "marketplace", "inspect", "pong"],
        ["uwsgi", "--http", ":8000"],
    ],
)
def test_a_command_naming_something_missing_is_rejected(argv):
    with pytest.raises(Unresolvable):
        resolve_command(argv)


def test_the_image_serves_the_wsgi_application_the_web_service_serves():
    command = json.loads(dockerfile_args("CMD")[-1])
    assert resolve_command(command) == resolve_command(service("web")["command"])


def test_the_worker_healthcheck_pings_with_a_real_celery_command():
    kind, shell_command = service("worker")["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    assert resolve_command(shlex.split(interpolate(shell_command, {}))) == "celery inspect"


def test_the_web_healthcheck_is_python_that_fetches_the_served_port():
    web = service("web")
    kind, program, flag, script = web["healthcheck"]["test"]
    assert (kind, program, flag) == ("CMD", "python", "-c")
    compile(script, "web healthcheck", "exec")
    url = urlsplit(re.search(r"http://[^\"']+", script).group(0))
    served_port = int(gunicorn_options(web["command"][1:]).bind[0].rpartition(":")[2])
    assert url.port == served_port
    assert [port.rpartition(":")[2] for port in web["ports"]] == [str(served_port)]
    assert dockerfile_args("EXPOSE") == [str(served_port)]


# --- Start-up order and health -------------------------------------------------------------


def test_every_healthcheck_has_a_test_and_every_awaited_service_a_healthcheck():
    services = compose()["services"]
    for name, spec in services.items():
        if "healthcheck" in spec:
            test = spec["healthcheck"].get("test")
            assert isinstance(test, list), f"{name}: healthcheck without a test list"
            assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name
    for name in services:
        for dep, condition in dependencies(name).items():
            assert dep in services, f"{name} depends on {dep!r}, which is not defined"
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits on {dep}'s missing check"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_start_once_the_database_is_healthy(name):
    assert waits_for_healthy(name, "postgres")


@pytest.mark.parametrize("name", LONG_RUNNING_APP_SERVICES)
def test_long_running_services_start_after_migrations_and_a_healthy_broker(name):
    assert dependencies(name).get("migrate") == "service_completed_successfully"
    assert waits_for_healthy(name, "redis")


def test_migrations_run_once_and_are_not_restarted():
    assert service("migrate")["restart"] == "no"  # the string: a bare `no` is YAML's False


# --- Environment ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_gets_the_shared_environment(name):
    shared = compose()["x-kaaj-env"]
    assert shared.items() <= service(name)["environment"].items()


def test_the_settings_module_is_the_one_the_image_names_and_exists():
    module = compose()["x-kaaj-env"]["DJANGO_SETTINGS_MODULE"]
    assert module == dockerfile_env()["DJANGO_SETTINGS_MODULE"]
    assert importlib.util.find_spec(module) is not None


def test_service_urls_point_at_services_defined_alongside():
    env = compose()["x-kaaj-env"]
    postgres = service("postgres")["environment"]
    database = urlsplit(env["DATABASE_URL"])
    assert database.hostname in compose()["services"]
    assert (database.username, database.password, database.path.lstrip("/")) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert urlsplit(env["REDIS_URL"]).hostname in compose()["services"]


def test_compose_passes_every_variable_production_requires():
    source = (ROOT / "marketplace" / "settings" / "production.py").read_text()
    required = set(re.findall(r"_(?:secret|required)\(\"(\w+)\"\)", source))
    required |= set(re.findall(r"Set the (\w+) environment variable", source))
    assert {"SECRET_KEY", "ALLOWED_HOSTS"} <= required
    env = service_environment("web", {"SECRET_KEY": "from-the-shell"})
    for name in sorted(required):
        assert env.get(name), f"docker-compose.yml leaves {name} unset"


def compose_payment_problems(shell: Mapping[str, str]) -> list[tuple[str, str]]:
    """What the production settings would say about the payments of compose's environment."""
    env = service_environment("web", {"SECRET_KEY": "from-the-shell", **shell})
    key = env.get("STRIPE_SECRET_KEY", "")
    return payment_configuration_problems(
        provider=env.get("PAYMENTS_PROVIDER") or ("stripe" if key else "sandbox"),
        stripe_secret_key=key,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
        demo_mode=env.get("KAAJ_DEMO_MODE", "").lower() in environ.Env.BOOLEAN_TRUE_STRINGS,
    )


def test_compose_runs_an_explicit_demo_by_default():
    """Out of the box: demo mode, written where an operator reads it; never a bare sandbox."""
    assert re.search(r"^  KAAJ_DEMO_MODE: \$\{KAAJ_DEMO_MODE:-true\}$", _compose_text(), re.M)
    assert service_environment("web", {"SECRET_KEY": "k"})["KAAJ_DEMO_MODE"] == "true"
    assert compose_payment_problems({}) == []


def test_compose_goes_live_only_with_stripe_keys():
    live = {
        "KAAJ_DEMO_MODE": "false",
        "STRIPE_SECRET_KEY": "sk_live_" + "0" * 24,
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "0" * 32,
    }
    assert compose_payment_problems(live) == []
    assert compose_payment_problems({"KAAJ_DEMO_MODE": "false"})  # the sandbox would mint money
    assert compose_payment_problems({"STRIPE_SECRET_KEY": live["STRIPE_SECRET_KEY"]})


def _compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text()


def test_compose_refuses_to_start_without_a_secret_key():
    with pytest.raises(LookupError, match="SECRET_KEY"):
        service_environment("web", {})
    with pytest.raises(LookupError, match="SECRET_KEY"):
        service_environment("web", {"SECRET_KEY": ""})


@pytest.mark.slow
def test_production_settings_load_from_the_compose_environment():
    env = service_environment("web", {"SECRET_KEY": secrets.token_urlsafe(50)})
    script = (
        "import json, django\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "django.setup()\n"
        "call_command('check', deploy=True)\n"
        "print(json.dumps({'hosts': settings.ALLOWED_HOSTS,"
        " 'redirect': settings.SECURE_SSL_REDIRECT}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": str(Path.home()), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    # Usable on http://localhost out of the box: the host is allowed and not redirected.
    assert {"localhost", "127.0.0.1"} <= set(loaded["hosts"])
    assert loaded["redirect"] is False


# --- The image -----------------------------------------------------------------------------


def test_the_image_contains_every_package_and_resource_the_settings_use():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {
        path.name
        for path in ROOT.iterdir()
        if (path / "__init__.py").is_file() and any(fnmatch(path.name, p) for p in include)
    }
    resource_dirs = [
        *(d for template in settings.TEMPLATES for d in template["DIRS"]),
        settings.PACKAGE_DIR / "static",
        *settings.LOCALE_PATHS,
    ]
    resources = {
        Path(d).relative_to(settings.BASE_DIR).parts[0] for d in resource_dirs if Path(d).exists()
    }
    needed = packages | resources | {"manage.py", "pyproject.toml"}
    assert {"marketplace", "accounts"} <= needed
    assert needed <= image_paths()
    # The copied tree, not site-packages, is imported, so BASE_DIR finds those resources.
    assert dockerfile_args("WORKDIR")[-1] in dockerfile_env()["PYTHONPATH"].split(":")


def test_the_image_runs_as_an_unprivileged_user():
    users = [user for instruction, user in dockerfile() if instruction == "USER"]
    assert users, "the image runs as root"
    # The last USER is the one containers run as, wherever CMD stands.
    assert users[-1].partition(":")[0] not in ("root", "0")


def test_build_time_settings_stay_out_of_the_image():
    persisted = [*dockerfile_env(), *(arg.split("=")[0] for arg in dockerfile_args("ARG"))]
    assert "SECRET_KEY" not in persisted
    assert "ALLOWED_HOSTS" not in persisted
    collect = [run for run in dockerfile_args("RUN") if "collectstatic" in run]
    assert len(collect) == 1
    assert re.search(r"\bSECRET_KEY=\S+.*\bALLOWED_HOSTS=\S+.*manage\.py collectstatic", collect[0])
    assert "--noinput" in collect[0]
    # Collected after the static sources are in place.
    instructions = list(dockerfile())
    collect_at = instructions.index(("RUN", collect[0]))
    copies = [i for i, (k, arguments) in enumerate(instructions) if k == "COPY"]
    static_copies = [i for i in copies if "marketplace" in dockerfile()[i][1]]
    assert static_copies and max(static_copies) < collect_at
