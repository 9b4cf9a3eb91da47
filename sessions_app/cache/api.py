"""The active-session cache's functions: every one degrades to "not cached" on a cache failure."""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from ..observability.metrics import cache_event
from .registry import current_store, failed, flush_pending, succeeded
from .types import CachedWindow, SessionMeta, window_cap


def read_window(session_id: uuid.UUID, limit: int) -> CachedWindow:
    """The cached meta and last ``limit`` records, or a miss (``records is None``); never raises.

    ``limit`` above ``CHATMEMORY_CACHE_WINDOW`` is always a miss. Refreshes the TTL (activity).
    """
    if limit > window_cap():
        cache_event("miss")
        return CachedWindow("", None, None)
    try:
        store = current_store()
        flush_pending(store)
        window = store.read(session_id, limit)
    except Exception as exc:
        failed("read", [], exc)
        cache_event("fallback")  # the database answers instead
        return CachedWindow("", None, None)
    succeeded()
    cache_event("hit" if window.records is not None else "miss")
    return window


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
        current_store().fill(session_id, epoch=epoch, meta=SessionMeta.from_session(session), last_seq=last_seq,
                      lo=lo, entries=entries)
    except Exception as exc:
        failed("fill", [session_id], exc)
        return
    succeeded()


def append_entries(session_id: uuid.UUID, entries: Sequence[tuple[int, str]]) -> None:
    """Add committed messages ``(seq, message_to_dict JSON)`` to the cached window; never raises.

    Call after the database commit (``transaction.on_commit``). Safe with any number of
    concurrent writers: entries are per seq and ``last_seq`` only grows.
    """
    if not entries:
        return
    try:
        store = current_store()
        flush_pending(store)
        store.append(session_id, entries)
    except Exception as exc:
        failed("append", [session_id], exc)
        return
    succeeded()


def append_entries_and_read(session_id: uuid.UUID, entries: Sequence[tuple[int, str]], limit: int) -> CachedWindow:
    """``append_entries`` then ``read_window(limit)`` as one cache operation (one round trip and one
    atomic step on Redis); never raises. Call after the commit, like ``append_entries``."""
    if not entries or limit > window_cap():
        append_entries(session_id, entries)
        return read_window(session_id, limit)
    try:
        store = current_store()
        flush_pending(store)
        window = store.append_and_read(session_id, entries, limit)
    except Exception as exc:
        failed("append", [session_id], exc)
        cache_event("fallback")
        return CachedWindow("", None, None)
    succeeded()
    cache_event("hit" if window.records is not None else "miss")
    return window


def evict(*session_ids: uuid.UUID, gone: bool = False) -> None:
    """Drop the sessions' cache entries and bump their epochs; never raises (retried later).

    ``gone=True`` (the sessions were deleted): a marker kept ``EPOCH_TTL`` makes a late append (a
    writer that committed before the delete and updates the cache after it) and any fill write
    nothing, so no deleted content is cached again. Retried after a failure as a plain eviction.
    """
    if not session_ids:
        return
    try:
        store = current_store()
        flush_pending(store)
        store.evict(list(session_ids), gone=gone)
    except Exception as exc:
        failed("evict", list(session_ids), exc)
        return
    succeeded()


def ttl_remaining(session_id: uuid.UUID) -> int | None:
    """Seconds until the session's cache entry expires; ``None`` when not cached or unknown."""
    try:
        remaining = current_store().ttl_remaining(session_id)
    except Exception as exc:
        failed("ttl", [], exc)
        return None
    succeeded()
    return remaining


def ping() -> None:
    """Round-trip the cache (the health check); raises whatever the backend raises."""
    current_store().ping()
