"""A conversation as a Markdown document, for people (``GET /api/sessions/{id}/export?format=markdown``).

Not an interchange format — ``chatmemory.session`` JSON is (``transfer.export``); this is for
reading, printing, pasting. Layout::

    # <title>

    - Conversation `<id>` · status active · 12 messages
    - Created 2026-11-22 03:00 UTC · last active 2026-11-22 03:05 UTC · exported 2026-11-22 04:00 UTC

    ---

    ### You · 2026-11-22 03:00 UTC

    <the text, as written>

    ### Assistant · 2026-11-22 03:00 UTC

    <the answer's Markdown>

A message's text goes in unchanged (answers are Markdown already); tool calls are listed as a JSON
code block, tool results are fenced. Messages are read in ``seq`` order, ``CHUNK`` at a time, and
only up to the ``last_seq`` read with the session (an append racing the export is not half in it).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from ..models import ChatMessage, ChatSession

CHUNK = 2000
ROLES = {"human": "You", "ai": "Assistant", "system": "System", "tool": "Tool", "function": "Function", "chat": "Chat"}


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "–"


def _fence(text: str, info: str = "") -> str:
    """A fenced block that no backtick run inside ``text`` can close."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def _message(kind: str, record: dict[str, Any], text: str, created_at: datetime) -> str:
    data = record.get("data", {}) if isinstance(record, dict) else {}
    role = ROLES.get(kind, kind.capitalize())
    if kind == "tool" and data.get("name"):
        role += f" ({data['name']})"
    parts = [f"### {role} · {_when(created_at)}", ""]
    if kind == "tool":
        parts.append(_fence(text or ""))
    else:
        parts.append(text if text.strip() else "*(no text content)*")
    calls = data.get("tool_calls") or []
    if calls:
        listed = [{"name": c.get("name"), "args": c.get("args")} for c in calls if isinstance(c, dict)]
        parts += ["", "Tool calls:", "", _fence(json.dumps(listed, indent=2, ensure_ascii=False), "json")]
    return "\n".join(parts) + "\n\n"


def iter_session_markdown(session: ChatSession, *, exported_at: datetime | None = None) -> Iterator[str]:
    """Yield the Markdown document of ``session`` in pieces (see the module docstring)."""
    title = session.display_title.replace("\n", " ")
    yield f"# {title}\n\n"
    yield (f"- Conversation `{session.pk}` · status {session.status} · {session.message_count} messages"
           f"{f' · tenant {session.tenant}' if session.tenant else ''}\n")
    yield (f"- Created {_when(session.created_at)} · last active {_when(session.last_active_at)} · "
           f"exported {_when(exported_at or timezone.now())}\n\n---\n\n")
    rows = (ChatMessage.objects.filter(session_id=session.pk, seq__lte=session.last_seq).order_by("seq")
            .values_list("type", "message", "content_text", "created_at").iterator(chunk_size=CHUNK))
    empty = True
    for kind, record, text, created_at in rows:
        empty = False
        yield _message(kind, record, text, created_at)
    if empty:
        yield "*No messages.*\n"
