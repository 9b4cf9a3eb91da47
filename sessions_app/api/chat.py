"""``POST /api/sessions/{id}/chat``: one turn through ``sessions_app.chat.ChatTurn``."""
from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest
from ninja import Router

from ..chat import ChatTurn
from ..exceptions import ChatMemoryError, ServiceUnavailable
from ..history import DjangoChatMessageHistory
from ..serialization import plain_text
from .auth import caller_session
from .schemas.chat import ChatIn, ChatOut
from .schemas.common import ErrorOut

logger = logging.getLogger("sessions_app.api")

router = Router(tags=["chat"])


@router.post(
    "/{session_id}/chat",
    response={200: ChatOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
              410: ErrorOut, 422: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    operation_id="session_chat",
    summary="Send a message, get the answer",
)
def chat(request: HttpRequest, session_id: uuid.UUID, payload: ChatIn) -> dict[str, Any]:
    """Send one user message; the model answers from the conversation's memory.

    The turn (``[human, ai]``) is stored atomically once the answer is complete; ``seqs`` are
    their ``seq`` numbers. 409 if the session is archived, 410 if it was deleted meanwhile,
    400 for a blank or too long message, 503 if the model or the database fails (nothing is
    stored then).
    """
    session = caller_session(request, session_id)
    history = DjangoChatMessageHistory(session.pk, user=request.auth)
    turn = ChatTurn(history=history, text=payload.message)
    try:
        answer = turn.run()
    except (ChatMemoryError, DatabaseError):
        raise
    except Exception as exc:  # the model's failure (network, server, timeout): nothing was stored
        logger.exception("chat model failed for session %s", session.pk)
        raise ServiceUnavailable(f"the chat model failed ({type(exc).__name__}); nothing was stored") from exc
    return {"session_id": session.pk, "answer": {"type": "ai", "content": plain_text(answer)}, "seqs": turn.saved_seqs}
