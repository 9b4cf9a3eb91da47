"""Which store serves the cache alias, and what happens when it fails.

A failure is counted (``outage``: logged once, then once per interval) and the sessions it
concerned are remembered in-process; they are evicted once the cache answers again ("on any doubt
delete"), before anything else is read or written.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from . import outage
from .local import LocalWindowStore
from .redis import RedisWindowStore
from .types import WindowStore

_STORES: dict[tuple[Any, ...], WindowStore] = {}
_pending_evictions: set[uuid.UUID] = set()
_pending_lock = threading.Lock()


def current_store() -> WindowStore:
    """The store for ``settings.CHATMEMORY_CACHE_ALIAS``: Lua scripts on django-redis, else Python
    on Django's cache API. One per (alias, backend, location), so tests that repoint ``CACHES`` get a new one."""
    alias = settings.CHATMEMORY_CACHE_ALIAS
    backend = settings.CACHES[alias]["BACKEND"]
    key = (alias, backend, settings.CACHES[alias].get("LOCATION"))
    store = _STORES.get(key)
    if store is None:
        if backend == "django_redis.cache.RedisCache":
            store = RedisWindowStore(alias)
        else:
            store = LocalWindowStore(alias)
        _STORES[key] = store
    return store


def failed(action: str, session_ids: Sequence[uuid.UUID], exc: BaseException) -> None:
    """Count a cache failure (``outage``: logged once, then once per interval) and remember the
    sessions to evict once the cache answers again."""
    outage.failed(settings.CHATMEMORY_CACHE_ALIAS, f"chatmemory cache {action}", exc)
    with _pending_lock:
        _pending_evictions.update(session_ids)


def succeeded() -> None:
    """A cache call worked: ends a logged outage (one line)."""
    outage.succeeded(settings.CHATMEMORY_CACHE_ALIAS)


def flush_pending(store: WindowStore) -> None:
    """Evict the sessions whose cache update failed earlier; raises (and keeps them) if it fails again."""
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
