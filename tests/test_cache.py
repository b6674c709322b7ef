"""The cache fails open: a Redis that is down or hangs answers as a miss, quickly."""

import logging
import socket
import time

import pytest
from django.core.cache import cache, caches

from marketplace import cache as fail_open
from marketplace.cache import FailOpenRedisCache


@pytest.fixture(autouse=True)
def _fresh_state():
    fail_open._down_until.clear()
    yield
    fail_open._down_until.clear()


def a_cache(location: str, timeout: float = 0.3) -> FailOpenRedisCache:
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    return FailOpenRedisCache(location, {"KEY_PREFIX": "t", "OPTIONS": options})


def test_the_suite_runs_on_a_real_redis_with_a_prefix_of_its_own():
    default = caches["default"]
    assert isinstance(default, FailOpenRedisCache) and default.key_prefix.startswith("kaaj-test-")
    cache.set("counter", 1)
    assert cache.incr("counter") == 2 and cache.get("counter") == 2
    assert cache.clear_own() == 1 and cache.get("counter") is None


def test_a_redis_that_is_down_answers_as_a_miss_and_warns_once(settings, caplog):
    settings.CACHE_REDIS_RETRY_SECONDS = 60
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = a_cache(f"redis://127.0.0.1:{port}/0")
    caplog.set_level(logging.WARNING, logger="marketplace.cache")

    assert down.get("history", []) == []
    assert down.add("lock", True) is True  # allauth's lock is taken, not waited for
    assert down.set("history", [1]) is None and down.set_many({"a": 1}) == []
    assert down.incr("counter", 3) == 3 and down.get_many(["a"]) == {}
    assert down.delete("history") is False and down.has_key("a") is False
    assert down.clear_own() == 0

    assert len(caplog.records) == 1
    assert caplog.records[0].levelno == logging.WARNING and str(port) in caplog.messages[0]


def test_a_redis_that_hangs_costs_one_timeout_then_nothing_until_the_retry(settings):
    settings.CACHE_REDIS_RETRY_SECONDS = 0.5
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        hung = a_cache(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", timeout=0.2)

        started = time.monotonic()
        assert hung.get("x", "default") == "default"
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(100):
            assert hung.get("x") is None
        skipped = time.monotonic() - started
        time.sleep(0.5)
        started = time.monotonic()
        assert hung.get("x") is None
        retried = time.monotonic() - started

    assert 0.2 <= first < 1 and skipped < 0.05 and 0.2 <= retried < 1
