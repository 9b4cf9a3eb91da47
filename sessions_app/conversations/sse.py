"""A chat turn as server-sent events: the one stream format of the browser page and the API.

``text/event-stream``, one event per piece::

    event: token            (repeated, as the model generates)
    data: {"text": "Hello "}

    event: done             (the turn is stored)
    data: {"seqs": [7, 8], "answer": {"type": "ai", "content": "Hello …"}}

    event: error            (nothing was stored)
    data: {"error": "model_error", "detail": "The model failed to answer (…). Nothing was stored; try again."}

``error`` carries the code and text of the domain error (``chat.turn_failure``): the same
failure reads the same in the browser and the API. If the client disconnects mid-stream the
server closes the generator; ``ChatTurn`` then finishes the answer and stores the turn exactly once.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse

from .chat import ChatTurn, turn_failure
from .serialization import plain_text

logger = logging.getLogger("sessions_app.chat")


def sse(event: str, data: dict[str, Any]) -> str:
    """One server-sent event: ``event:`` and one ``data:`` line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def turn_events(turn: ChatTurn) -> Iterator[str]:
    """The events of one turn: ``token``… then ``done`` (stored) or ``error`` (nothing stored)."""
    tokens = turn.stream()
    try:
        for text in tokens:
            yield sse("token", {"text": text})
    except GeneratorExit:
        try:
            tokens.close()  # ChatTurn finishes the answer and stores the turn
        except Exception:  # noqa: BLE001 - nobody is listening any more: log it
            logger.exception("storing the turn of session %s after a disconnect failed", turn.history.session_id)
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes the error event
        failure = turn_failure(turn.history.session_id, exc)
        yield sse("error", {"error": failure.code, "detail": failure.detail})
        return
    answer = plain_text(turn.answer) if turn.answer is not None else ""
    yield sse("done", {"seqs": turn.saved_seqs, "answer": {"type": "ai", "content": answer}})


def sse_response(events: Iterator[str]) -> StreamingHttpResponse:
    """A streaming response for ``events``, unbuffered by proxies (``X-Accel-Buffering: no``)."""
    response = StreamingHttpResponse(events, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # tokens reach the browser as they come
    return response
