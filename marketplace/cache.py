"""Django's Redis cache, failing open: Redis down degrades the cache, never the request.

Kaaj keeps only soft state in the cache: rate-limit counters (DRF's throttles, allauth's
login limits) and lookups that can be recomputed. So when Redis cannot be reached, an
operation behaves as a miss rather than raising: ``get`` answers the default, ``add``
answers True (as if the key was new, so allauth's lock is taken at once rather than waited
for), ``set``/``delete`` do nothing, ``incr`` answers ``delta``. A rate limit whose counter
cannot be read lets the request through: the limits are off until Redis is back, which is
logged, rather than every page and API call answering 500.

After a failure the cache does not try Redis again for ``CACHE_REDIS_RETRY_SECONDS``
(shared by every thread of the process), so a Redis that is down costs a request nothing
and the warning is logged once per period, not once per call. The socket timeouts in
``OPTIONS`` (see ``redis_settings()``) bound what a Redis that hangs can cost.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)

# Per Redis location: until when (monotonic clock) the cache skips it.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def _fail_open(fallback: Callable[..., Any]) -> Callable:
    """Run the client method unless its Redis is known to be down; on a connection error
    or timeout, mark it down, warn, and answer ``fallback(*args)`` instead."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self: FailOpenRedisCacheClient, *args: Any) -> Any:
            if time.monotonic() < _down_until.get(self.location, 0.0):
                return fallback(*args)
            try:
                return method(self, *args)
            except UNREACHABLE as error:
                self.mark_down(error)
                return fallback(*args)

        return wrapper

    return decorate


class FailOpenRedisCacheClient(RedisCacheClient):
    """Django's client with every operation wrapped by :func:`_fail_open`."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self.location = ",".join(servers)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: str | None = None, *, write: bool = False) -> Any:
        """Django's, but one ``redis.Redis`` per connection pool, made on first use: Django
        makes one per operation, and each fills its table of some 170 response callbacks
        (about a tenth of a millisecond, on every session read and cached lookup). A
        client over a pool is safe to share between threads, and holds no connection."""
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def mark_down(self, error: Exception) -> None:
        retry = settings.CACHE_REDIS_RETRY_SECONDS
        with _lock:
            first = time.monotonic() >= _down_until.get(self.location, 0.0)
            _down_until[self.location] = time.monotonic() + retry
        if first:
            logger.warning(
                "Redis cache unreachable (%s): rate limits are off and the cache is empty; "
                "trying again in %s s",
                error,
                retry,
            )

    add = _fail_open(lambda key, value, timeout: True)(RedisCacheClient.add)
    get = _fail_open(lambda key, default: default)(RedisCacheClient.get)
    # get() that answers ``unreadable`` rather than the miss when Redis cannot be asked.
    get_or_unreadable = _fail_open(lambda key, default, unreadable: unreadable)(
        lambda self, key, default, unreadable: RedisCacheClient.get(self, key, default)
    )
    set = _fail_open(lambda key, value, timeout: None)(RedisCacheClient.set)
    touch = _fail_open(lambda key, timeout: False)(RedisCacheClient.touch)
    delete = _fail_open(lambda key: False)(RedisCacheClient.delete)
    get_many = _fail_open(lambda keys: {})(RedisCacheClient.get_many)
    has_key = _fail_open(lambda key: False)(RedisCacheClient.has_key)
    incr = _fail_open(lambda key, delta: delta)(RedisCacheClient.incr)
    set_many = _fail_open(lambda data, timeout: None)(RedisCacheClient.set_many)
    delete_many = _fail_open(lambda keys: None)(RedisCacheClient.delete_many)
    clear = _fail_open(lambda: False)(RedisCacheClient.clear)

    @_fail_open(lambda prefix: 0)
    def delete_prefixed(self, prefix: str) -> int:
        """Delete the keys that start with ``prefix`` (SCAN, so Redis is never blocked)."""
        client = self.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        return client.delete(*keys) if keys else 0


class FailOpenRedisCache(RedisCache):
    """``CACHES`` backend: Django's RedisCache over :class:`FailOpenRedisCacheClient`."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient

    def clear_own(self) -> int:
        """Delete this cache's keys only (those under its KEY_PREFIX), unlike ``clear()``,
        which empties the whole Redis database. Returns how many were deleted."""
        return self._cache.delete_prefixed(f"{self.key_prefix}:" if self.key_prefix else "")

    def get_or_unreadable(
        self, key: str, default: Any = None, unreadable: Any = None, version: int | None = None
    ) -> Any:
        """``get()``, telling a miss (``default``) from a Redis that could not be asked
        (``unreadable``): for a read whose safe answer is not the miss (core/db.py's pins)."""
        key = self.make_and_validate_key(key, version=version)
        return self._cache.get_or_unreadable(key, default, unreadable)
