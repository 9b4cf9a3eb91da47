"""The active-session cache: Django's ``cached_db`` pattern for chat windows.

PostgreSQL is the source of truth. For each active session the cache keeps, on the dedicated
alias ``settings.CHATMEMORY_CACHE_ALIAS``:

* the session's *meta*: owner id, status, title, tenant, ``cache_ttl`` (what a turn needs to
  pass the ownership gate and the archived check without the database), ``last_seq`` and
  ``lo`` (the lowest seq that may still exist: everything from ``lo`` to ``last_seq`` is in the
  database, gap-free);
* the last ``CHATMEMORY_CACHE_WINDOW`` messages, one entry per ``seq`` (LangChain's
  ``message_to_dict`` JSON).

Why entries per seq: a message's seq is assigned once by ``services.messages_append`` and never
reused (``last_seq`` never goes down), so an entry is an immutable fact. Writers from any number
of processes add their entries after their commit (``append``) and raise ``last_seq`` to the
maximum; they never replace what another process wrote, so nothing can be reordered. A read is
served only if *every* seq of the requested range ``max(lo, last_seq - limit + 1) … last_seq``
is present; a hole (a writer whose cache update was lost) is a miss, and the miss repopulates
from the database (``fill``). Clearing, archiving, deleting … evict: the keys are deleted and a
per-session *epoch* is incremented, and a ``fill`` only lands if the epoch it read *before*
reading the database is still current, so a slow reader can never write back what a clear
removed (the race ``cached_db`` itself leaves open).

Failures: every cache call is wrapped; an error is logged and the caller falls back to the
database (a miss) — never a 5xx, never a lost message (the database was written first). A
session whose cache update failed is remembered in-process and evicted once the cache answers
again ("on any doubt delete").

Backends: on django-redis the operations are Lua scripts (atomic in Redis, shared by every
process). On any other Django cache (the local-memory default) the same algorithm runs in
Python under a process-wide lock; local memory is per process, which is correct for the
embedded single-process setup only (Django's own caveat for ``LocMemCache``).
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

EPOCH_TTL = 24 * 3600  # seconds an eviction epoch is remembered


@dataclass(frozen=True)
class SessionMeta:
    """What a turn needs about a session, as cached: ``SessionMeta.from_session(s).as_dict()``."""

    owner_id: Any
    status: str
    title: str
    tenant: str
    cache_ttl: int | None

    @classmethod
    def from_session(cls, session: Any) -> SessionMeta:
        return cls(session.owner_id, session.status, session.title, session.tenant, session.cache_ttl)

    def as_json(self) -> str:
        return json.dumps([self.owner_id, self.status, self.title, self.tenant, self.cache_ttl])

    @classmethod
    def from_json(cls, raw: str | bytes) -> SessionMeta:
        return cls(*json.loads(raw))


@dataclass(frozen=True)
class CachedWindow:
    """A read: ``records`` are ``message_to_dict`` dicts in seq order, complete for the range."""

    epoch: str
    meta: SessionMeta | None
    records: list[dict[str, Any]] | None  # None: a miss (not cached, or a hole in the range)
    last_seq: int | None = None


def entry(seq: int, record_json: str) -> tuple[int, str]:
    """One cache entry: ``(seq, message_to_dict JSON)``."""
    return (seq, record_json)


def session_ttl(cache_ttl: int | None) -> int:
    """The cache TTL in seconds for a session: its own ``cache_ttl`` or ``CHATMEMORY_CACHE_TTL``."""
    return int(cache_ttl or settings.CHATMEMORY_CACHE_TTL)


def window_cap() -> int:
    """How many recent messages are kept per session (``CHATMEMORY_CACHE_WINDOW``)."""
    return int(settings.CHATMEMORY_CACHE_WINDOW)


def _records_from_entries(entries: Sequence[tuple[int, str]], first: int, last: int) -> list[dict[str, Any]] | None:
    """The records if ``entries`` are exactly seqs ``first … last`` in order, else ``None`` (a hole)."""
    if len(entries) != last - first + 1:
        return None
    for i, (seq, _) in enumerate(entries):
        if seq != first + i:
            return None
    if not entries:
        return []
    return json.loads("[" + ",".join(raw for _, raw in entries) + "]")


# -- the process-local store (any Django cache backend) ---------------------------------------------
class LocalWindowStore:
    """The algorithm in Python on Django's cache API, atomic within this process (a lock)."""

    _lock = threading.RLock()

    def __init__(self, alias: str) -> None:
        self.cache = caches[alias]

    def _keys(self, session_id: uuid.UUID) -> tuple[str, str]:
        return f"w:{session_id}", f"e:{session_id}"

    def read(self, session_id: uuid.UUID, limit: int, *, touch: bool = True) -> CachedWindow:
        wkey, ekey = self._keys(session_id)
        with self._lock:
            epoch = str(self.cache.get(ekey, 0))
            state = self.cache.get(wkey)
            if not state or not state.get("ready"):
                return CachedWindow(epoch, None, None)
            if touch:
                self.cache.set(wkey, state, state["ttl"])
        meta = SessionMeta.from_json(state["meta"])
        last, first = state["last_seq"], max(state["lo"], state["last_seq"] - limit + 1)
        entries = [(s, state["entries"][s]) for s in range(first, last + 1) if s in state["entries"]]
        return CachedWindow(epoch, meta, _records_from_entries(entries, first, last) if limit > 0 else [], last)

    def fill(self, session_id: uuid.UUID, *, epoch: str, meta: SessionMeta, last_seq: int, lo: int,
             entries: Sequence[tuple[int, str]]) -> bool:
        wkey, ekey = self._keys(session_id)
        ttl = session_ttl(meta.cache_ttl)
        with self._lock:
            if str(self.cache.get(ekey, 0)) != epoch:
                return False
            state = self.cache.get(wkey) or {"entries": {}, "last_seq": 0}
            state.update(ready=True, lo=lo, meta=meta.as_json(), ttl=ttl, last_seq=max(state["last_seq"], last_seq))
            state["entries"].update(dict(entries))
            self._trim_and_store(wkey, state, ttl)
        return True

    def append(self, session_id: uuid.UUID, entries: Sequence[tuple[int, str]]) -> None:
        wkey, _ = self._keys(session_id)
        with self._lock:
            state = self.cache.get(wkey) or {"entries": {}, "last_seq": 0, "ttl": session_ttl(None)}
            state["entries"].update(dict(entries))
            state["last_seq"] = max([state["last_seq"], *(s for s, _ in entries)])
            self._trim_and_store(wkey, state, state["ttl"])

    def append_and_read(self, session_id: uuid.UUID, entries: Sequence[tuple[int, str]], limit: int) -> CachedWindow:
        with self._lock:
            self.append(session_id, entries)
            return self.read(session_id, limit, touch=False)  # the append refreshed the TTL

    def _trim_and_store(self, wkey: str, state: dict[str, Any], ttl: int) -> None:
        floor = state["last_seq"] - window_cap()
        state["entries"] = {s: v for s, v in state["entries"].items() if s > floor}
        state["expires_at"] = time.monotonic() + ttl
        self.cache.set(wkey, state, ttl)

    def evict(self, session_ids: Sequence[uuid.UUID]) -> None:
        with self._lock:
            for session_id in session_ids:
                wkey, ekey = self._keys(session_id)
                self.cache.delete(wkey)
                epoch = int(self.cache.get(ekey, 0)) + 1
                self.cache.set(ekey, epoch, EPOCH_TTL)

    def ttl_remaining(self, session_id: uuid.UUID) -> int | None:
        state = self.cache.get(self._keys(session_id)[0])
        if not state or not state.get("ready"):
            return None
        return max(0, round(state["expires_at"] - time.monotonic()))

    def ping(self) -> None:
        self.cache.set("health:ping", 1, 10)
        if self.cache.get("health:ping") != 1:
            raise RuntimeError("cache did not return what was written")


def _store() -> Any:
    alias = settings.CHATMEMORY_CACHE_ALIAS
    backend = settings.CACHES[alias]["BACKEND"]
    key = (alias, backend, settings.CACHES[alias].get("LOCATION"))
    store = _STORES.get(key)
    if store is None:
        if backend == "django_redis.cache.RedisCache":
            from .cache_redis import RedisWindowStore

            store = RedisWindowStore(alias)
        else:
            store = LocalWindowStore(alias)
        _STORES[key] = store
    return store


_STORES: dict[tuple[Any, ...], Any] = {}
_pending_evictions: set[uuid.UUID] = set()
_pending_lock = threading.Lock()


def _failed(action: str, session_ids: Sequence[uuid.UUID], exc: BaseException) -> None:
    """Log a cache failure and remember the sessions to evict once the cache answers again."""
    logger.warning("chatmemory cache %s failed (%s: %s); falling back to the database",
                   action, type(exc).__name__, exc)
    with _pending_lock:
        _pending_evictions.update(session_ids)


def _flush_pending(store: Any) -> None:
    if not _pending_evictions:
        return
    with _pending_lock:
        pending = list(_pending_evictions)
        _pending_evictions.clear()
    try:
        store.evict(pending)
    except Exception:
        with _pending_lock:
            _pending_evictions.update(pending)
        raise


# -- read-your-own-writes inside a transaction ----------------------------------------------------
# Cache updates run after the commit. Until then this connection sees its own uncommitted writes
# in the database but the cache does not, so the sessions it wrote are *dirty* for it: its reads
# of them bypass the cache (and never fill it with uncommitted data) until the commit.
def _dirty_set(connection: Any, create: bool = False) -> set[uuid.UUID] | None:
    dirty = getattr(connection, "_chatmemory_dirty", None)
    if dirty is None and create:
        dirty = set()
        setattr(connection, "_chatmemory_dirty", dirty)  # noqa: B010 - per-connection state Django has no slot for
    return dirty


def _connection() -> Any:
    from django.db import DEFAULT_DB_ALIAS, connections

    return connections[DEFAULT_DB_ALIAS]  # once: the ``connection`` proxy resolves it on every attribute


def is_dirty(session_id: uuid.UUID) -> bool:
    """Whether this connection has uncommitted writes to the session (read the database then)."""
    connection = _connection()
    dirty = _dirty_set(connection)
    if not dirty:
        return False
    if not connection.in_atomic_block:  # committed or rolled back since: nothing is pending
        dirty.clear()
        return False
    return session_id in dirty


def _after_commit(session_ids: Sequence[uuid.UUID], action: Any) -> None:
    from django.db import transaction

    connection = _connection()
    if not connection.in_atomic_block and connection.get_autocommit():
        action()  # autocommit: the write is committed already (what ``on_commit`` does then)
        return
    dirty = _dirty_set(connection, create=True)
    assert dirty is not None
    dirty.update(session_ids)

    def run() -> None:
        action()
        dirty = _dirty_set(_connection())
        if dirty:
            dirty.difference_update(session_ids)

    transaction.on_commit(run)


def append_after_commit(session_id: uuid.UUID, entries: Sequence[tuple[int, str]]) -> None:
    """Add the messages to the cache once the current transaction commits (at once in autocommit)."""
    _after_commit([session_id], lambda: append_entries(session_id, entries))


def evict_after_commit(*session_ids: uuid.UUID) -> None:
    """Evict the sessions once the current transaction commits (at once in autocommit)."""
    _after_commit(list(session_ids), lambda: evict(*session_ids))


# -- the public API: every function degrades to "not cached" on a cache failure -------------------
def read_window(session_id: uuid.UUID, limit: int) -> CachedWindow:
    """The cached meta and last ``limit`` records, or a miss (``records is None``); never raises.

    ``limit`` above ``CHATMEMORY_CACHE_WINDOW`` is always a miss. Refreshes the TTL (activity).
    """
    if limit > window_cap():
        return CachedWindow("", None, None)
    try:
        store = _store()
        _flush_pending(store)
        return store.read(session_id, limit)
    except Exception as exc:
        _failed("read", [], exc)
        return CachedWindow("", None, None)


def read_meta(session_id: uuid.UUID) -> SessionMeta | None:
    """The cached session meta, or ``None`` (not cached or the cache failed); never raises."""
    return read_window(session_id, 0).meta


def fill_window(session_id: uuid.UUID, *, epoch: str, session: Any,
                records: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Repopulate from a database read that started after ``epoch`` was read; never raises.

    ``records``: ``(seq, message_to_dict record)`` of the session's most recent messages in seq
    order as read from the database (the last ``CHATMEMORY_CACHE_WINDOW``, or all if fewer);
    ``session`` is the ``ChatSession`` read before them.
    """
    if epoch == "":
        return  # the read failed: the cache is not answering, do not write either
    entries = [(s, json.dumps(r)) for s, r in records[-window_cap():]]
    last_seq = max([session.last_seq, *(s for s, _ in entries)])
    # Everything from the oldest message read to last_seq exists (seqs are gap-free between
    # clears); an empty session's next message will be last_seq + 1.
    lo = entries[0][0] if entries else last_seq + 1
    try:
        _store().fill(session_id, epoch=epoch, meta=SessionMeta.from_session(session), last_seq=last_seq,
                      lo=lo, entries=entries)
    except Exception as exc:
        _failed("fill", [session_id], exc)


def append_entries(session_id: uuid.UUID, entries: Sequence[tuple[int, str]]) -> None:
    """Add committed messages ``(seq, message_to_dict JSON)`` to the cached window; never raises.

    Call after the database commit (``transaction.on_commit``). Safe with any number of
    concurrent writers: entries are per seq and ``last_seq`` only grows.
    """
    if not entries:
        return
    try:
        store = _store()
        _flush_pending(store)
        store.append(session_id, entries)
    except Exception as exc:
        _failed("append", [session_id], exc)


def append_entries_and_read(session_id: uuid.UUID, entries: Sequence[tuple[int, str]], limit: int) -> CachedWindow:
    """``append_entries`` then ``read_window(limit)`` as one cache operation (one round trip and one
    atomic step on Redis); never raises. Call after the commit, like ``append_entries``."""
    if not entries or limit > window_cap():
        append_entries(session_id, entries)
        return read_window(session_id, limit)
    try:
        store = _store()
        _flush_pending(store)
        return store.append_and_read(session_id, entries, limit)
    except Exception as exc:
        _failed("append", [session_id], exc)
        return CachedWindow("", None, None)


def evict(*session_ids: uuid.UUID) -> None:
    """Drop the sessions' cache entries and bump their epochs; never raises (retried later)."""
    if not session_ids:
        return
    try:
        store = _store()
        _flush_pending(store)
        store.evict(list(session_ids))
    except Exception as exc:
        _failed("evict", list(session_ids), exc)


def evict_deleted_session(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_delete`` receiver for ``ChatSession``: evict after the commit.

    The services evict explicitly; this catches deletions they do not see, such as the cascade
    from deleting a user (Django sends ``post_delete`` for cascaded sessions).
    """
    evict_after_commit(instance.pk)


def ttl_remaining(session_id: uuid.UUID) -> int | None:
    """Seconds until the session's cache entry expires; ``None`` when not cached or unknown."""
    try:
        return _store().ttl_remaining(session_id)
    except Exception as exc:
        logger.warning("chatmemory cache ttl failed (%s: %s)", type(exc).__name__, exc)
        return None


def ping() -> None:
    """Round-trip the cache (the health check); raises whatever the backend raises."""
    _store().ping()
