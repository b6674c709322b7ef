"""Reads from a read replica where a view asks for it; everything else on the primary.

With ``DATABASE_REPLICA_URL`` set, the settings add a ``replica`` database alias and install
:class:`ReplicaRouter`; without it nothing here runs (no router, and
:class:`ReplicaPinMiddleware` takes itself out of the stack).

Opt-in, per view. django-multidb-router's ``PinningReplicaRouter`` sends every read to a
replica unless the request is pinned; a replica is a few milliseconds behind, and most of
Kaaj's reads decide something (a claim, a review, a payout) or show a page right after the
user changed it. So here a read goes to the replica only inside a view decorated with
:func:`replica_reads` (the worker's feed, page and API; the notifications list), for a GET or
HEAD, and only while none of these holds, in which case it goes to the primary:

- the user is pinned: they made an unsafe request (POST, PUT, PATCH, DELETE) that succeeded
  less than ``REPLICA_PIN_SECONDS`` ago, so they read their own writes. The pin is a cache
  (Redis) key per user, not a cookie as in multidb-router: API clients send no cookies, and
  every web process sees the same pins. It holds the time it ends, compared with the clock
  (``time.time()``), the key's expiry in Redis only clearing it away afterwards;
- the pin cannot be read (Redis down or timing out): the primary can always answer;
- the replica cannot be reached: the primary answers, and this process does not try the
  replica again for ``REPLICA_RETRY_SECONDS`` (a replica down slows the feed, never stops it);
- the read is inside a transaction on the primary (``transaction.atomic``): a read that
  decides a write must see what the write will lock;
- the query locks (``select_for_update``): Django routes it as a write.

Writes always go to the primary, and migrations run on the primary only (the replica
receives them by replication). Reads that build their own SQL take their connection from
``connections[router.db_for_read(Model)]``, so they follow the same rules; a raw
``connection.cursor()`` is the primary's.

Authentication happens before the replica is chosen (the decorator reads ``request.user``
first): a token or session made a moment ago is found on the primary.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router

logger = logging.getLogger(__name__)

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# After the replica could not be reached, this process reads from the primary this long.
REPLICA_RETRY_SECONDS = 10.0
_UNREADABLE = object()
_replica_down_until = 0.0  # time.monotonic(); shared by every thread of the process


@dataclass
class _Scope:
    """A view that may read from the replica, for this user (None: anonymous)."""

    user_id: int | None
    _replica: bool | None = field(default=None, repr=False)

    def replica(self) -> bool:
        """Whether this view's reads go to the replica: the user is not pinned (asked of
        Redis once per view) and the replica answers."""
        if self._replica is None:
            pinned = self.user_id is not None and replica_pinned(self.user_id)
            self._replica = not pinned and _replica_reachable()
        return self._replica


_scope: ContextVar[_Scope | None] = ContextVar("replica_scope", default=None)


@contextmanager
def replica_scope(user_id: int | None) -> Iterator[None]:
    """Let the block's reads go to the replica (by :class:`ReplicaRouter`'s rules)."""
    token = _scope.set(_Scope(user_id))
    try:
        yield
    finally:
        _scope.reset(token)


def replica_reads(view: Callable) -> Callable:
    """A view decorator: a GET or HEAD of this view reads from the replica, the user's
    request authenticated first (on the primary). For a DRF view, decorate its handler:
    ``@method_decorator(replica_reads, name="get")``. Only for views that write nothing and
    whose readers can bear data a moment old."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            return view(request, *args, **kwargs)
        user = request.user
        with replica_scope(user.pk if user.is_authenticated else None):
            return view(request, *args, **kwargs)

    return wrapper


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry when a replica is configured (see the module's docstring)."""

    def db_for_read(self, model, **hints) -> str:
        scope = _scope.get()
        if scope is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA if scope.replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def _replica_reachable() -> bool:
    """Connect to the replica unless it failed less than REPLICA_RETRY_SECONDS ago (a
    persistent connection is reused: no round trip)."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError as error:
        _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        logger.warning(
            "Read replica unreachable (%s): reading from the primary; trying again in %s s",
            str(error).strip(),
            REPLICA_RETRY_SECONDS,
        )
        return False
    return True


def replica_routed() -> bool:
    """Whether reads may go to a replica at all (:class:`ReplicaRouter` is installed)."""
    return any(isinstance(each, ReplicaRouter) for each in router.routers)


# --- read-your-writes ---------------------------------------------------------------------


def _pin_key(user_id: int) -> str:
    return f"replica-pin:{user_id}"


def replica_pin(user_id: int) -> None:
    """Send the user's reads to the primary for the next ``REPLICA_PIN_SECONDS``."""
    seconds = settings.REPLICA_PIN_SECONDS
    cache.set(_pin_key(user_id), time.time() + seconds, timeout=math.ceil(seconds) + 1)


def replica_pinned(user_id: int) -> bool:
    """Whether the user wrote within ``REPLICA_PIN_SECONDS``; True when the pin cannot be
    read (Kaaj's cache answers a miss when Redis is down; its ``get_or_unreadable`` tells
    the two apart)."""
    key = _pin_key(user_id)
    if hasattr(cache, "get_or_unreadable"):
        until = cache.get_or_unreadable(key, default=0.0, unreadable=_UNREADABLE)
    else:
        until = cache.get(key, 0.0)
    return until is _UNREADABLE or until > time.time()


class ReplicaPinMiddleware:
    """Pins the signed-in user to the primary after an unsafe request that succeeded
    (status below 400), a page's or the API's (DRF sets ``request.user`` for token
    clients too). Not used at all without :class:`ReplicaRouter`."""

    def __init__(self, get_response) -> None:
        if not replica_routed():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                replica_pin(user.pk)
        return response
