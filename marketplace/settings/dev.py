"""Development: the embedded stack under var/ unless DATABASE_URL / REDIS_URL say otherwise."""

import secrets

from marketplace import devstack

from .base import *  # noqa: F403
from .base import database_pooling, env, redis_settings, replica_settings

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])


def _dev_secret_key() -> str:
    """A key of this checkout's own, made on first use and kept under var/."""
    path = devstack.var_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _dev_secret_key()

_stack = devstack.dev_stack()
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {"default": _stack.database_settings}
DATABASES["default"] = database_pooling(DATABASES["default"])
globals().update(replica_settings(DATABASES, env.str("DATABASE_REPLICA_URL", default="")))

if env.str("REDIS_URL", default=""):
    globals().update(redis_settings(env.str("REDIS_URL")))
else:
    globals().update(redis_settings(_stack.redis_url, _stack.broker_url))

MEDIA_ROOT = devstack.var_dir() / "media"
CELERY_BEAT_SCHEDULE_FILENAME = str(devstack.var_dir() / "celerybeat-schedule")
