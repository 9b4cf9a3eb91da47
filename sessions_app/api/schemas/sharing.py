"""Share links: the request body of ``POST /api/sessions/{id}/share`` and the link object."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field
from pydantic.config import JsonDict

from .common import InputSchema, IsoDatetime

_LINK_EXAMPLE: JsonDict = {
    "id": 7, "session_id": "6f1c2d4e-8a9b-4c3d-9e7f-0a1b2c3d4e5f", "title": "Trip to Lisbon",
    "url": "https://chat.example.com/s/Xq3…/", "token": "Xq3…", "state": "live", "max_seq": 12,
    "created_at": "2026-11-22T03:00:00Z", "expires_at": "2026-11-29T03:00:00Z", "revoked_at": None,
    "views": 3, "last_viewed_at": "2026-11-23T10:00:00Z",
}


class ShareIn(InputSchema):
    """Optional body. ``expires_at``: when the link stops working (a minute … 365 days ahead); null or
    absent: never. For a conversation that already has a live link, an explicit ``expires_at``
    (null included) replaces its expiry; absent, the link is returned unchanged."""

    expires_at: IsoDatetime | None = Field(None, examples=["2026-11-29T03:00:00Z"])

    model_config = InputSchema.model_config | {"json_schema_extra": {"examples": [{"expires_at": None}]}}


class ShareLinkOut(Schema):
    """A share link. ``url`` opens the read-only page without login; it shows the messages up to
    ``max_seq`` (the conversation as it was when shared). ``state``: live, revoked or expired."""

    id: int
    session_id: uuid.UUID
    title: str
    url: str
    token: str
    state: Literal["live", "revoked", "expired"]
    max_seq: int
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    views: int
    last_viewed_at: datetime | None

    model_config = {"json_schema_extra": {"examples": [_LINK_EXAMPLE]}}


class ShareLinkPageOut(Schema):
    """A page of the caller's links, newest first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[ShareLinkOut]
    next_cursor: str | None = Field(..., description="null on the last page")

    model_config = {"json_schema_extra": {"examples": [{"items": [_LINK_EXAMPLE], "next_cursor": None}]}}


class RevokedOut(Schema):
    revoked: int = Field(..., ge=0, description="Links turned off by this call (0: there was none).")

    model_config = {"json_schema_extra": {"examples": [{"revoked": 1}]}}
