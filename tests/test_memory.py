"""Memory beyond the window in the chat: recall, the rolling summary, user memories — each
switchable — and the prompt still trimmed under CHATMEMORY_CONTEXT_MAX_TOKENS."""
from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.utils import count_tokens_approximately

from sessions_app.conversations.chat import ChatTurn
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.llm import OfflineChatModel
from sessions_app.conversations.messages import messages_append
from sessions_app.memory import background
from sessions_app.memory.summary import extractive, summary_get, summary_update
from sessions_app.memory.user import memories_list, memory_add, remembered_fact
from sessions_app.models import StoreItem

from .factories import ChatSessionFactory

FILLER = ["Let's talk about the weather today.", "Sure, it looks cloudy with a chance of rain later.",
          "Any tips for cooking pasta?", "Salt the water well and stir often."]


class RecordingModel(OfflineChatModel):
    seen: list[list[BaseMessage]] = []

    def compose_answer(self, messages: list[BaseMessage]) -> str:
        RecordingModel.seen.append(list(messages))
        return super().compose_answer(messages)


def _seed(session: Any, n: int, fact_at: int | None = None, fact: str = "") -> None:
    msgs: list[BaseMessage] = []
    for i in range(n):
        text = fact if i == fact_at else FILLER[i % 4] + f" ({i})"
        msgs.append(HumanMessage(text) if i % 2 == 0 else AIMessage(text))
    messages_append(session_id=session.pk, messages=msgs)
    session.refresh_from_db()


def _prompt(session: Any, text: str) -> list[BaseMessage]:
    RecordingModel.seen = []
    ChatTurn(history=DjangoChatMessageHistory.from_session(session), text=text, model=RecordingModel()).run()
    return RecordingModel.seen[-1]


def _memory_text(prompt: list[BaseMessage]) -> str:
    systems = [m.text for m in prompt if isinstance(m, SystemMessage)]
    return "\n".join(systems[1:])  # [0] is CHATMEMORY_SYSTEM_PROMPT


@pytest.mark.django_db
def test_recall_brings_back_a_fact_from_beyond_the_window(owner: Any, settings: Any) -> None:
    settings.CHATMEMORY_CONTEXT_WINDOW = 10
    session = ChatSessionFactory(owner=owner)
    _seed(session, 200, fact_at=20, fact="My sister Clara lives in Lisbon with her two cats.")
    prompt = _prompt(session, "Which city does my sister live in now?")
    assert "Lisbon" in _memory_text(prompt)
    assert count_tokens_approximately(prompt) <= settings.CHATMEMORY_CONTEXT_MAX_TOKENS + 200  # + the input

    settings.CHATMEMORY_MEMORY_RECALL = False  # switched off: window only, the fact is gone
    again = ChatSessionFactory(owner=owner)  # (the first turn's answer quotes it: a fresh conversation)
    _seed(again, 200, fact_at=20, fact="My sister Clara lives in Lisbon with her two cats.")
    assert "Lisbon" not in " ".join(m.text for m in _prompt(again, "Which city does my sister live in now?"))


@pytest.mark.django_db
def test_recall_respects_its_token_budget_and_the_window(owner: Any, settings: Any) -> None:
    settings.CHATMEMORY_CONTEXT_WINDOW = 6
    settings.CHATMEMORY_MEMORY_RECALL_TOKENS = 60
    session = ChatSessionFactory(owner=owner)
    _seed(session, 100)
    prompt = _prompt(session, "tips for cooking pasta")
    recalled = _memory_text(prompt)
    assert "pasta" in recalled and count_tokens_approximately([recalled]) <= 60 + 40
    assert all(f"({i})" not in recalled for i in range(94, 100))  # those are in the window


@pytest.mark.django_db(transaction=True)
def test_summary_is_written_in_the_background_versioned_and_used(owner: Any, settings: Any) -> None:
    settings.CHATMEMORY_CONTEXT_WINDOW = 10
    settings.CHATMEMORY_MEMORY_SUMMARY_STEP = 10
    session = ChatSessionFactory(owner=owner)
    _seed(session, 60, fact_at=4, fact="I adopted a greyhound named Pixel in March.")
    _prompt(session, "hello")  # the window moved on: the turn queues the summary, does not wait
    background.drain()
    first = summary_get(session)
    assert first is not None and first["version"] == 1 and first["writer"] == "extractive"
    assert first["through_seq"] == 62 - 10 and "Pixel" in first["text"]
    assert "Pixel" in _memory_text(_prompt(session, "how are you"))
    session.refresh_from_db()
    _seed(session, 20)
    assert summary_update(session.pk)["version"] == 2  # type: ignore[index]
    assert summary_update(session.pk) is None  # nothing new: idempotent
    keys = set(StoreItem.objects.filter(session_id=session.pk).values_list("key", flat=True))
    assert keys == {"summary", "v1", "v2"}


def test_extractive_summary_keeps_rare_facts_within_budget() -> None:
    texts = [f"It is sunny today and we talk about nothing ({i})." for i in range(50)]
    texts.insert(17, "My passport number ends in 4471 and expires in 2031.")
    summary = extractive("", texts, 40)
    assert "4471" in summary and count_tokens_approximately([summary]) <= 40


@pytest.mark.django_db(transaction=True)
def test_model_written_summary_through_an_openai_compatible_server(owner: Any, settings: Any) -> None:
    from langchain_openai import ChatOpenAI

    from .openai_server import OpenAIServer

    settings.CHATMEMORY_CONTEXT_WINDOW = 4
    session = ChatSessionFactory(owner=owner)
    _seed(session, 30)
    with OpenAIServer() as server:
        model = ChatOpenAI(model="summary-model", base_url=server.base_url, api_key="test", max_retries=0)
        summary = summary_update(session.pk, model=model)
        body = server.requests[-1]["body"]
    assert summary is not None and summary["writer"] == "summary-model" and summary["text"].startswith("stub saw")
    assert "Salt the water" in body["messages"][-1]["content"]  # the messages that left the window


def test_remember_phrases() -> None:
    assert remembered_fact("Remember that my dog is called Biscuit.") == "my dog is called Biscuit"
    assert remembered_fact("please remember: I am vegetarian") == "I am vegetarian"
    assert remembered_fact("Do you remember my dog?") is None


@pytest.mark.django_db
def test_user_memories_reach_every_conversation_of_that_user_only(owner: Any, other_user: Any) -> None:
    first = ChatSessionFactory(owner=owner)
    _prompt(first, "Remember that I am allergic to peanuts")
    assert [m["text"] for m in memories_list(user=owner)] == ["I am allergic to peanuts"]
    assert "allergic to peanuts" in _memory_text(_prompt(ChatSessionFactory(owner=owner), "What can I eat?"))
    assert "peanuts" not in _memory_text(_prompt(ChatSessionFactory(owner=other_user), "What can I eat?"))
    assert memories_list(user=other_user) == []


@pytest.mark.django_db
def test_memory_switches(owner: Any, settings: Any) -> None:
    memory_add(user=owner, text="likes green tea")
    settings.CHATMEMORY_MEMORY_USER = False
    assert "green tea" not in _memory_text(_prompt(ChatSessionFactory(owner=owner), "drink?"))
    _prompt(ChatSessionFactory(owner=owner), "remember that I like jazz")
    assert [m["text"] for m in memories_list(user=owner)] == ["likes green tea"]


TOOL_CALLS: list[list[BaseMessage]] = []


class ToolCallingModel(OfflineChatModel):
    """Calls save_memory once (as a real model would through its tool), then answers."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        from langchain_core.outputs import ChatGeneration, ChatResult

        TOOL_CALLS.append(list(messages))
        if not any(m.type == "tool" for m in messages):
            call = {"name": "save_memory", "args": {"text": "works night shifts"}, "id": "call1"}
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content="", tool_calls=[call]))])
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="Noted, night shifts."))])


@pytest.mark.django_db
def test_a_tool_calling_model_saves_memories(owner: Any) -> None:
    session = ChatSessionFactory(owner=owner)
    turn = ChatTurn(history=DjangoChatMessageHistory.from_session(session), text="I work nights",
                    model=ToolCallingModel())
    answer = turn.run()
    assert answer.text == "Noted, night shifts."
    assert [m["text"] for m in memories_list(user=owner)] == ["works night shifts"]
    assert [m["source"] for m in memories_list(user=owner)] == ["model"]
    assert TOOL_CALLS[-1][-1].type == "tool"
