"""``POST /api/sessions/{id}/chat``: one turn through ``sessions_app.conversations.chat.ChatTurn``, as JSON or SSE."""
from __future__ import annotations

import uuid
from typing import Any

from asgiref.sync import sync_to_async
from ninja import Router

from ..conversations.chat import ChatTurn, turn_failure
from ..conversations.executor import start_turn
from ..conversations.history import DjangoChatMessageHistory
from ..conversations.ratelimit import chat_rate_limit_check
from ..conversations.serialization import plain_text
from ..conversations.sse import aturn_events, sse_response, turn_events
from ..web.http import is_asgi
from .auth import ApiRequest, caller_session
from .schemas.chat import ChatIn, ChatOut
from .schemas.common import ErrorOut

router = Router(tags=["chat"])


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
async def chat(request: ApiRequest, session_id: uuid.UUID, payload: ChatIn) -> Any:
    """Send one user message; the model answers from the conversation's memory.

    The turn (``[human, ai]``) is stored atomically once the answer is complete; ``seqs`` are
    their ``seq`` numbers. 409 if the session is archived, 410 if it was deleted meanwhile,
    400 for a blank or too long message, 429 over the per-user chat rate limit (see
    ``Retry-After``), 503 if the model (``model_error``) or the database (``unavailable``) fails;
    nothing is stored then.

    With ``Accept: text/event-stream`` the answer is a stream of server-sent events instead
    (``conversations.sse``, the browser page's format):
    ``event: token`` / ``data: {"text": "…"}`` for each piece of the answer, then ``event: done`` /
    ``data: {"seqs": [human_seq, ai_seq], "answer": {"type": "ai", "content": "…"}}``, or
    ``event: error`` / ``data: {"error": code, "detail": text}`` if the turn failed (nothing
    stored). If the client disconnects mid-stream, the answer is still completed and the turn
    stored exactly once.

    An async operation: under ASGI the model is awaited (``ChatTurn.arun`` / ``astream``) and
    only the storage calls take a thread; under WSGI the sync twins run.
    """
    turn = await start_turn(_begin, request, session_id, payload.message)
    asgi = is_asgi(request)
    if "text/event-stream" in request.headers.get("Accept", ""):
        return sse_response(aturn_events(turn) if asgi else turn_events(turn))
    try:
        answer = await turn.arun() if asgi else await sync_to_async(turn.run)()
    except Exception as exc:  # the model or the database failed: nothing was stored
        raise turn_failure(session_id, exc, mode="json") from exc
    return {"session_id": session_id, "answer": {"type": "ai", "content": plain_text(answer)}, "seqs": turn.saved_seqs}


def _begin(request: ApiRequest, session_id: uuid.UUID, text: str) -> ChatTurn:
    session = caller_session(request, session_id)
    chat_rate_limit_check(user_id=request.auth.pk)
    history = DjangoChatMessageHistory.from_session(session)  # the gate above already ran
    return ChatTurn(history=history, text=text).prepare()
