"""What the chat page shows, as plain data: a conversation, a message, the page's settings.

The same shapes serve the server-rendered page (templates/chat/*) and its JSON (the stream's
events and the updates endpoint), so a message looks the same however it reached the page.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from ..conversations.branches import Versions
from ..conversations.live import PendingTurn
from ..models import ChatMessage, ChatSession


def conversation_url(session_id: Any) -> str:
    return reverse("conversation_detail", kwargs={"session_id": session_id})


def session_urls(session: ChatSession | None) -> dict[str, str | None]:
    """The chat page's endpoints for ``session`` (the new-chat page's when ``None``)."""
    if session is None:
        return {"stream": reverse("conversation_start"), "stop": None, "updates": None, "branch": None,
                "rename": None}
    kwargs = {"session_id": session.pk}
    return {
        "stream": reverse("conversation_stream", kwargs=kwargs),
        "stop": reverse("conversation_stop", kwargs=kwargs),
        "updates": reverse("conversation_updates", kwargs=kwargs),
        "branch": reverse("conversation_branch", kwargs=kwargs),
        "rename": reverse("conversation_rename", kwargs=kwargs),
    }


def session_json(session: ChatSession) -> dict[str, Any]:
    """``{"id", "url", "title", "display_title", "message_count", "last_active_at", "archived"}``."""
    return {
        "id": str(session.pk),
        "url": conversation_url(session.pk),
        "title": session.title,
        "display_title": session.display_title,
        "message_count": session.message_count,
        "last_active_at": session.last_active_at.isoformat() if session.last_active_at else None,
        "archived": session.is_archived,
        "branch": session.parent_id is not None or session.branched_at_seq is not None,
    }


def _data(row: ChatMessage) -> dict[str, Any]:
    data = row.message.get("data") if isinstance(row.message, dict) else None
    return data if isinstance(data, dict) else {}


def message_stopped(row: ChatMessage) -> bool:
    """Whether the answer was cut short by Stop (``response_metadata["stopped"]``, see ``ChatTurn``)."""
    metadata = _data(row).get("response_metadata")
    return bool(isinstance(metadata, dict) and metadata.get("stopped"))


def message_usage(row: ChatMessage) -> dict[str, int] | None:
    """The model's token counts for an answer when it reported them (LangChain's ``usage_metadata``)."""
    usage = _data(row).get("usage_metadata")
    if not isinstance(usage, dict) or "input_tokens" not in usage:
        return None
    return {key: int(usage.get(key) or 0) for key in ("input_tokens", "output_tokens", "total_tokens")}


def versions_json(versions: Versions) -> dict[str, Any]:
    """``{"seq", "index", "count", "previous", "next"}``: the neighbours as links to that message."""
    def link(pk: Any) -> str | None:
        return None if pk is None else f"{conversation_url(pk)}#m-{versions.seq}"

    return {"seq": versions.seq, "index": versions.index, "count": versions.count,
            "previous": link(versions.previous), "next": link(versions.next)}


def decorate_messages(rows: list[ChatMessage], *, versions: dict[int, Versions] | None = None) -> list[ChatMessage]:
    """Attach what the message template shows: ``stopped``, ``usage``, ``regenerable`` (an answer
    right after your message) and ``versions`` (the branch navigation at that message)."""
    previous: ChatMessage | None = None
    for row in rows:
        row.stopped = message_stopped(row)  # type: ignore[attr-defined]
        row.usage = message_usage(row) if row.type == "ai" else None  # type: ignore[attr-defined]
        row.regenerable = (  # type: ignore[attr-defined]
            row.type == "ai" and previous is not None and previous.type == "human" and previous.seq == row.seq - 1
        )
        found = (versions or {}).get(row.seq)
        row.versions = versions_json(found) if found else None  # type: ignore[attr-defined]
        previous = row
    return rows


def branch_origin(session: ChatSession) -> dict[str, Any] | None:
    """Where a branch comes from: ``{"id", "url", "title", "seq"}`` (``url`` ``None`` when the
    parent was deleted), or ``None`` for a conversation that is not a branch."""
    if session.branched_at_seq is None:
        return None
    parent = ChatSession.objects.filter(pk=session.parent_id, owner_id=session.owner_id).only("id", "title").first() \
        if session.parent_id else None
    return {"id": str(parent.pk) if parent else None, "url": conversation_url(parent.pk) if parent else None,
            "title": parent.display_title if parent else "", "seq": session.branched_at_seq}


def message_json(row: ChatMessage) -> dict[str, Any]:
    """``{"seq", "type", "text", "created_at", "stopped", "usage"}`` (the page's message shape)."""
    return {
        "seq": row.seq,
        "type": row.type,
        "text": row.content_text,
        "created_at": row.created_at.isoformat(),
        "stopped": message_stopped(row),
        "usage": message_usage(row) if row.type == "ai" else None,
    }


def chat_config(
    session: ChatSession | None, *, pending: PendingTurn | None = None, after_seq: int = 0, can_branch: bool = False
) -> dict[str, Any]:
    """The page's settings for ``static/chatmemory/js/chat.js`` (the ``#chat-config`` JSON)."""
    return {
        "session": session_json(session) if session is not None else None,
        "urls": session_urls(session),
        "max_chars": settings.CHATMEMORY_MAX_MESSAGE_CHARS,
        "pending": pending,
        "after_seq": after_seq,
        "can_branch": can_branch,
        "needs_title": bool(session is not None and not session.title and session.message_count),
    }
