"""The admin's "export as JSON" download: selected conversations with their messages.

Format (``format_version`` 1)::

    {"format": "chatmemory.conversations", "format_version": 1, "exported_at": ISO-8601,
     "conversations": [{"session_id", "title", "owner" (username), "tenant", "status",
                        "metadata", "created_at", "last_active_at", "archived_at",
                        "message_count",
                        "messages": [message_to_dict(m), …]  # LangChain's format, seq order
                       }, …]}

Streamed: conversations are read in chunks of ``CHUNK`` (one query for the sessions, one for
all their messages), so memory is bounded by one chunk and queries are 2 per chunk, not per row.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from ..models import ChatMessage, ChatSession

FORMAT = "chatmemory.conversations"
FORMAT_VERSION = 1
CHUNK = 200  # conversations per round trip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def conversation_dict(session: ChatSession, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "session_id": str(session.pk),
        "title": session.title,
        "owner": session.owner.get_username(),
        "tenant": session.tenant,
        "status": session.status,
        "metadata": session.metadata,
        "created_at": _iso(session.created_at),
        "last_active_at": _iso(session.last_active_at),
        "archived_at": _iso(session.archived_at),
        "message_count": session.message_count,
        "messages": records,
    }


def export_chunks(session_ids: Sequence[Any]) -> Iterator[str]:
    """Yield the JSON document in pieces (UTF-8 text) for these session ids (pass them sorted by pk).

    Per chunk of ``CHUNK`` conversations: one query for the sessions (with their owners) and one
    streamed query (``iterator()``) for their messages ordered by ``(session_id, seq)``, merged in
    the same order, so memory holds one chunk of sessions and one message at a time.
    """
    head = {"format": FORMAT, "format_version": FORMAT_VERSION, "exported_at": _iso(timezone.now())}
    yield json.dumps(head)[:-1] + ', "conversations": ['
    ids = list(session_ids)
    separator = ""
    for start in range(0, len(ids), CHUNK):
        chunk_ids = ids[start : start + CHUNK]
        chunk = ChatSession.objects.filter(pk__in=chunk_ids).select_related("owner").order_by("pk")
        rows = (
            ChatMessage.objects.filter(session_id__in=chunk_ids)
            .order_by("session_id", "seq")
            .values_list("session_id", "message")
            .iterator(chunk_size=2000)
        )
        pending = next(rows, None)
        for session in chunk:
            document = json.dumps(conversation_dict(session, []), cls=DjangoJSONEncoder, ensure_ascii=False)
            yield separator + document[: -len("[]}")] + "["
            comma = ""
            while pending is not None and pending[0] == session.pk:
                yield comma + json.dumps(pending[1], ensure_ascii=False)
                comma = ", "
                pending = next(rows, None)
            yield "]}"
            separator = ", "
    yield "]}\n"
