"""The common intermediate every import format is parsed into, and the error that names the place.

A parser turns one record of a source file into a ``ParsedConversation`` (LangChain messages in
conversation order, a title, the source's id, timestamps if the format has them) or raises
``ImportFormatError`` saying *where*: ``conversation #12 (id "abc"), message 3: unknown role "foo"``.
Conversations are numbered from 1 in file order, messages from 1 within their conversation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from langchain_core.messages import BaseMessage

from ...exceptions import InvalidInput


def describe_place(*, index: int | None = None, source_id: Any = None, message: int | None = None) -> str:
    """``conversation #12 (id "abc"), message 3`` — the prefix of every parse error."""
    parts: list[str] = []
    if index is not None:
        text = f"conversation #{index}"
        if source_id not in (None, ""):
            text += f' (id "{source_id}")'
        parts.append(text)
    if message is not None:
        parts.append(f"message {message}")
    return ", ".join(parts)


class ConversationPlace(TypedDict):
    """A conversation's place in the file, as keyword arguments of ``ImportFormatError``."""

    index: int
    source_id: Any


class MessagePlace(ConversationPlace):
    """A message's place: also the keyword arguments of ``clean_text``."""

    message: int


class ImportFormatError(InvalidInput):
    """The file is not valid for its format; ``str(error)`` names the conversation and message.

    Attributes: ``index`` (1-based conversation number or ``None`` for the file as a whole),
    ``source_id`` (the conversation's id in the file, if it had one), ``message`` (1-based
    message number or ``None``), ``reason`` (the problem without the place).
    """

    def __init__(
        self, reason: str, *, index: int | None = None, source_id: Any = None, message: int | None = None
    ) -> None:
        self.reason = reason
        self.index = index
        self.source_id = source_id
        self.message = message
        place = describe_place(index=index, source_id=source_id, message=message)
        super().__init__(f"{place}: {reason}" if place else reason)


@dataclass(frozen=True)
class ParsedConversation:
    """One conversation of a source file, ready to be written.

    ``source_format``: ``"sharegpt"`` or ``"chatgpt"``; ``source_id``: the conversation's id in
    the file (the idempotency key together with owner and format); ``index``: 1-based position
    in the file; ``messages``: LangChain messages in conversation order (may be empty: such a
    conversation is skipped by the importer); ``created_at`` / ``updated_at``: aware datetimes
    when the format carries them, else ``None`` (the import time is used); ``metadata``: extra
    JSON stored under ``ChatSession.metadata["source"]``.
    """

    source_format: str
    source_id: str
    index: int
    title: str
    messages: list[BaseMessage]
    created_at: datetime | None = None
    updated_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    message_times: list[datetime | None] | None = None


def clean_text(value: Any, *, index: int, source_id: Any, message: int, what: str = "text") -> str:
    """A message text: must be a string (``None`` reads as ``""``). U+0000 is kept: the message
    record stores it exactly (``models.fields``) and its display text shows U+FFFD."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ImportFormatError(
            f"{what} must be a string, got {type(value).__name__}", index=index, source_id=source_id, message=message
        )
    return value


def title_from(text: str) -> str:
    """A title from free text: its first non-empty line, at most 80 characters."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:77] + "…" if len(line) > 80 else line
    return ""
