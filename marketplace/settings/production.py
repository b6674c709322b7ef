"""Production: every secret and host from the environment; refuses to start without them."""

import os

from django.core.exceptions import ImproperlyConfigured

from marketplace.storage import FILESYSTEM_BACKEND, upload_storage_problems
from payments.configuration import payment_configuration_problems

from .base import *  # noqa: F403
from .base import (
    KAAJ_DEMO_MODE,
    PAYMENTS_PROVIDER,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
    database_pooling,
    env,
    redis_settings,
    replica_settings,
)


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable (see the README).")
    return value


def _secret(name: str) -> str:
    """A secret from NAME or from the file NAME_FILE points at (Docker secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        with open(path) as handle:
            return handle.read().strip()
    return _required(name)


DEBUG = False
SECRET_KEY = _secret("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set the ALLOWED_HOSTS environment variable (see the README).")

# Metrics are never public: on, they need the token Prometheus sends (or METRICS_TOKEN_FILE).
if PROMETHEUS_METRICS:  # noqa: F405
    if not (env.str("METRICS_TOKEN", default="") or env.str("METRICS_TOKEN_FILE", default="")):
        raise ImproperlyConfigured(
            "PROMETHEUS_METRICS is on: set METRICS_TOKEN, the bearer token Prometheus sends "
            "for /metrics (see the README)."
        )
    METRICS_TOKEN = _secret("METRICS_TOKEN")

# Real money (Stripe, live keys) or an explicit demo: never money made up in production.
_payment_problems = payment_configuration_problems(
    provider=PAYMENTS_PROVIDER,
    stripe_secret_key=STRIPE_SECRET_KEY,
    stripe_webhook_secret=STRIPE_WEBHOOK_SECRET,
    demo_mode=KAAJ_DEMO_MODE,
)
if _payment_problems:
    raise ImproperlyConfigured(_payment_problems[0][1])

# Uploads on S3 (base.py's STORAGES) only when the variables can work; the local disk otherwise.
_storage_problems = upload_storage_problems(os.environ)
if _storage_problems:
    raise ImproperlyConfigured(_storage_problems[0])

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://kaaj@localhost/kaaj")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL that does not answer (host down, packets dropped) is a 503 after this long, not
# a request hanging until the proxy gives up (libpq's connect_timeout; see unavailable.py).
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
    "DATABASE_CONNECT_TIMEOUT_SECONDS", default=5
)
DATABASES["default"] = database_pooling(DATABASES["default"])
# A read replica for the feed, when DATABASE_REPLICA_URL names one (core/db.py).
globals().update(replica_settings(DATABASES, env.str("DATABASE_REPLICA_URL", default="")))
globals().update(redis_settings(env.str("REDIS_URL", default="redis://localhost:6379/0")))

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)

# HTTPS everywhere; the proxy in front terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

# --- Installed from the wheel ---------------------------------------------------------------
# base.py gives MEDIA_ROOT no default outside a checkout (never inside site-packages): kept on
# the local disk, uploads need it set; on S3 it is not used.
if not MEDIA_ROOT and STORAGES["default"]["BACKEND"] == FILESYSTEM_BACKEND:  # noqa: F405
    raise ImproperlyConfigured(
        "Set MEDIA_ROOT to a directory for uploads (outside the installed package), or keep "
        "them in S3 with AWS_STORAGE_BUCKET_NAME (see the README)."
    )
