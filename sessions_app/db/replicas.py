"""Read replicas: lag-tolerant reads go to a PostgreSQL streaming replica, everything else to the primary.

``DATABASE_REPLICA_URLS`` (``chatmemory.settings_scale``) adds the aliases ``replica1``, ``replica2`` …
and ``chatmemory.routers.ReplicaRouter``, which asks ``current_read_alias()`` here.
Nothing reads from a replica unless the code asked for it: only a block inside
``replica_reads()`` (``run_lag_tolerant``, ``lag_tolerant_iter``) may, and these are the reads that
can be a few seconds old without harm — admin lists and search, stats, exports, search. Turns,
the ownership gate (``session_get_for_user``), the hot statements of ``sessions_app.db`` (they use
the ``default`` connection directly) and every write stay on the primary. Inside a block a read
still goes to the primary when

- the ``default`` connection is inside a transaction (``atomic``): it reads its own writes;
- the user the block reads for *wrote recently* (read-your-writes): ``note_write(user_id)``, called
  by ``ReadYourWritesMiddleware`` after every unsafe request (POST, PUT, PATCH, DELETE) of a known
  user, pins that user to the primary for ``CHATMEMORY_REPLICA_MAX_LAG + CHATMEMORY_REPLICA_CHECK_INTERVAL``
  seconds, in the ``default`` cache (Redis: shared by every app instance; a cache failure pins);
- no replica is healthy: one that does not answer (connect timeout ``DATABASE_REPLICA_CONNECT_TIMEOUT``),
  is no longer in recovery (promoted: it stopped following the primary), or lags more than
  ``CHATMEMORY_REPLICA_MAX_LAG`` seconds is skipped.

Lag is measured per process at most every ``CHATMEMORY_REPLICA_CHECK_INTERVAL`` seconds, one
query on each side: the primary's ``pg_current_wal_lsn()``, then on the replica whether it has
replayed up to it (lag 0) or else ``now() - pg_last_xact_replay_timestamp()`` (the age of the last
transaction it replayed, an upper bound of the lag while it is behind; clocks in NTP). A replica
that fails *during* a block is marked down and the block's work is run again on the primary by
``run_lag_tolerant``: a replica outage is never a 5xx.

Which replica: one per block (every read of a block sees the same snapshot age), chosen at random
among the healthy ones. Migrations run on ``default`` only; replicas receive them by streaming.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger("sessions_app.db.replicas")

REPLICA_PREFIX = "replica"
PIN_KEY = "chatmemory:rw:{user_id}"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

T = TypeVar("T")


def replica_aliases() -> list[str]:
    """The configured replica aliases (``replica1`` …), in order."""
    return sorted(a for a in settings.DATABASES if a.startswith(REPLICA_PREFIX))


def max_lag() -> float:
    """Seconds a replica may lag and still serve lag-tolerant reads."""
    return float(getattr(settings, "CHATMEMORY_REPLICA_MAX_LAG", 5))


def check_interval() -> float:
    """Seconds a replica's measured health is reused before it is measured again."""
    return float(getattr(settings, "CHATMEMORY_REPLICA_CHECK_INTERVAL", 1))


def pin_seconds() -> float:
    """How long a user who wrote reads from the primary: past this a healthy replica has the write."""
    return max_lag() + check_interval()


# -- replica health (per process) ---------------------------------------------------------------------
@dataclass(frozen=True)
class ReplicaHealth:
    """One measurement: ``ok`` to serve, the ``lag`` in seconds (None if unknown), why not."""

    alias: str
    ok: bool
    lag: float | None
    checked_at: float  # time.monotonic()
    error: str = ""


_health: dict[str, ReplicaHealth] = {}
_health_lock = threading.Lock()


def _primary_lsn() -> str | None:
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.vendor != "postgresql":
        return None
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return str(cursor.fetchone()[0])


def measure(alias: str) -> ReplicaHealth:
    """Measure ``alias`` now (two queries); a failure is a ``ReplicaHealth`` with ``ok=False``."""
    now = time.monotonic()
    try:
        lsn = _primary_lsn()
    except (OperationalError, InterfaceError) as exc:  # the primary is down: nothing to compare with
        return ReplicaHealth(alias, False, None, now, f"primary: {exc}")
    replica = connections[alias]
    try:
        with replica.cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
                " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
                [lsn],
            )
            in_recovery, caught_up, age = cursor.fetchone()
    except (OperationalError, InterfaceError) as exc:
        replica.close()  # the next use reconnects
        return ReplicaHealth(alias, False, None, now, str(exc).strip() or type(exc).__name__)
    if not in_recovery:
        return ReplicaHealth(alias, False, None, now, "not in recovery (promoted?): it no longer follows the primary")
    lag = 0.0 if caught_up else (float(age) if age is not None else None)
    if lag is None or lag > max_lag():
        return ReplicaHealth(alias, False, lag, now, f"lagging {lag if lag is not None else '?'} s > {max_lag()} s")
    return ReplicaHealth(alias, True, lag, now)


def health(alias: str) -> ReplicaHealth:
    """The last measurement of ``alias`` if younger than ``check_interval()``, else a new one."""
    with _health_lock:
        known = _health.get(alias)
    if known is not None and time.monotonic() - known.checked_at < check_interval():
        return known
    fresh = measure(alias)
    if not fresh.ok and (known is None or known.ok):
        logger.warning("replica %s skipped: %s", alias, fresh.error)
    with _health_lock:
        _health[alias] = fresh
    return fresh


def mark_down(alias: str, error: str) -> None:
    """Skip ``alias`` until the next measurement (a query on it failed)."""
    logger.warning("replica %s failed during a read, retried on the primary: %s", alias, error)
    with _health_lock:
        _health[alias] = ReplicaHealth(alias, False, None, time.monotonic(), error)


def forget_health() -> None:
    """Drop every measurement (tests; an operator who just fixed a replica)."""
    with _health_lock:
        _health.clear()


# -- read-your-writes -----------------------------------------------------------------------------------
def note_write(user_id: Any) -> None:
    """Pin ``user_id`` to the primary for ``pin_seconds()``: they just wrote. Never raises."""
    if user_id is None or not replica_aliases():
        return
    from django.core.cache import caches

    try:
        caches["default"].set(PIN_KEY.format(user_id=user_id), 1, timeout=max(1, round(pin_seconds() + 0.5)))
    except Exception as exc:  # noqa: BLE001 - the pin is best effort; a read checks it and fails safe
        logger.warning("read-your-writes pin not stored (%s); reads fall back to the primary", exc)


def is_pinned(user_id: Any) -> bool:
    """Whether ``user_id`` wrote within ``pin_seconds()`` (True when the cache cannot tell)."""
    if user_id is None:
        return False
    from django.core.cache import caches

    try:
        return caches["default"].get(PIN_KEY.format(user_id=user_id)) is not None
    except Exception:  # noqa: BLE001 - unknown: read from the primary
        return True


# -- the scope ------------------------------------------------------------------------------------------
@dataclass
class _Scope:
    user_id: Any
    chosen: str | None = None  # the alias for this block's reads, decided at the first read
    used: set[str] = field(default_factory=set)

    def alias(self) -> str:
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if self.chosen is None:
            self.chosen = _choose(self.user_id)
        if self.chosen != DEFAULT_DB_ALIAS:
            self.used.add(self.chosen)
        return self.chosen


_scope: ContextVar[_Scope | None] = ContextVar("chatmemory_replica_scope", default=None)


def _choose(user_id: Any) -> str:
    aliases = replica_aliases()
    if not aliases or is_pinned(user_id):
        return DEFAULT_DB_ALIAS
    healthy = [a for a in aliases if health(a).ok]
    return random.choice(healthy) if healthy else DEFAULT_DB_ALIAS  # noqa: S311 - load spreading, not security


@contextmanager
def replica_reads(*, user_id: Any = None) -> Iterator[_Scope]:
    """Within the block, ORM reads may go to a healthy replica (see the module docstring).

    ``user_id``: whose reads these are (their recent writes pin them to the primary); None for
    reads on nobody's behalf (a report). Nesting keeps the outer block's choice. Yields the scope
    (``scope.used``: the replica aliases read from). A query failing on a replica raises as usual:
    ``run_lag_tolerant`` retries on the primary.
    """
    outer = _scope.get()
    if outer is not None:
        yield outer
        return
    scope = _Scope(user_id=user_id)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current_read_alias() -> str:
    """The alias an ORM read made here would use (``default`` outside ``replica_reads``)."""
    scope = _scope.get()
    return DEFAULT_DB_ALIAS if scope is None else scope.alias()


def read_connection() -> Any:
    """The connection a raw-SQL read made here should use: a replica's inside ``replica_reads`` (when
    the scope chose one), ``default`` otherwise. For lag-tolerant raw SQL (search highlighting, plan
    estimates) that would otherwise bypass the router."""
    return connections[current_read_alias()]


def run_lag_tolerant(fn: Callable[[], T], *, user_id: Any = None) -> T:
    """``fn()`` inside ``replica_reads``; if it fails on a replica, mark that replica down and run
    ``fn()`` again on the primary. ``fn`` must only read (it may run twice) and must finish its
    reads before returning (evaluate querysets, render templates)."""
    with replica_reads(user_id=user_id) as scope:
        try:
            return fn()
        except (OperationalError, InterfaceError) as exc:
            if not scope.used:
                raise  # the primary failed: that is a real outage (503)
            for alias in scope.used:
                mark_down(alias, str(exc).strip() or type(exc).__name__)
                connections[alias].close()
            scope.chosen, scope.used = DEFAULT_DB_ALIAS, set()
            return fn()


def lag_tolerant_iter(chunks: Iterator[T], *, user_id: Any = None) -> Iterator[T]:
    """``chunks`` (a generator that reads as it goes, e.g. a streamed export) with each step run
    inside one ``replica_reads`` scope. Bytes already sent cannot be taken back: a replica failing
    mid-stream ends the stream with the error (the client sees a truncated body, not a 5xx)."""
    scope = _Scope(user_id=user_id)
    while True:
        token = _scope.set(scope)
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        finally:
            _scope.reset(token)
        yield chunk


def request_user_id(request: Any) -> Any:
    """The id of whoever made ``request``: the session user, or an API token's user (``request.auth``)."""
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    auth = getattr(request, "auth", None)
    for candidate in (auth, getattr(auth, "user", None)):
        pk = getattr(candidate, "pk", None)
        if pk is not None and getattr(candidate, "is_authenticated", False):
            return pk
    return None
