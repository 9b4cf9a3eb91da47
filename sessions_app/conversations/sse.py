"""A chat turn as server-sent events: the one stream format of the browser page and the API.

``text/event-stream``, one event per piece::

    event: token            (repeated, as the model generates)
    data: {"text": "Hello "}

    event: done             (the turn is stored)
    data: {"seqs": [7, 8], "answer": {"type": "ai", "content": "Hello …"}}

    event: error            (nothing was stored)
    data: {"error": "model_error", "detail": "The model failed to answer (…). Nothing was stored; try again."}

``done`` also says ``"stopped"`` (the answer was cut short by a stop, see ``ChatTurn``) and
``"usage"`` (the model's token counts ``{"input_tokens", "output_tokens", "total_tokens"}`` when
it reported them, else ``null``). ``error`` carries the code and text of the domain error
(``chat.turn_failure``): the same failure reads the same in the browser and the API. An
interface may add fields to both (``done_extra`` / ``error_extra``, e.g. the chat page's
session). If the client disconnects mid-stream the server closes the generator; ``ChatTurn``
then finishes the answer and stores the turn exactly once.

``turn_events`` streams ``ChatTurn.stream()`` (WSGI: a thread per stream); ``aturn_events`` is its
async twin over ``ChatTurn.astream()`` (ASGI: thousands of streams on one event loop), which runs
``done_extra`` / ``error_extra`` (they may read the database) on the storage executor.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

from ..observability.metrics import ACTIVE_STREAMS
from .chat import ChatTurn, turn_failure
from .executor import storage_call
from .serialization import plain_text

logger = logging.getLogger("sessions_app.chat")


def sse(event: str, data: dict[str, Any]) -> str:
    """One server-sent event: ``event:`` and one ``data:`` line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def turn_events(
    turn: ChatTurn,
    *,
    done_extra: Callable[[ChatTurn], dict[str, Any]] | None = None,
    error_extra: Callable[[ChatTurn], dict[str, Any]] | None = None,
) -> Iterator[str]:
    """The events of one turn: ``token``… then ``done`` (stored) or ``error`` (nothing stored).

    ``done_extra(turn)`` / ``error_extra(turn)`` return fields added to those events (called
    after the turn was stored / failed)."""
    tokens = turn.stream()
    ACTIVE_STREAMS.inc()
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
        extra = error_extra(turn) if error_extra is not None else {}
        yield sse("error", {"error": failure.code, "detail": failure.detail, **extra})
        return
    finally:
        ACTIVE_STREAMS.dec()
    yield sse("done", {**done_payload(turn), **(done_extra(turn) if done_extra is not None else {})})


async def aturn_events(
    turn: ChatTurn,
    *,
    done_extra: Callable[[ChatTurn], dict[str, Any]] | None = None,
    error_extra: Callable[[ChatTurn], dict[str, Any]] | None = None,
) -> AsyncIterator[str]:
    """Async twin of ``turn_events`` (the same events) over ``ChatTurn.astream()``."""
    tokens = turn.astream()
    ACTIVE_STREAMS.inc()
    try:
        async for text in tokens:
            yield sse("token", {"text": text})
    except (GeneratorExit, asyncio.CancelledError):
        try:
            await tokens.aclose()  # ChatTurn finishes the answer and stores the turn
        except Exception:  # noqa: BLE001 - nobody is listening any more: log it
            logger.exception("storing the turn of session %s after a disconnect failed", turn.history.session_id)
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes the error event
        failure = turn_failure(turn.history.session_id, exc)
        extra = await storage_call(error_extra)(turn) if error_extra is not None else {}
        yield sse("error", {"error": failure.code, "detail": failure.detail, **extra})
        return
    finally:
        ACTIVE_STREAMS.dec()
    extra = await storage_call(done_extra)(turn) if done_extra is not None else {}
    yield sse("done", {**done_payload(turn), **extra})


def done_payload(turn: ChatTurn) -> dict[str, Any]:
    """The ``done`` event of a stored turn: seqs, the answer, stopped, usage."""
    answer = turn.answer
    usage = dict(answer.usage_metadata) if answer is not None and answer.usage_metadata else None
    return {
        "seqs": turn.saved_seqs,
        "answer": {"type": "ai", "content": plain_text(answer) if answer is not None else ""},
        "stopped": turn.stopped,
        "usage": usage,
    }


def sse_response(events: Iterator[str] | AsyncIterator[str]) -> StreamingHttpResponse:
    """A streaming response for ``events``, unbuffered by proxies (``X-Accel-Buffering: no``)."""
    response = StreamingHttpResponse(events, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # tokens reach the browser as they come
    return response
