"""LangChain message (de)serialization, in one place.

Messages are stored as ``langchain_core.messages.message_to_dict`` produces them and rebuilt
with ``messages_from_dict`` (LangChain's own serializer; no home-grown format).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict

from .exceptions import InvalidInput


def to_record(message: BaseMessage) -> dict[str, Any]:
    """``message_to_dict`` output: ``{"type": str, "data": {...}}``."""
    if not isinstance(message, BaseMessage):
        raise InvalidInput(f"expected a langchain_core BaseMessage, got {type(message).__name__}")
    return message_to_dict(message)


def from_records(records: Iterable[dict[str, Any]]) -> list[BaseMessage]:
    """Rebuild messages from ``message_to_dict`` records, in the given order."""
    return messages_from_dict(list(records))


def plain_text(message: BaseMessage) -> str:
    """Text of a message for display and search: string content, or the text blocks joined."""
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "\n".join(parts)


def message_type(message: BaseMessage) -> str:
    return str(message.type)


def records_types(messages: Sequence[BaseMessage]) -> list[str]:
    return [message_type(m) for m in messages]
