"""``ChatTurn``: bounded context, atomic turns, streaming, disconnects, bad input."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from sessions_app.conversations.chat import ChatTurn, build_context
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.llm import OfflineChatModel
from sessions_app.conversations.sessions import session_archive
from sessions_app.exceptions import InvalidInput, SessionReadOnly

pytestmark = pytest.mark.django_db


class RecordingModel(OfflineChatModel):
    """The offline model, remembering the prompt it was given."""

    seen: list[list[BaseMessage]] = []

    def compose_answer(self, messages: list[BaseMessage]) -> str:
        self.seen.append(list(messages))
        return super().compose_answer(messages)


class BrokenModel(BaseChatModel):
    """Streams two tokens, then fails like a dropped connection."""

    @property
    def _llm_type(self) -> str:
        return "broken"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        raise ConnectionError("model went away")

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: CallbackManagerForLLMRun | None = None,
        **kw: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield ChatGenerationChunk(message=AIMessageChunk(content="partial "))
        yield ChatGenerationChunk(message=AIMessageChunk(content="answer "))
        raise ConnectionError("model went away")


@pytest.fixture
def history(chat_session):
    return DjangoChatMessageHistory(chat_session.pk)


def test_turn_stores_human_and_ai_together(history):
    answer = ChatTurn(history=history, text="hello").run()
    assert "offline model" in answer.content
    assert [(m.type, m.content) for m in history.messages] == [("human", "hello"), ("ai", answer.content)]


def test_context_is_bounded_by_window_and_token_budget(history, settings):
    history.add_messages([HumanMessage(content=f"question {i} " + "x" * 200) if i % 2 == 0
                          else AIMessage(content=f"answer {i} " + "y" * 200) for i in range(200)])
    settings.CHATMEMORY_CONTEXT_WINDOW = 40
    settings.CHATMEMORY_CONTEXT_MAX_TOKENS = 600
    model = RecordingModel()
    model.seen.clear()
    ChatTurn(history=history, text="latest", model=model).run()
    prompt = model.seen[-1]
    # system + trimmed history + the new human message; far fewer than the 200 stored
    assert prompt[0].type == "system"
    assert prompt[-1].content == "latest"
    trimmed = prompt[1:-1]
    assert 0 < len(trimmed) < 40
    assert trimmed[0].type == "human"  # trim_messages(start_on="human")
    assert trimmed[-1].content.startswith("answer 199")


def test_build_context_uses_trim_messages_last_strategy():
    window = [HumanMessage(content="a " * 100), AIMessage(content="b " * 100), HumanMessage(content="c"),
              AIMessage(content="d")]
    kept = build_context(window, max_tokens=30)
    assert [m.content for m in kept] == ["c", "d"]


def test_model_failure_mid_stream_stores_nothing(history):
    with pytest.raises(ConnectionError):
        list(ChatTurn(history=history, text="hi", model=BrokenModel()).stream())
    with pytest.raises(ConnectionError):
        ChatTurn(history=history, text="hi", model=BrokenModel()).run()
    assert history.messages == []


def test_client_disconnect_mid_stream_still_stores_the_turn_exactly_once(history):
    turn = ChatTurn(history=history, text="tell me everything")
    stream = turn.stream()
    first = next(stream)
    assert first
    stream.close()  # what a WSGI server does when the client goes away
    stored = history.messages
    assert [m.type for m in stored] == ["human", "ai"]
    assert stored[1].content.startswith(first)
    assert "offline model" in stored[1].content
    assert turn.saved_seqs == [1, 2]
    stream.close()  # closing again does nothing more
    assert len(history.messages) == 2


def test_streamed_answer_equals_stored_answer(history):
    turn = ChatTurn(history=history, text="stream it")
    text = "".join(turn.stream())
    assert isinstance(turn.answer, AIMessage)
    assert history.messages[1].content == text == turn.answer.content


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("   ", "empty"), ("a\x00b", "NUL"), (123, "string"), ("x" * 40_001, "longer than")],
)
def test_bad_input_is_rejected_before_the_model(history, settings, text, message):
    settings.CHATMEMORY_MAX_MESSAGE_CHARS = 40_000
    with pytest.raises(InvalidInput, match=message):
        ChatTurn(history=history, text=text)
    assert history.messages == []


def test_archived_conversation_is_read_only(history, chat_session):
    session_archive(session=chat_session)
    archived = DjangoChatMessageHistory(chat_session.pk)
    with pytest.raises(SessionReadOnly):
        ChatTurn(history=archived, text="hello")
    assert history.messages == []
