"""``/api/sessions/{id}/messages``: read a conversation by ``seq`` cursor, or clear it."""
from __future__ import annotations

import uuid
from typing import Literal

from ninja import Query, Router, Schema
from pydantic import Field

from ..conversations import selectors
from ..conversations.messages import messages_clear
from ..exceptions import InvalidInput, SessionReadOnly
from .auth import ApiRequest, caller_session
from .schemas.common import ErrorOut
from .schemas.messages import ClearedOut, MessagePageOut

router = Router(tags=["messages"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
MAX_SEQ = 2**62  # larger cursors are a client bug; refused before reaching the database's bigint


class MessageFilters(Schema):
    limit: int = Field(50, ge=1, le=200, description="Page size.")
    before: int | None = Field(None, ge=0, le=MAX_SEQ, description="Only messages with a smaller `seq`.")
    after: int | None = Field(None, ge=0, le=MAX_SEQ, description="Only messages with a larger `seq`.")
    order: Literal["asc", "desc"] = Field(
        "asc", description="`asc`: oldest first (conversation order); `desc`: newest first."
    )


@router.get("/{session_id}/messages", response={200: MessagePageOut, **ERRORS}, operation_id="messages_list",
            summary="List a session's messages")
def list_messages(request: ApiRequest, session_id: uuid.UUID, filters: Query[MessageFilters]) -> dict[str, object]:
    """A page of messages by ``seq`` (keyset: one index range scan, however long the session).

    Newest page: ``order=desc``; then pass ``next_cursor`` as ``before``. From the start:
    ``order=asc``; then pass ``next_cursor`` as ``after``. ``before`` and ``after`` together
    select a window. Seqs are never reused, so cursors stay valid after a clear.
    """
    if filters.before is not None and filters.after is not None and filters.after >= filters.before:
        raise InvalidInput("after must be smaller than before")
    session = caller_session(request, session_id)
    newest_first = filters.order == "desc"
    rows = list(
        selectors.messages_page(session_id=session.pk, limit=filters.limit + 1, before_seq=filters.before,
                                after_seq=filters.after, newest_first=newest_first)
    )
    page = rows[: filters.limit]
    return {"items": page, "next_cursor": page[-1].seq if len(rows) > filters.limit else None}


@router.delete("/{session_id}/messages", response={200: ClearedOut, 409: ErrorOut, 410: ErrorOut, **ERRORS},
               operation_id="messages_clear", summary="Delete every message of a session")
def clear_messages(request: ApiRequest, session_id: uuid.UUID) -> dict[str, int]:
    """Delete the messages and keep the session (``seq`` numbers are not reused). 409 if archived."""
    session = caller_session(request, session_id)
    if session.is_archived:
        raise SessionReadOnly("this conversation is archived; unarchive it to clear it")
    return {"deleted": messages_clear(session_id=session.pk)}
