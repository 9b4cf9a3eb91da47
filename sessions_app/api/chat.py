"""``POST /api/sessions/{id}/chat``: one turn through ``sessions_app.chat.ChatTurn``, as JSON or SSE."""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

from django.db import DatabaseError
from django.http import StreamingHttpResponse
from ninja import Router

from ..chat import ChatTurn
from ..exceptions import ChatMemoryError, ServiceUnavailable
from ..history import DjangoChatMessageHistory
from ..ratelimit import chat_rate_limit_retry_after
from ..serialization import plain_text
from .auth import ApiRequest, caller_session
from .errors import RateLimited
from .schemas.chat import ChatIn, ChatOut
from .schemas.common import ErrorOut

logger = logging.getLogger("sessions_app.api")

router = Router(tags=["chat"])

def sse(event: str, data: dict[str, Any]) -> str:
    """One server-sent event (``event:`` + one ``data:`` line of JSON)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _model_failure(session_id: uuid.UUID, exc: Exception) -> ServiceUnavailable:
    logger.error("chat model failed for session %s", session_id, exc_info=exc)
    return ServiceUnavailable(f"the chat model failed ({type(exc).__name__}); nothing was stored")


def _events(turn: ChatTurn, session_id: uuid.UUID) -> Iterator[str]:
    """The SSE body. On a client disconnect the server closes this generator; closing the inner
    ``turn.stream()`` makes ``ChatTurn`` finish the answer and store the turn exactly once."""
    tokens = turn.stream()
    try:
        for text in tokens:
            yield sse("token", {"text": text})
    except GeneratorExit:
        try:
            tokens.close()
        except Exception:  # noqa: BLE001 - nothing left to tell the client; log it
            logger.exception("storing the turn of session %s after a disconnect failed", session_id)
        raise
    except ChatMemoryError as exc:
        yield sse("error", {"error": exc.code, "detail": exc.detail})
        return
    except DatabaseError as exc:
        logger.error("database error while streaming session %s: %s", session_id, exc)
        yield sse("error", {"error": "unavailable", "detail": "the database is unavailable; nothing was stored"})
        return
    except Exception as exc:  # noqa: BLE001 - the model failed: tell the client, store nothing
        failure = _model_failure(session_id, exc)
        yield sse("error", {"error": failure.code, "detail": failure.detail})
        return
    answer = plain_text(turn.answer) if turn.answer is not None else ""
    yield sse("done", {"seqs": turn.saved_seqs, "answer": {"type": "ai", "content": answer}})


@router.post(
    "/{session_id}/chat",
    response={200: ChatOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
              410: ErrorOut, 422: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    operation_id="session_chat",
    summary="Send a message, get the answer (JSON or server-sent events)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The answer (JSON), or the event stream with `Accept: text/event-stream`.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ChatOut"}},
                    "text/event-stream": {
                        "schema": {"type": "string"},
                        "example": 'event: token\ndata: {"text": "Hello"}\n\nevent: done\ndata: {"seqs": [1, 2]}\n\n',
                    },
                },
            },
            429: {
                "description": "Over the per-user chat rate limit.",
                "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
            },
        }
    },
)
def chat(request: ApiRequest, session_id: uuid.UUID, payload: ChatIn) -> Any:
    """Send one user message; the model answers from the conversation's memory.

    The turn (``[human, ai]``) is stored atomically once the answer is complete; ``seqs`` are
    their ``seq`` numbers. 409 if the session is archived, 410 if it was deleted meanwhile,
    400 for a blank or too long message, 429 over the per-user chat rate limit (see
    ``Retry-After``), 503 if the model or the database fails (nothing is stored then).

    With ``Accept: text/event-stream`` the answer is a stream of server-sent events instead:
    ``event: token`` / ``data: {"text": "…"}`` for each piece of the answer, then ``event: done`` /
    ``data: {"seqs": [human_seq, ai_seq], "answer": {"type": "ai", "content": "…"}}``, or
    ``event: error`` / ``data: {"error": code, "detail": text}`` if the turn failed (nothing
    stored). If the client disconnects mid-stream, the answer is still completed and the turn
    stored exactly once.
    """
    session = caller_session(request, session_id)
    retry_after = chat_rate_limit_retry_after(user_id=request.auth.pk)
    if retry_after is not None:
        raise RateLimited(retry_after)
    history = DjangoChatMessageHistory.from_session(session)  # the gate above already ran
    turn = ChatTurn(history=history, text=payload.message)
    if "text/event-stream" in request.headers.get("Accept", ""):
        response = StreamingHttpResponse(_events(turn, session.pk), content_type="text/event-stream; charset=utf-8")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response
    try:
        answer = turn.run()
    except (ChatMemoryError, DatabaseError):
        raise
    except Exception as exc:  # the model's failure (network, server, timeout): nothing was stored
        raise _model_failure(session.pk, exc) from exc
    return {"session_id": session.pk, "answer": {"type": "ai", "content": plain_text(answer)}, "seqs": turn.saved_seqs}
