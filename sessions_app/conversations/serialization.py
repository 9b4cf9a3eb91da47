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
from ..models.fields import ESCAPED_MARKER, display_text, escape_record, json_may_need_escape, unescape_record


def to_record(message: BaseMessage) -> dict[str, Any]:
    """``message_to_dict`` output: ``{"type": str, "data": {...}}``."""
    if not isinstance(message, BaseMessage):
        raise InvalidInput(f"expected a langchain_core BaseMessage, got {type(message).__name__}")
    return message_to_dict(message)


def stored_json(record: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``(record, JSON text)`` as the raw-SQL writes store them: ``json.dumps(record)``, unless it
    holds U+0000 or a surrogate, then the ``escape_record``-ed record and its JSON (PostgreSQL can
    store neither; see ``models.fields``). One ``json.dumps`` and a regex test in the common case."""
    text = json.dumps(record)
    if not json_may_need_escape(text):
        return record, text
    escaped = escape_record(record)
    return (record, text) if escaped is record else (escaped, json.dumps(escaped))


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
    their stored, escaped form (``models.fields``) are unescaped first."""
    batch = [unescape_record(r) if ESCAPED_MARKER in r else r for r in records]
    if len(batch) < GC_PAUSE_MIN_RECORDS:
        return messages_from_dict(batch)
    with gc_paused():
        return messages_from_dict(batch)


def plain_text(message: BaseMessage) -> str:
    """Text of a message for display and search: string content, or the text blocks joined.

    U+0000 and surrogates become U+FFFD (the replacement character) here: this text is for people
    and the search index (a ``text`` column, which cannot hold them); the record keeps them exactly."""
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
    return display_text(text)
