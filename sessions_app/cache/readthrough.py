"""The read-through half of the ``cached_db`` pattern: cache first, then the database, then a fill.

``session_snapshot`` turns cached meta into a ``ChatSession`` without a query; ``WindowReader``
serves one session's recent window for a history object, remembering the eviction epoch its
session snapshot was read under so that a fill never writes back what an eviction removed.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import router

from ..exceptions import SessionNotFound
from ..models import ChatMessage, ChatSession
from .api import fill_window, read_window
from .commit import is_dirty
from .types import CachedWindow, SessionMeta, window_cap


def session_snapshot(session_id: uuid.UUID, meta: SessionMeta, last_seq: int | None) -> ChatSession:
    """A ``ChatSession`` built from cached meta, as if loaded from the database (``Model.from_db``).

    ``id``, ``owner_id``, ``status``, ``title``, ``tenant``, ``cache_ttl`` and ``last_seq`` are set
    without a query; any other field is deferred, so reading it (``message_count``, ``created_at`` …)
    loads it from the database like any deferred field.
    """
    known = {"id": session_id, "owner_id": meta.owner_id, "status": meta.status, "title": meta.title,
             "tenant": meta.tenant, "cache_ttl": meta.cache_ttl, "last_seq": last_seq or 0}
    # ``from_db`` takes the values in the model's field order; the fields not given are deferred.
    fields = [f.attname for f in ChatSession._meta.concrete_fields if f.attname in known]
    return ChatSession.from_db(router.db_for_read(ChatSession), fields, [known[name] for name in fields])


def cached_meta(session_id: uuid.UUID) -> CachedWindow:
    """The session's cached meta (``meta`` is ``None`` when it is not cached, the cache failed, or this
    connection has uncommitted writes to it) and the eviction epoch read with it. Never raises."""
    if is_dirty(session_id):
        return CachedWindow("", None, None)
    return read_window(session_id, 0)


@dataclass
class WindowReader:
    """Recent messages of one session for a history object: from the cache when it holds the whole
    range, otherwise one index range scan that then repopulates the cache.

    ``session`` is the caller's snapshot of the session and ``epoch`` the eviction epoch read before
    it came from the database (``None`` when unknown, e.g. built from the cache or by the caller).
    """

    session: ChatSession
    epoch: str | None = None

    def recent_records(self, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` ``message_to_dict`` records in ``seq`` order (``limit >= 1``)."""
        session_id = self.session.pk
        window = read_window(session_id, limit)
        if window.records is not None:
            return window.records
        if window.epoch and window.epoch != self.epoch:
            # Something was evicted since ``session`` was read (or it came from the cache): re-read
            # it after this epoch, so the fill below describes the current session.
            try:
                self.session = ChatSession.objects.get(pk=session_id)
            except ChatSession.DoesNotExist:
                raise SessionNotFound(f"no session {session_id}") from None
            self.epoch = window.epoch
        fetch = max(limit, window_cap())
        rows = list(
            ChatMessage.objects.for_session(session_id).order_by("-seq").values_list("seq", "message")[:fetch]
        )
        rows.reverse()
        fill_window(session_id, epoch=window.epoch, session=self.session, records=rows)
        return [record for _, record in rows[-limit:]]
