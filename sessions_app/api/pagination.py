"""Opaque keyset cursors for the session list: ``(last_active_at, id)`` of the last row seen."""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from ..exceptions import InvalidInput
from ..models import ChatSession


def encode_session_cursor(session: ChatSession) -> str:
    raw = json.dumps([session.last_active_at.isoformat(), str(session.pk)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_session_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """``(last_active_at, id)`` from a cursor made by ``encode_session_cursor``; ``InvalidInput`` (400) otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, pk = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, uuid.UUID(pk)
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise InvalidInput("cursor is not one this API returned") from None
