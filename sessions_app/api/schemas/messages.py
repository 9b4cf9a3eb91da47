"""Messages of a session, read by ``seq`` cursor."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field
from pydantic.config import JsonDict

_MESSAGE_EXAMPLE: JsonDict = {
    "seq": 7,
    "type": "human",
    "content": "What did I say my name was?",
    "message": {"type": "human", "data": {"content": "What did I say my name was?", "type": "human"}},
    "created_at": "2026-11-22T03:05:12Z",
}


class MessageOut(Schema):
    """One message. ``message`` is LangChain's ``message_to_dict`` record (rebuild it with
    ``messages_from_dict``); ``content`` is its plain text; ``seq`` its place in the conversation."""

    seq: int = Field(..., ge=1)
    type: str = Field(..., examples=["human", "ai", "system", "tool"])
    content: str
    message: dict[str, Any]
    created_at: datetime

    model_config = {"json_schema_extra": {"examples": [_MESSAGE_EXAMPLE]}}

    @staticmethod
    def resolve_content(obj: Any) -> str:
        return obj.content_text


class MessagePageOut(Schema):
    """A page of messages in the requested order. ``next_cursor`` is the ``seq`` to pass as
    ``before`` (order ``desc``) or ``after`` (order ``asc``) for the next page; null at the end."""

    items: list[MessageOut]
    next_cursor: int | None = Field(..., ge=0)

    model_config = {"json_schema_extra": {"examples": [{"items": [_MESSAGE_EXAMPLE], "next_cursor": None}]}}


class ClearedOut(Schema):
    deleted: int = Field(..., ge=0, description="How many messages were deleted.", examples=[12])
