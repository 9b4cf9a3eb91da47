"""The history on an event loop: README's factory under ``RunnableWithMessageHistory.ainvoke`` /
``astream`` (LangChain calls the factory on the loop), ``afor_user``, and no ORM on the loop.

Every test drives its own loop with ``asyncio.run`` and runs without ``DJANGO_ALLOW_ASYNC_UNSAFE``,
as production does: an ORM call on the loop raises ``SynchronousOnlyOperation``.
"""
from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import ConfigurableFieldSpec
from langchain_core.runnables.history import RunnableWithMessageHistory

from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import ChatMessage, ChatSession

from .factories import ChatSessionFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sync_to_async_connections_closed")]
README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(autouse=True)
def _orm_refused_on_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


def readme_factory() -> Any:
    """README's ``get_session_history``, executed from README.md as it is printed."""
    section = README.read_text().split("## Using the history class from another app", 1)[1].split("\n## ", 1)[0]
    namespace: dict[str, Any] = {}
    exec(re.search(r"```python\n(.*?)```", section, re.S).group(1), namespace)  # noqa: S102
    return namespace["get_session_history"]


def make_chain(answers: list[str]) -> RunnableWithMessageHistory:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are helpful."), MessagesPlaceholder(variable_name="history"), ("human", "{question}")]
    )
    return RunnableWithMessageHistory(
        prompt | GenericFakeChatModel(messages=iter(AIMessage(a) for a in answers)),
        readme_factory(),
        input_messages_key="question",
        history_messages_key="history",
        history_factory_config=[
            ConfigurableFieldSpec(id="user_id", annotation=str, default="", is_shared=True),
            ConfigurableFieldSpec(id="session_id", annotation=str, default="", is_shared=True),
        ],
    )


def stored(sid: str) -> list[tuple[str, str]]:
    return [(m["type"], m["data"]["content"]) for m in
            ChatMessage.objects.filter(session_id=sid).order_by("seq").values_list("message", flat=True)]


def test_ainvoke_with_the_readme_factory_on_a_new_session(owner: Any) -> None:
    chain = make_chain(["Hello Olivia.", "Your name is Olivia."])
    sid = str(uuid.uuid4())
    config: Any = {"configurable": {"user_id": str(owner.pk), "session_id": sid}}

    async def two_turns() -> list[str]:
        first = await chain.ainvoke({"question": "My name is Olivia."}, config=config)
        second = await chain.ainvoke({"question": "What is my name?"}, config=config)
        return [first.content, second.content]

    assert asyncio.run(two_turns()) == ["Hello Olivia.", "Your name is Olivia."]
    assert ChatSession.objects.get(pk=sid).owner == owner  # created for that user
    assert stored(sid) == [("human", "My name is Olivia."), ("ai", "Hello Olivia."),
                           ("human", "What is my name?"), ("ai", "Your name is Olivia.")]


def test_astream_with_the_readme_factory_by_username(owner: Any) -> None:
    chain = make_chain(["streamed answer"])
    sid = str(uuid.uuid4())
    config: Any = {"configurable": {"user_id": owner.username, "session_id": sid}}

    async def stream() -> str:
        return "".join([chunk.content async for chunk in chain.astream({"question": "hi"}, config=config)])

    assert asyncio.run(stream()) == "streamed answer"
    # RunnableWithMessageHistory stores the streamed answer as the chunk it aggregated (LangChain's way)
    assert stored(sid) == [("human", "hi"), ("AIMessageChunk", "streamed answer")]


def test_another_users_session_is_refused_on_the_loop_too(owner: Any, other_user: Any) -> None:
    theirs = ChatSessionFactory(owner=other_user)
    config: Any = {"configurable": {"user_id": str(owner.pk), "session_id": str(theirs.pk)}}
    with pytest.raises(SessionNotFound):
        asyncio.run(make_chain(["never"]).ainvoke({"question": "hi"}, config=config))
    with pytest.raises(SessionNotFound):
        asyncio.run(DjangoChatMessageHistory.afor_user(user_id=owner.pk, session_id=theirs.pk))
    assert not ChatMessage.objects.filter(session=theirs).exists()


def test_afor_user_creates_gates_and_works_on_the_loop(owner: Any) -> None:
    sid = uuid.uuid4()

    async def use() -> list[Any]:
        history = await DjangoChatMessageHistory.afor_user(user_id=owner.pk, session_id=sid, window=2)
        await history.aadd_messages([HumanMessage("a"), AIMessage("b"), HumanMessage("c")])
        return [m.content for m in await history.aget_messages()]

    assert asyncio.run(use()) == ["b", "c"]
    assert ChatSession.objects.get(pk=sid).owner == owner
    with pytest.raises(SessionNotFound):
        asyncio.run(DjangoChatMessageHistory.afor_user(user_id="nobody", session_id=uuid.uuid4()))


def test_for_user_outside_a_loop_still_gates_at_once(owner: Any, other_user: Any) -> None:
    theirs = ChatSessionFactory(owner=other_user)
    with pytest.raises(SessionNotFound):
        DjangoChatMessageHistory.for_user(user_id=owner.pk, session_id=theirs.pk)
