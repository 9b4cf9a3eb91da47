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
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Generator
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
from .history import DjangoChatMessageHistory
from .llm import get_chat_model

logger = logging.getLogger("sessions_app.chat")

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

    def request_stop(self) -> None:
        """End the answer at its next piece; what was generated until then is stored, marked stopped."""
        self.stopped = True

    def _heard(self, text: str) -> None:
        if self.listener is not None and self.listener.heard(text):
            self.stopped = True

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

    def run(self) -> AIMessage:
        """Call the model without streaming, store the turn, return the answer."""
        result = self._chain().invoke(self.prompt_inputs())
        answer = result if isinstance(result, AIMessage) else AIMessage(content=str(result.content))
        self._save(answer)
        return answer

    def stream(self) -> Generator[str, None, None]:
        """Yield the answer's text as it is generated; store the turn when it is complete (or stopped)."""
        chunks = self._chain().stream(self.prompt_inputs())
        total: AIMessageChunk | None = None
        try:
            for chunk in chunks:
                total = chunk if total is None else total + chunk
                if chunk.text:
                    self._heard(chunk.text)
                    yield chunk.text
                if self.stopped:
                    break
        except GeneratorExit:
            # The client went away mid-stream: finish the answer and store the turn anyway.
            for chunk in chunks:
                total = chunk if total is None else total + chunk
                if chunk.text:
                    self._heard(chunk.text)
                if self.stopped:
                    break
            chunks.close()
            self._save(_as_message(total))
            raise
        chunks.close()  # after a stop: ends the model's stream (and its HTTP request)
        self._save(_as_message(total))


def _as_message(total: AIMessageChunk | None) -> AIMessage:
    if total is None:
        return AIMessage(content="")
    message = message_chunk_to_message(total)
    return message if isinstance(message, AIMessage) else AIMessage(content=message.text)


def turn_failure(session_id: uuid.UUID, exc: BaseException) -> ChatMemoryError:
    """The domain error a failed turn reports (``exceptions.from_exception``), logged once here:
    a model failure with its traceback, a database failure as one line."""
    failure = from_exception(exc)
    if isinstance(failure, ModelFailed):
        logger.error("chat model failed in session %s", session_id, exc_info=exc)
    elif not isinstance(exc, ChatMemoryError):
        logger.error("database error in the turn of session %s: %s", session_id, exc)
    return failure
