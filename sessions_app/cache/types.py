"""The active-session cache's value types, and the protocol both stores implement."""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

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


def records_from_entries(entries: Sequence[tuple[int, str]], first: int, last: int) -> list[dict[str, Any]] | None:
    """The records if ``entries`` are exactly seqs ``first … last`` in order, else ``None`` (a hole)."""
    if len(entries) != last - first + 1:
        return None
    for i, (seq, _) in enumerate(entries):
        if seq != first + i:
            return None
    if not entries:
        return []
    return json.loads("[" + ",".join(raw for _, raw in entries) + "]")


class WindowStore(Protocol):
    """What ``registry.current_store()`` returns: ``local.LocalWindowStore`` or ``redis.RedisWindowStore``.

    Every method is atomic in its store; errors are the backend's own (``api`` catches them).
    """

    def read(self, session_id: uuid.UUID, limit: int, *, touch: bool = True) -> CachedWindow: ...

    def fill(self, session_id: uuid.UUID, *, epoch: str, meta: SessionMeta, last_seq: int, lo: int,
             entries: Sequence[tuple[int, str]]) -> bool: ...

    def append(self, session_id: uuid.UUID, entries: Sequence[tuple[int, str]]) -> None: ...

    def append_and_read(self, session_id: uuid.UUID, entries: Sequence[tuple[int, str]],
                        limit: int) -> CachedWindow: ...

    def evict(self, session_ids: Sequence[uuid.UUID], *, gone: bool = False) -> None: ...

    def ttl_remaining(self, session_id: uuid.UUID) -> int | None: ...

    def ping(self) -> None: ...
