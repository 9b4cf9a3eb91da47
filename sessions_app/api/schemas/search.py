"""``GET /api/search``: the query parameters and the page of results."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field
from pydantic.config import JsonDict

from ...search import MAX_LIMIT, QUERY_MAX_LENGTH
from .common import IsoDatetime, Text

_RESULT_EXAMPLE: JsonDict = {
    "session_id": "6f1c2d4e-8a9b-4c3d-9e7f-0a1b2c3d4e5f", "title": "Trip to Lisbon", "seq": 3,
    "snippet": "the <mark>train</mark> to <mark>Lisbon</mark> leaves at 8", "rank": 0.42, "match": "message",
    "status": "active", "tenant": "", "folder_id": None, "pinned": False,
    "last_active_at": "2026-11-22T03:05:12Z", "message_at": "2026-11-22T03:04:00Z",
}


class SearchQueryIn(Schema):
    q: Text = Field(..., min_length=1, max_length=QUERY_MAX_LENGTH, examples=["lisbon train"],
                    description='Words (all must match), "a phrase", -excluded, this or that.')
    status: Literal["active", "archived"] | None = Field(None, description="Only conversations with this status.")
    folder: int | None = Field(None, ge=1, description="Only conversations in this folder (its id).")
    pinned: bool | None = Field(None, description="Only pinned (true) or unpinned (false) conversations.")
    since: IsoDatetime | None = Field(None, description="Only matches written at or after this instant.")
    until: IsoDatetime | None = Field(None, description="Only matches written before this instant.")
    mode: Literal["auto", "fulltext", "substring"] = Field(
        "auto", description="auto: whole words, then word parts if nothing matched (for up to "
        "CHATMEMORY_SEARCH_FALLBACK_MAX_MESSAGES messages); fulltext: whole words only; substring: word parts.")
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="Page size (conversations).")
    cursor: str | None = Field(None, max_length=300, description="`next` of the previous page.")


class SearchResultOut(Schema):
    """One conversation that matched, with its best-matching message (``seq``; null: title only)."""

    session_id: uuid.UUID
    title: str
    seq: int | None = Field(..., description="The best-matching message; null when only the title matched.")
    snippet: str = Field(..., description="HTML-safe: text escaped, matches in <mark>…</mark>.")
    rank: float = Field(..., description="Higher is better; a title match adds 1; 0 in substring mode.")
    match: Literal["message", "title"]
    status: Literal["active", "archived"]
    tenant: str
    folder_id: int | None
    pinned: bool
    last_active_at: datetime
    message_at: datetime | None = Field(..., description="When the matching message was written.")

    model_config = {"json_schema_extra": {"examples": [_RESULT_EXAMPLE]}}


class SearchPageOut(Schema):
    """A page of results, best first; pass ``next`` as ``cursor`` for the next page (null: last page).

    ``mode`` is ``fulltext`` (ranked, whole words) or ``substring`` (parts of words and CJK text,
    most recently active first)."""

    results: list[SearchResultOut]
    next: str | None
    mode: Literal["fulltext", "substring"]
    substring_skipped: bool = Field(..., description="Whole words found nothing and the word-part search was "
                                    "not run by itself (too many messages): ask for it with mode=substring.")

    model_config = {"json_schema_extra": {"examples": [{"results": [_RESULT_EXAMPLE], "next": None,
                                                         "mode": "fulltext", "substring_skipped": False}]}}
