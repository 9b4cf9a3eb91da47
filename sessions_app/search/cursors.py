"""The opaque cursor of a search page (``next``): its mode and the last result's sort key."""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from ..exceptions import InvalidInput
from .types import SearchCursor


def encode_search_cursor(cursor: SearchCursor) -> str:
    """The ``next`` of a search page: the mode and the last result's sort key, opaque to clients."""
    at = cursor.last_active_at.isoformat() if cursor.last_active_at else None
    raw = json.dumps([cursor.mode, str(cursor.session_id), cursor.rank, at], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_search_cursor(cursor: str) -> SearchCursor:
    """A ``SearchCursor`` from ``encode_search_cursor``'s text; ``InvalidInput`` (400) otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        mode, pk, rank, at = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if mode not in ("fulltext", "substring") or not isinstance(rank, int | float) or isinstance(rank, bool):
            raise ValueError("mode")
        when = datetime.fromisoformat(at) if at is not None else None
        if (when is None) == (mode == "substring") or (when is not None and when.tzinfo is None):
            raise ValueError("time")
        return SearchCursor(mode=mode, session_id=uuid.UUID(pk), rank=float(rank), last_active_at=when)
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise InvalidInput("cursor is not one this API returned") from None
