"""One chat turn: load the recent window, trim it to a token budget, call the model, save.

The chain is LangChain's usual shape — ``ChatPromptTemplate`` (system +
``MessagesPlaceholder("history")`` + human) piped into the chat model — with the history read
and written through ``DjangoChatMessageHistory``. Two rules make a turn safe:

* **Bounded context.** Only the last ``CHATMEMORY_CONTEXT_WINDOW`` messages are read (an index
  range scan, O(window)), after one system message of memory from beyond the window
  (``sessions_app.memory.TurnMemory``: user memories, the rolling summary, recalled older
  messages — each switchable), then ``langchain_core.messages.trim_messages`` keeps at most
  ``CHATMEMORY_CONTEXT_MAX_TOKENS`` tokens (approximate count), starting on a human message.
* **Atomic turns.** The human message and the answer are appended together, in one
  transaction, only once the model has answered. A failing model leaves no half-turn behind;
  a client that disconnects mid-stream does not stop the turn: the rest of the answer is
  generated and the turn is stored exactly once.

**Stop.** ``request_stop()`` (or a ``listener`` whose ``heard()`` returns true) ends the answer at
the next piece: the model's stream is closed and the text so far is stored as the answer, with
``response_metadata["stopped"] = True`` — still one atomic append of the human message and the
(partial) answer. A disconnect is not a stop: it still completes the answer.

``arun()`` / ``astream()`` are the async twins (ASGI): the model's ``ainvoke`` / ``astream`` run
on the event loop; every storage call (the window read, the atomic append, a listener's cache
look-ups) runs on Django's thread-sensitive executor (``executor.storage_call``), never on the
loop, and hands its database connection back when done, so a streamed turn holds a connection
only at its start and its end, never while it streams. ``prepare()`` reads the context early
(in an async view's start step).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Generator
from typing import Any, Protocol

from django.conf import settings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    message_chunk_to_message,
    trim_messages,
)
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from ..exceptions import ChatMemoryError, InvalidInput, ModelFailed, SessionReadOnly, from_exception
from ..memory import TurnMemory
from ..observability.metrics import MODEL_ERRORS, TURN_DURATION, TURN_TTFT, TURNS
from .executor import storage_call
from .history import DjangoChatMessageHistory
from .llm import get_chat_model

logger = logging.getLogger("sessions_app.chat")

_RUNNING: set[asyncio.Task[None]] = set()  # turns whose client went away, still finishing

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "{system}"), MessagesPlaceholder("history"), ("human", "{input}")]
)


def validate_user_text(text: Any) -> str:
    """The user's message, checked: a non-empty string without NUL, at most the configured size.

    Raises ``InvalidInput`` (400) otherwise.
    """
    if not isinstance(text, str):
        raise InvalidInput("message must be a string")
    if "\x00" in text:
        raise InvalidInput("message must not contain NUL characters")
    if not text.strip():
        raise InvalidInput("message is empty")
    limit = settings.CHATMEMORY_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise InvalidInput(f"message is longer than {limit} characters")
    return text


def build_context(window: list[BaseMessage], *, max_tokens: int | None = None) -> list[BaseMessage]:
    """Trim the recent window to the token budget with ``trim_messages`` (strategy ``last``)."""
    return trim_messages(
        window,
        max_tokens=max_tokens or settings.CHATMEMORY_CONTEXT_MAX_TOKENS,
        token_counter=count_tokens_approximately,
        strategy="last",
        start_on="human",
        include_system=True,
        allow_partial=False,
    )


class TurnListener(Protocol):
    """Told every piece of the answer as it is generated (also while a turn whose client went
    away is being finished); returning true from ``heard`` stops the answer there."""

    def heard(self, text: str) -> bool: ...


class ChatTurn:
    """A single user message and the model's answer to it.

    Use ``run()`` for a complete answer or iterate ``stream()`` for its tokens (``str``). Either
    way the turn — ``[HumanMessage, AIMessage]`` — is appended once, after the answer is complete;
    ``saved_seqs`` then holds their ``seq`` numbers and ``answer`` the stored ``AIMessage``.

    Raises ``InvalidInput`` for a bad message and ``SessionReadOnly`` for an archived session
    before calling the model; model errors propagate and nothing is stored. ``stopped`` tells
    whether the stored answer was cut short by a stop (see the module docstring).
    """

    def __init__(self, *, history: DjangoChatMessageHistory, text: str, model: BaseChatModel | None = None,
                 listener: TurnListener | None = None) -> None:
        self.history = history
        self.text = validate_user_text(text)
        if history.session.is_archived:
            raise SessionReadOnly("this conversation is archived; unarchive it to continue")
        self.memory = TurnMemory(history.session, self.text)  # beyond the window: sessions_app.memory
        self.model = self.memory.model(model or get_chat_model())
        self.answer: AIMessage | None = None
        self.saved_seqs: list[int] = []
        self.listener = listener
        self.stopped = False
        self._started = time.perf_counter()
        self._first_piece: float | None = None
        self._inputs: dict[str, Any] | None = None

    def prepare(self) -> ChatTurn:
        """Read the context now (``prompt_inputs``): an async view calls it in its start step, so
        the stream needs no further hop to the executor before calling the model."""
        self._inputs = self.prompt_inputs()
        return self

    def _context(self) -> dict[str, Any]:
        return self._inputs if self._inputs is not None else self.prompt_inputs()

    def request_stop(self) -> None:
        """End the answer at its next piece; what was generated until then is stored, marked stopped."""
        self.stopped = True

    def _heard(self, text: str) -> None:
        self._piece()
        if self.listener is not None and self.listener.heard(text):
            self.stopped = True

    async def _aheard(self, text: str) -> None:
        self._piece()
        if self.listener is None:
            return
        aheard = getattr(self.listener, "aheard", None)  # an async twin of heard (LiveTurn has one)
        if await (aheard(text) if aheard is not None else storage_call(self.listener.heard)(text)):
            self.stopped = True

    def _piece(self) -> None:
        if self._first_piece is None:
            self._first_piece = time.perf_counter()
            TURN_TTFT.labels("stream").observe(self._first_piece - self._started)

    def prompt_inputs(self) -> dict[str, Any]:
        window = self.history.get_recent_messages(settings.CHATMEMORY_CONTEXT_WINDOW)
        return {
            "system": settings.CHATMEMORY_SYSTEM_PROMPT,
            "history": build_context(self.memory.before_window(window) + window),
            "input": self.text,
        }

    def _chain(self) -> Any:
        return PROMPT | self.model

    def _save(self, answer: AIMessage) -> None:
        if self.stopped:
            answer.response_metadata = {**answer.response_metadata, "stopped": True}
        self.answer = answer
        self.saved_seqs = self.history.session_append([HumanMessage(content=self.text), answer])
        self.memory.after_turn(self.saved_seqs)
        mode = "json" if self._first_piece is None else "stream"
        TURN_DURATION.labels(mode).observe(time.perf_counter() - self._started)
        TURNS.labels(mode, "stored").inc()

    def run(self) -> AIMessage:
        """Call the model without streaming, store the turn, return the answer."""
        result = self._chain().invoke(self._context())
        answer = result if isinstance(result, AIMessage) else AIMessage(content=str(result.content))
        self._save(answer)
        return answer

    async def arun(self) -> AIMessage:
        """Async twin of ``run()``: ``ainvoke`` on the loop, the storage calls on the executor."""
        result = await self._chain().ainvoke(await storage_call(self._context)())
        answer = result if isinstance(result, AIMessage) else AIMessage(content=str(result.content))
        await storage_call(self._save)(answer)
        return answer

    def stream(self) -> Generator[str, None, None]:
        """Yield the answer's text as it is generated; store the turn when it is complete (or stopped)."""
        chunks = self._chain().stream(self._context())
        total: list[AIMessageChunk] = []  # merged once at the end (merging per chunk is O(n²))
        try:
            for chunk in chunks:
                total.append(chunk)
                if chunk.text:
                    self._heard(chunk.text)
                    yield chunk.text
                if self.stopped:
                    break
        except GeneratorExit:
            # The client went away mid-stream: finish the answer and store the turn anyway.
            for chunk in chunks:
                total.append(chunk)
                if chunk.text:
                    self._heard(chunk.text)
                if self.stopped:
                    break
            chunks.close()
            self._save(_as_message(total))
            raise
        chunks.close()  # after a stop: ends the model's stream (and its HTTP request)
        self._save(_as_message(total))

    async def astream(self) -> AsyncGenerator[str, None]:
        """Async twin of ``stream()``. The model is read by a task of its own, so a client that goes
        away (this generator closed, or its task cancelled on ``http.disconnect``) does not stop the
        turn: the task finishes (or stops) the answer and stores it exactly once; closing waits for
        it. Pieces that queued up meanwhile are sent together; errors propagate after the pieces."""
        inputs = await storage_call(self._context)() if self._inputs is None else self._inputs
        pieces: asyncio.Queue[str | None] = asyncio.Queue()
        task = asyncio.ensure_future(self._aconsume(inputs, pieces))
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
        try:
            done = False
            while not done and (text := await pieces.get()) is not None:
                while not pieces.empty():
                    more = pieces.get_nowait()
                    if more is None:
                        done = True
                        break
                    text += more
                yield text
        except (GeneratorExit, asyncio.CancelledError):
            await asyncio.shield(task)  # the client went away: the turn is still completed and stored
            raise
        await task

    async def _aconsume(self, inputs: dict[str, Any], pieces: asyncio.Queue[str | None]) -> None:
        total: list[AIMessageChunk] = []  # merged once at the end (merging per chunk is O(n²))
        try:
            async with contextlib.aclosing(self._chain().astream(inputs)) as chunks:  # a stop ends the request
                async for chunk in chunks:
                    total.append(chunk)
                    if chunk.text:
                        await self._aheard(chunk.text)
                        pieces.put_nowait(chunk.text)
                    if self.stopped:
                        break
        finally:
            pieces.put_nowait(None)
        await storage_call(self._save)(_as_message(total))


def _as_message(chunks: list[AIMessageChunk]) -> AIMessage:
    if not chunks:
        return AIMessage(content="")
    message = message_chunk_to_message(chunks[0] + chunks[1:] if len(chunks) > 1 else chunks[0])
    return message if isinstance(message, AIMessage) else AIMessage(content=message.text)


def turn_failure(session_id: uuid.UUID, exc: BaseException, *, mode: str = "stream") -> ChatMemoryError:
    """The domain error a failed turn reports (``exceptions.from_exception``), logged and counted
    once here (``mode``: ``stream`` | ``json``): a model failure with its traceback, a database
    failure as one line."""
    failure = from_exception(exc)
    TURNS.labels(mode, "failed").inc()
    if isinstance(failure, ModelFailed):
        MODEL_ERRORS.labels(type(exc).__name__).inc()
        logger.error("chat model failed in session %s", session_id, exc_info=exc)
    elif not isinstance(exc, ChatMemoryError):
        logger.error("database error in the turn of session %s: %s", session_id, exc)
    return failure
