"""Shapes of a search: its filters, one result, a page, and the cursor to the next page."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Mode = Literal["fulltext", "substring"]


@dataclass(frozen=True)
class SearchFilters:
    """Narrow a search. ``since``/``until`` (aware datetimes, ``until`` exclusive) apply to the
    matching message's ``created_at`` (the conversation's ``created_at`` for a title match).
    ``tenant`` confines it to one tenant (a tenant-bound API token)."""

    status: str | None = None
    folder_id: int | None = None
    pinned: bool | None = None
    since: datetime | None = None
    until: datetime | None = None
    tenant: str | None = None


@dataclass(frozen=True)
class SearchCursor:
    """Where the next page starts: after ``(rank, session_id)`` in ``fulltext`` mode, after
    ``(last_active_at, session_id)`` in ``substring`` mode (results ordered by those, descending)."""

    mode: Mode
    session_id: uuid.UUID
    rank: float = 0.0
    last_active_at: datetime | None = None


@dataclass(frozen=True)
class Hit:
    """One ranked row from a backend: a conversation and its best message (``None``: title only)."""

    session_id: uuid.UUID
    message_id: int | None
    rank: float
    last_active_at: datetime | None = None


@dataclass(frozen=True)
class SearchResult:
    """One conversation that matched. ``seq`` is its best-matching message (``None`` when only the
    title matched); ``snippet`` is HTML-safe text with the matches in ``<mark>…</mark>``; ``rank``
    is higher for better matches (``[0, 2)``: a title match adds 1; 0 for substring matches)."""

    session_id: uuid.UUID
    title: str
    seq: int | None
    snippet: str
    rank: float
    match: Literal["message", "title"]
    status: str
    tenant: str
    folder_id: int | None
    pinned: bool
    last_active_at: datetime
    message_at: datetime | None


@dataclass(frozen=True)
class SearchPage:
    """``substring_skipped``: full text found nothing and the automatic substring search was not run
    (the caller has too many messages for it); ``mode="substring"`` runs it on request."""

    results: list[SearchResult] = field(default_factory=list)
    next: SearchCursor | None = None
    mode: Mode = "fulltext"
    substring_skipped: bool = False
