"""The cache algorithm in Python on Django's cache API: any backend (the local-memory default).

Atomic within one process (a lock); local memory is per process, which is correct for the
embedded single-process setup only (Django's own caveat for ``LocMemCache``).
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.cache import caches

from .types import EPOCH_TTL, CachedWindow, SessionMeta, records_from_entries, session_ttl, window_cap


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
        return CachedWindow(epoch, meta, records_from_entries(entries, first, last) if limit > 0 else [], last)

    def fill(self, session_id: uuid.UUID, *, epoch: str, meta: SessionMeta, last_seq: int, lo: int,
             entries: Sequence[tuple[int, str]]) -> bool:
        wkey, ekey = self._keys(session_id)
        ttl = session_ttl(meta.cache_ttl)
        with self._lock:
            if str(self.cache.get(ekey, 0)) != epoch:
                return False
            state = self.cache.get(wkey) or {"entries": {}, "last_seq": 0}
            if state.get("gone"):
                return False
            state.update(ready=True, lo=lo, meta=meta.as_json(), ttl=ttl, last_seq=max(state["last_seq"], last_seq))
            state["entries"].update(dict(entries))
            self._trim_and_store(wkey, state, ttl)
        return True

    def append(self, session_id: uuid.UUID, entries: Sequence[tuple[int, str]]) -> None:
        wkey, _ = self._keys(session_id)
        with self._lock:
            state = self.cache.get(wkey) or {"entries": {}, "last_seq": 0, "ttl": session_ttl(None)}
            if state.get("gone"):
                return  # deleted: a late append writes nothing
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

    def evict(self, session_ids: Sequence[uuid.UUID], *, gone: bool = False) -> None:
        with self._lock:
            for session_id in session_ids:
                wkey, ekey = self._keys(session_id)
                if gone:  # deleted: reads miss, late appends and fills write nothing
                    self.cache.set(wkey, {"gone": True}, EPOCH_TTL)
                else:
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
