"""Session resource: request bodies (``…In``) and the session object (``SessionOut``)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field
from pydantic.config import JsonDict

from ...models import TITLE_MAX_LENGTH, ChatSession
from .common import InputSchema, Metadata, Tenant, Text

MIN_CACHE_TTL = 60  # seconds
MAX_CACHE_TTL = 30 * 24 * 3600  # seconds (30 days): anything longer is a mistake, not a cache

_SESSION_EXAMPLE: JsonDict = {
    "session_id": "6f1c2d4e-8a9b-4c3d-9e7f-0a1b2c3d4e5f",
    "title": "Trip to Lisbon",
    "status": "active",
    "tenant": "acme",
    "metadata": {"channel": "web", "language": "en"},
    "created_at": "2026-11-22T03:00:00Z",
    "last_active_at": "2026-11-22T03:05:12Z",
    "archived_at": None,
    "message_count": 4,
    "cache_ttl": 900,
    "parent_id": None,
    "branched_at_seq": None,
    "pinned": False,
    "folder_id": None,
}


class SessionCreateIn(InputSchema):
    """``POST /api/sessions``. Every field is optional; the tenant is fixed for the session's life."""

    title: Text = Field("", max_length=TITLE_MAX_LENGTH, examples=["Trip to Lisbon"])
    tenant: Tenant | None = Field(
        None, description="Tenant key (defaults to the token's tenant, else blank).", examples=["acme"]
    )
    metadata: Metadata = Field(default_factory=dict, examples=[{"channel": "web", "language": "en"}])
    cache_ttl: int | None = Field(
        None, strict=True, ge=MIN_CACHE_TTL, le=MAX_CACHE_TTL, description="Cache TTL of this session, in seconds.",
        examples=[900],
    )

    model_config = InputSchema.model_config | {
        "json_schema_extra": {
            "examples": [{"title": "Trip to Lisbon", "tenant": "acme", "metadata": {"channel": "web"}}]
        }
    }


class SessionOut(Schema):
    """A conversation. ``session_id`` is what LangChain calls the history's ``session_id``."""

    session_id: uuid.UUID
    title: str
    status: Literal["active", "archived"]
    tenant: str
    metadata: dict[str, Any]
    created_at: datetime
    last_active_at: datetime
    archived_at: datetime | None
    message_count: int = Field(..., ge=0)
    cache_ttl: int | None = Field(..., description="Cache TTL in seconds; null = the server default.")
    parent_id: uuid.UUID | None = Field(
        ..., description="The session this one was branched from (null: not a branch, or its parent was deleted)."
    )
    branched_at_seq: int | None = Field(
        ..., ge=1, description="A branch holds its parent's messages before this seq; null: not a branch."
    )
    pinned: bool = Field(..., description="Pinned conversations are listed first.")
    folder_id: int | None = Field(..., description="The folder it is in (`/api/folders`), or null.")

    model_config = {"json_schema_extra": {"examples": [_SESSION_EXAMPLE]}}

    @staticmethod
    def resolve_session_id(obj: ChatSession) -> uuid.UUID:
        return obj.pk

    @staticmethod
    def resolve_pinned(obj: ChatSession) -> bool:
        return obj.pinned_at is not None


class SessionUpdateIn(InputSchema):
    """``PATCH /api/sessions/{session_id}``: rename, replace the metadata, pin, file in a folder
    (absent = unchanged; ``folder_id: null`` takes it out of its folder)."""

    title: Text | None = Field(None, max_length=TITLE_MAX_LENGTH, examples=["Trip to Lisbon (booked)"])
    metadata: Metadata | None = Field(None, examples=[{"channel": "web", "language": "pt"}])
    pinned: bool | None = Field(None, strict=True, examples=[True])
    folder_id: int | None = Field(None, strict=True, ge=1, examples=[3])

    model_config = {"json_schema_extra": {"examples": [{"title": "Trip to Lisbon (booked)"}]}}


class CacheTtlIn(InputSchema):
    """``PUT /api/sessions/{session_id}/ttl``: how long the session stays in the cache, in seconds."""

    seconds: int = Field(..., strict=True, ge=MIN_CACHE_TTL, le=MAX_CACHE_TTL, examples=[900])

    model_config = {"json_schema_extra": {"examples": [{"seconds": 900}]}}


class BranchIn(InputSchema):
    """``POST /api/sessions/{session_id}/branches``: the branch gets the messages before ``before_seq``."""

    before_seq: int = Field(..., strict=True, ge=1, le=2**62, examples=[3])

    model_config = InputSchema.model_config | {"json_schema_extra": {"examples": [{"before_seq": 3}]}}


class SessionPageOut(Schema):
    """A page of sessions, most recently active first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[SessionOut]
    next_cursor: str | None = Field(..., description="null on the last page")

    model_config = {"json_schema_extra": {"examples": [{"items": [_SESSION_EXAMPLE], "next_cursor": None}]}}


class DeletedOut(Schema):
    """What a delete removed."""

    deleted_messages: int = Field(..., ge=0, examples=[12])
