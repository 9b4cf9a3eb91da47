"""LangChain message (de)serialization, in one place.

Messages are stored as ``langchain_core.messages.message_to_dict`` produces them and rebuilt
with ``messages_from_dict`` (LangChain's own serializer; no home-grown format).
"""
from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict

from ..exceptions import InvalidInput
from ..models.fields import NUL, NUL_IN_JSON, NUL_MARKER, escape_nul, unescape_nul


def to_record(message: BaseMessage) -> dict[str, Any]:
    """``message_to_dict`` output: ``{"type": str, "data": {...}}``."""
    if not isinstance(message, BaseMessage):
        raise InvalidInput(f"expected a langchain_core BaseMessage, got {type(message).__name__}")
    return message_to_dict(message)


def stored_json(record: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``(record, JSON text)`` as the raw-SQL writes store them: ``json.dumps(record)``, unless it
    holds U+0000, then the ``escape_nul``-ed record and its JSON (PostgreSQL's ``jsonb`` refuses
    ``\\u0000``; see ``models.fields``). One ``json.dumps`` and a substring test for the common case."""
    text = json.dumps(record)
    if NUL_IN_JSON not in text:
        return record, text
    escaped = escape_nul(record)
    return escaped, json.dumps(escaped)


# Above this many records, the cyclic garbage collector is paused while the messages are built.
GC_PAUSE_MIN_RECORDS = 1000


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many long-lived objects are built at once.

    Rebuilding N messages allocates ~10 container objects each (dicts, lists, pydantic models),
    which keeps triggering generation-2 collections that walk the whole heap: at 10,000 messages
    ``messages_from_dict`` took 147 ms with the collector and 77 ms without. Nothing built here is
    garbage (reference counting frees whatever is dropped, as always); the collector is re-enabled
    right after, and only if it was enabled before (a process that turned it off keeps it off).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def from_records(records: Iterable[dict[str, Any]]) -> list[BaseMessage]:
    """Rebuild messages from ``message_to_dict`` records, in the given order (LangChain's
    ``messages_from_dict``; the collector is paused for big batches, see ``gc_paused``). Records in
    their stored, NUL-escaped form (``models.fields``) are unescaped first."""
    batch = [unescape_nul(r) if NUL_MARKER in r else r for r in records]
    if len(batch) < GC_PAUSE_MIN_RECORDS:
        return messages_from_dict(batch)
    with gc_paused():
        return messages_from_dict(batch)


def plain_text(message: BaseMessage) -> str:
    """Text of a message for display and search: string content, or the text blocks joined.

    U+0000 becomes U+FFFD (the replacement character) here: this text is for people and the
    search index (a ``text`` column, which PostgreSQL keeps NUL-free); the record keeps it exactly."""
    content = message.content
    if isinstance(content, str):
        text = content
    else:
        parts: list[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and isinstance(block.get("text"), str):
                parts.append(block["text"])
        text = "\n".join(parts)
    return text.replace(NUL, "\ufffd") if NUL in text else text
