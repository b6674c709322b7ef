"""Tests: always PostgreSQL. The one DATABASE_URL names, else an embedded test cluster of
its own (var/postgres-test), never the development data."""

import atexit

from marketplace import devstack

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "kaaj-tests-only-not-a-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    _stack = devstack.test_stack()
    _context = devstack.embedded(_stack, redis=False, durable=False, quiet=True)
    _context.__enter__()
    atexit.register(_context.__exit__, None, None, None)
    DATABASES = {"default": _stack.database_settings}

REDIS_URL = ""
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the finders, as in development: tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
