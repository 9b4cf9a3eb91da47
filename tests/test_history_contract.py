"""The chat-history contract, stated once and run on every implementation.

Like Django's ``SessionTestsMixin``: the same cases run against ``DjangoChatMessageHistory`` and
LangChain's reference ``InMemoryChatMessageHistory``, so ours behaves exactly like the reference.
"""
from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from langchain_core.chat_history import BaseChatMessageHistory, InMemoryChatMessageHistory
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from sessions_app.conversations.history import DjangoChatMessageHistory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["django", "in_memory"])
def history(request, chat_session) -> BaseChatMessageHistory:
    if request.param == "django":
        return DjangoChatMessageHistory(chat_session.pk)
    return InMemoryChatMessageHistory()


def every_message_type() -> list:
    return [
        SystemMessage(content="You are terse.", id="sys-1"),
        HumanMessage(content="What's the weather in Paris?", name="olivia", id="h-1",
                     additional_kwargs={"client": {"lang": "en"}}),
        AIMessage(
            content="",
            id="ai-1",
            tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}],
            additional_kwargs={"refusal": None},
            response_metadata={"model_name": "gpt-test", "finish_reason": "tool_calls"},
            usage_metadata={"input_tokens": 12, "output_tokens": 7, "total_tokens": 19},
        ),
        ToolMessage(content='{"temp_c": 18}', tool_call_id="call_1", name="get_weather", artifact={"raw": [1, 2]},
                    status="success"),
        FunctionMessage(content="42", name="legacy_fn"),
        ChatMessage(content="Narrator speaking.", role="narrator"),
        HumanMessage(content=[
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        ]),
        AIMessage(content=[{"type": "text", "text": "A small PNG."}], name="assistant"),
        HumanMessage(content="Ünïcödé ✓ — emoji 🎉 and quotes \" ' < > &"),
    ]


def test_new_history_is_empty(history):
    assert history.messages == []


def test_add_messages_keeps_order(history):
    history.add_messages([HumanMessage(content="one"), AIMessage(content="two")])
    history.add_messages([HumanMessage(content="three")])
    assert [m.content for m in history.messages] == ["one", "two", "three"]


def test_add_message_single(history):
    history.add_message(HumanMessage(content="hello"))
    history.add_user_message("again")
    history.add_ai_message("hi")
    assert [(m.type, m.content) for m in history.messages] == [("human", "hello"), ("human", "again"), ("ai", "hi")]


def test_every_message_type_round_trips_exactly(history):
    sent = every_message_type()
    history.add_messages(sent)
    got = history.messages
    assert got == sent
    assert [type(m) for m in got] == [type(m) for m in sent]
    assert got[2].tool_calls == sent[2].tool_calls
    assert got[2].usage_metadata == sent[2].usage_metadata
    assert got[3].artifact == {"raw": [1, 2]}


def test_clear_removes_messages(history):
    history.add_messages([HumanMessage(content="a"), AIMessage(content="b")])
    history.clear()
    assert history.messages == []
    history.add_messages([HumanMessage(content="after clear")])
    assert [m.content for m in history.messages] == ["after clear"]


def test_async_twins(history):
    async def scenario():
        await history.aadd_messages([HumanMessage(content="x"), AIMessage(content="y")])
        first = await history.aget_messages()
        await history.aclear()
        second = await history.aget_messages()
        return first, second

    first, second = async_to_sync(scenario)()
    assert [m.content for m in first] == ["x", "y"]
    assert second == []


def test_empty_batch_is_a_no_op(history):
    history.add_messages([])
    assert history.messages == []
