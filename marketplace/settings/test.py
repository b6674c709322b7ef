"""Tests: always PostgreSQL and Redis. The PostgreSQL DATABASE_URL names, else an embedded
test cluster of its own (var/postgres-test), never the development data; the Redis REDIS_URL
names, else a redis-server of the run's own."""

import atexit
import os
import secrets

from marketplace import devstack

from .base import *  # noqa: F403
from .base import database_pooling, env, redis_settings, replica_settings

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
DATABASES["default"] = database_pooling(DATABASES["default"])
# DATABASE_REPLICA_URL adds the ``replica`` alias here too, as a TEST MIRROR of ``default``:
# the test database on the replica's server. No router sends reads to it unless a test
# installs core.db.ReplicaRouter (tests/test_replica.py, which adds the alias itself when the
# variable is unset): the suite's other tests write and read inside one transaction, which a
# second connection would not see.
_replica = replica_settings(DATABASES, env.str("DATABASE_REPLICA_URL", default=""))
if _replica:
    DATABASES = _replica["DATABASES"]
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

# The cache is a real Redis, as in production: the one REDIS_URL names, else a throw-away
# redis-server of this process's own. Keys carry a per-run prefix (tests/conftest.py
# deletes them between tests), so runs sharing one Redis never see each other's counters.
if env.str("REDIS_URL", default=""):
    REDIS_URL = env.str("REDIS_URL")
else:
    _redis = devstack.ThrowawayRedis().start()
    atexit.register(_redis.close)
    REDIS_URL = _redis.url
CACHES = redis_settings(REDIS_URL)["CACHES"]
CACHES["default"]["KEY_PREFIX"] = f"kaaj-test-{os.getpid()}-{secrets.token_hex(4)}"
# Jobs go to an in-memory broker unless a test points Celery at a real one.
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Uploads stay in memory unless AWS_STORAGE_BUCKET_NAME points the run at a bucket (the
# object storage tests start an S3 server of their own either way: tests/tasks/test_s3.py).
STORAGES = {
    "default": (
        STORAGES["default"]  # noqa: F405
        if env.str("AWS_STORAGE_BUCKET_NAME", default="")
        else {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the finders, as in development: tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
