"""ChatGPT data export ``conversations.json``: a list of conversations with a ``mapping`` tree.

Each conversation is ``{"id"|"conversation_id", "title", "create_time", "update_time",
"current_node", "mapping": {node_id: {"id", "message", "parent", "children"}}}`` where a
``message`` is ``{"id", "author": {"role", "name"}, "create_time", "content": {"content_type",
"parts"|"text"}, "metadata", "recipient"}``. Edits and regenerations make the mapping a tree;
the conversation the user last saw is **the branch from the root to ``current_node``** (walked
up through ``parent`` and reversed). Without ``current_node`` the newest branch is taken (last
child at every step).

On that branch, a node becomes a message when it carries visible conversation text:

* ``author.role`` user → ``HumanMessage``, assistant → ``AIMessage`` (``response_metadata``
  ``model_name`` from ``metadata.model_slug``), system → ``SystemMessage``; the export's
  message id is kept as the LangChain message ``id``;
* messages are numbered (in errors) from 1 along the branch, the message-less root not counted;
* text is ``parts`` joined by newlines (``text`` and ``multimodal_text``; non-string parts such
  as images are dropped) or ``text`` (``code``);
* skipped, and counted in ``metadata["skipped_nodes"]``: the root (no message), nodes with
  ``metadata.is_visually_hidden_from_conversation`` (custom instructions, the empty system
  prompt), tool traffic (role ``tool``, or an assistant message whose ``recipient`` is not
  ``all`` — browsing, code interpreter), other content types (``thoughts``,
  ``user_editable_context`` …), and empty texts.

Timestamps are Unix seconds (floats) and become aware UTC datetimes.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NoReturn

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from ...models import TITLE_MAX_LENGTH
from .base import (
    ConversationPlace,
    ImportFormatError,
    MessagePlace,
    ParsedConversation,
    clean_text,
    title_from,
)

FORMAT = "chatgpt"
ROLES = ("user", "assistant", "system", "tool")
TEXT_TYPES = frozenset({"text", "multimodal_text", "code"})


def parse_chatgpt(record: Any, *, index: int) -> ParsedConversation:
    """Parse one conversation of ``conversations.json`` at 1-based position ``index``.

    Returns a ``ParsedConversation`` (``source_format="chatgpt"``, timestamps set when present).
    Raises ``ImportFormatError`` for a missing id, a ``mapping`` that is not an object, a
    ``current_node`` or ``parent`` that is not in the mapping, a cycle, a node whose message or
    author is malformed, an unknown author role, or a text that is not a string.
    """
    if not isinstance(record, dict):
        raise ImportFormatError("expected an object", index=index)
    source_id = record.get("conversation_id") or record.get("id")
    if not isinstance(source_id, str) or not source_id.strip():
        raise ImportFormatError('missing "conversation_id"/"id" (a non-empty string)', index=index)
    mapping = record.get("mapping")
    if not isinstance(mapping, dict):
        raise ImportFormatError('"mapping" must be an object of nodes', index=index, source_id=source_id)
    branch = _branch(mapping, record.get("current_node"), index=index, source_id=source_id)

    messages: list[BaseMessage] = []
    times: list[datetime | None] = []
    skipped = 0
    for number, node in enumerate((n for n in branch if n.get("message") is not None), start=1):
        where: MessagePlace = {"index": index, "source_id": source_id, "message": number}
        built = _message(node, where=where)
        if built is None:
            skipped += 1
            continue
        messages.append(built[0])
        times.append(built[1])

    title = record.get("title")
    title = title.strip()[:TITLE_MAX_LENGTH] if isinstance(title, str) else ""
    if not title:
        title = title_from(next((str(m.content) for m in messages if isinstance(m, HumanMessage)), ""))
    metadata: dict[str, Any] = {"skipped_nodes": skipped}
    if isinstance(record.get("default_model_slug"), str):
        metadata["default_model_slug"] = record["default_model_slug"]
    return ParsedConversation(
        source_format=FORMAT,
        source_id=source_id,
        index=index,
        title=title,
        messages=messages,
        created_at=_time(record.get("create_time")),
        updated_at=_time(record.get("update_time")),
        metadata=metadata,
        message_times=times,
    )


def _branch(mapping: dict[str, Any], current: Any, *, index: int, source_id: str) -> list[dict[str, Any]]:
    """The nodes from the root to ``current`` (or to the newest leaf), root first."""
    where: ConversationPlace = {"index": index, "source_id": source_id}
    for key, node in mapping.items():
        if not isinstance(node, dict):
            raise ImportFormatError(f'node "{key}" is not an object', **where)
    if current is None:
        roots = [key for key, node in mapping.items() if node.get("parent") in (None, "")]
        if not roots:
            return [] if not mapping else _raise("no root node and no current_node", where)
        current = roots[0]
        walked: set[str] = set()
        while children := mapping[current].get("children"):
            if current in walked:
                _raise(f'the mapping has a cycle at node "{current}"', where)
            walked.add(current)
            current = children[-1]
            if current not in mapping:
                _raise(f'child "{current}" is not in the mapping', where)
    if not isinstance(current, str) or current not in mapping:
        _raise(f'current_node "{current}" is not in the mapping', where)
    path: list[dict[str, Any]] = []
    visited: set[str] = set()
    node_id: Any = current
    while node_id not in (None, ""):
        if node_id in visited:
            _raise(f'the mapping has a cycle at node "{node_id}"', where)
        visited.add(node_id)
        if node_id not in mapping:
            _raise(f'parent "{node_id}" is not in the mapping', where)
        node = mapping[node_id]
        path.append(node)
        node_id = node.get("parent")
    path.reverse()
    return path


def _message(node: dict[str, Any], *, where: MessagePlace) -> tuple[BaseMessage, datetime | None] | None:
    message = node.get("message")
    if message is None:
        return None
    node_id = node.get("id")
    if not isinstance(message, dict):
        raise ImportFormatError(f'node "{node_id}": "message" must be an object', **where)
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    if not isinstance(role, str):
        raise ImportFormatError(f'node "{node_id}": missing "author.role"', **where)
    if role not in ROLES:
        raise ImportFormatError(f'node "{node_id}": unknown role "{role}" (known: {", ".join(ROLES)})', **where)
    meta = message.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    if meta.get("is_visually_hidden_from_conversation") or role == "tool":
        return None
    if role == "assistant" and message.get("recipient", "all") not in ("all", None):
        return None
    content = message.get("content")
    if not isinstance(content, dict):
        raise ImportFormatError(f'node "{node_id}": "content" must be an object', **where)
    if content.get("content_type", "text") not in TEXT_TYPES:
        return None
    if "parts" in content:
        parts = content["parts"]
        if not isinstance(parts, list):
            raise ImportFormatError(f'node "{node_id}": "content.parts" must be a list', **where)
        texts = [clean_text(p, what="a text part", **where) for p in parts if isinstance(p, str) or p is None]
        text = "\n".join(t for t in texts if t)
    else:
        text = clean_text(content.get("text"), what='"content.text"', **where)
    if not text.strip():
        return None
    msg_id = message.get("id") if isinstance(message.get("id"), str) else None
    built: BaseMessage
    if role == "user":
        built = HumanMessage(content=text, id=msg_id)
    elif role == "assistant":
        slug = meta.get("model_slug")
        built = AIMessage(content=text, id=msg_id, response_metadata={"model_name": slug} if slug else {})
    else:
        built = SystemMessage(content=text, id=msg_id)
    return built, _time(message.get("create_time"))


def _time(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _raise(reason: str, where: ConversationPlace) -> NoReturn:
    raise ImportFormatError(reason, **where)
