"""The streaming chat endpoint: one user message in, the answer out as server-sent events.

``POST /c/<session_id>/messages`` (form field ``message``, CSRF-protected like every form)
answers ``text/event-stream``::

    event: token            (repeated, as the model generates)
    data: {"text": "Hello "}

    event: done             (the turn is stored: the human and AI messages' seq numbers)
    data: {"seqs": [7, 8]}

or, when the model fails, ``event: error`` / ``data: {"error": "model_error", "detail": …}`` and
nothing is stored. Problems found before the model is called — another user's or an unknown
session (404), an archived one (409), an empty or too long message (400), a user over the chat
rate limit (429 with ``Retry-After``) — are plain HTTP errors with a JSON body
``{"error", "detail"}`` (see ``views/errors.py``).

The turn itself is ``sessions_app.chat.ChatTurn``: it stores the human+AI pair atomically when
the answer is complete, and still completes and stores it if the browser goes away mid-stream.
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.views.decorators.http import require_POST

from ..chat import ChatTurn
from ..exceptions import ChatMemoryError, ChatRateLimited
from ..history import DjangoChatMessageHistory
from ..http import AuthenticatedHttpRequest
from ..ratelimit import chat_rate_limit_retry_after
from .errors import domain_errors

logger = logging.getLogger(__name__)


def sse(event: str, data: dict[str, Any]) -> str:
    """One server-sent event; ``data`` is JSON on a single line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def turn_events(turn: ChatTurn) -> Iterator[str]:
    """The SSE stream of a turn: ``token``… then ``done`` (stored) or ``error`` (nothing stored)."""
    tokens = turn.stream()
    try:
        for text in tokens:
            yield sse("token", {"text": text})
    except GeneratorExit:
        # The browser went away: let ChatTurn finish the answer and store the turn exactly once.
        tokens.close()
        raise
    except ChatMemoryError as exc:  # e.g. archived or deleted while the model was answering
        yield sse("error", {"error": exc.code, "detail": exc.detail})
        return
    except Exception as exc:  # the model (or the network to it) failed: nothing was stored
        logger.exception("chat model failed in session %s", turn.history.session_id)
        yield sse(
            "error",
            {
                "error": "model_error",
                "detail": f"The model failed to answer ({type(exc).__name__}). Nothing was stored; try again.",
            },
        )
        return
    yield sse("done", {"seqs": turn.saved_seqs})


@login_required
@require_POST
@domain_errors
def conversation_stream(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> StreamingHttpResponse:
    """Send ``message`` to the conversation and stream the answer (see the module docstring).

    The per-user chat rate limit is the API's (``sessions_app.ratelimit``): over it, 429 with
    ``Retry-After`` and the JSON error the page shows; nothing is stored.
    """
    history = DjangoChatMessageHistory(session_id, user=request.user)  # the gate first: 404 before 429
    retry_after = chat_rate_limit_retry_after(user_id=request.user.pk)
    if retry_after is not None:
        raise ChatRateLimited(retry_after)
    text = request.POST.get("message", "").replace("\r\n", "\n")
    turn = ChatTurn(history=history, text=text)
    response = StreamingHttpResponse(turn_events(turn), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # no proxy buffering: tokens reach the browser as they come
    return response
