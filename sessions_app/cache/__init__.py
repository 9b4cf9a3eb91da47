"""The active-session cache: Django's ``cached_db`` pattern for chat windows.

PostgreSQL is the source of truth. For each active session the cache keeps, on the dedicated
alias ``settings.CHATMEMORY_CACHE_ALIAS``:

* the session's *meta*: owner id, status, title, tenant, ``cache_ttl`` (what a turn needs to
  pass the ownership gate and the archived check without the database), ``last_seq`` and
  ``lo`` (the lowest seq that may still exist: everything from ``lo`` to ``last_seq`` is in the
  database, gap-free);
* the last ``CHATMEMORY_CACHE_WINDOW`` messages, one entry per ``seq`` (LangChain's
  ``message_to_dict`` JSON).

Why entries per seq: a message's seq is assigned once by ``conversations.messages.messages_append`` and never
reused (``last_seq`` never goes down), so an entry is an immutable fact. Writers from any number
of processes add their entries after their commit (``append``) and raise ``last_seq`` to the
maximum; they never replace what another process wrote, so nothing can be reordered. A read is
served only if *every* seq of the requested range ``max(lo, last_seq - limit + 1) … last_seq``
is present; a hole (a writer whose cache update was lost) is a miss, and the miss repopulates
from the database (``fill``). Clearing, archiving, deleting … evict: the keys are deleted and a
per-session *epoch* is incremented, and a ``fill`` only lands if the epoch it read *before*
reading the database is still current, so a slow reader can never write back what a clear
removed (the race ``cached_db`` itself leaves open).

Failures: every cache call is wrapped; an error is counted (``outage``: the first one logged, then
one line per interval with the count, then the recovery) and the caller falls back to the
database (a miss) — never a 5xx, never a lost message (the database was written first). A
session whose cache update failed is remembered in-process and evicted once the cache answers
again ("on any doubt delete").

Backends: on django-redis the operations are Lua scripts (atomic in Redis, shared by every
process). On any other Django cache (the local-memory default) the same algorithm runs in
Python under a process-wide lock; local memory is per process, which is correct for the
embedded single-process setup only (Django's own caveat for ``LocMemCache``).

Modules: ``types`` (the value types and the ``WindowStore`` protocol), ``local`` and ``redis`` (the
two stores), ``registry`` (which store serves the configured alias; failure bookkeeping), ``outage`` (an outage
logged once per interval, with a count), ``commit``
(updates after the database commit, read-your-own-writes), ``api`` (the functions below, which never
raise), ``readthrough`` (a history's window read: cache first, then the database, then a fill).
"""
from __future__ import annotations

from .api import (
    append_entries,
    append_entries_and_read,
    evict,
    fill_window,
    ping,
    read_meta,
    read_window,
    ttl_remaining,
)
from .commit import append_after_commit, evict_after_commit, evict_deleted_session, is_dirty
from .types import EPOCH_TTL, CachedWindow, SessionMeta, entry, session_ttl, window_cap

__all__ = [
    "EPOCH_TTL",
    "CachedWindow",
    "SessionMeta",
    "append_after_commit",
    "append_entries",
    "append_entries_and_read",
    "entry",
    "evict",
    "evict_after_commit",
    "evict_deleted_session",
    "fill_window",
    "is_dirty",
    "ping",
    "read_meta",
    "read_window",
    "session_ttl",
    "ttl_remaining",
    "window_cap",
]
