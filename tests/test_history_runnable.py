"""The third-party pattern: ``RunnableWithMessageHistory`` with a ``get_session_history`` factory
configured by ``history_factory_config`` with both ``user_id`` and ``session_id``.

This is exactly LangChain's documented example (``ConfigurableFieldSpec`` for each key), with our
history class in the factory and the offline chat model in the chain.
"""
from __future__ import annotations

import uuid

import pytest
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import ConfigurableFieldSpec
from langchain_core.runnables.history import RunnableWithMessageHistory

from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.llm import OfflineChatModel
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import ChatSession

# RunnableWithMessageHistory reads the history inside RunnableParallel's worker threads, which have
# their own database connections: the data must be committed for them to see it, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def get_session_history(user_id: str, session_id: str) -> DjangoChatMessageHistory:
    return DjangoChatMessageHistory.for_user(user_id=user_id, session_id=session_id)


def get_windowed_history(user_id: str, session_id: str) -> DjangoChatMessageHistory:
    return DjangoChatMessageHistory.for_user(user_id=user_id, session_id=session_id, window=2)


def make_chain(factory=get_session_history) -> RunnableWithMessageHistory:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are helpful."), MessagesPlaceholder(variable_name="history"), ("human", "{question}")]
    )
    return RunnableWithMessageHistory(
        prompt | OfflineChatModel(),
        get_session_history=factory,
        input_messages_key="question",
        history_messages_key="history",
        history_factory_config=[
            ConfigurableFieldSpec(id="user_id", annotation=str, name="User ID", description="Unique user id.",
                                  default="", is_shared=True),
            ConfigurableFieldSpec(id="session_id", annotation=str, name="Conversation ID",
                                  description="Unique conversation id.", default="", is_shared=True),
        ],
    )


def test_runnable_with_message_history_remembers_per_user_and_session(owner, other_user):
    chain = make_chain()
    sid = str(uuid.uuid4())
    config = {"configurable": {"user_id": owner.username, "session_id": sid}}

    first = chain.invoke({"question": "My name is Olivia."}, config=config)
    assert "start of our conversation" in first.content
    second = chain.invoke({"question": "What is my name?"}, config=config)
    assert "2 earlier messages" in second.content
    assert 'first thing you said that I can see was: "My name is Olivia."' in second.content

    session = ChatSession.objects.get(pk=sid)
    assert session.owner == owner
    assert session.message_count == 4
    stored = DjangoChatMessageHistory(sid, user=owner).messages
    assert [m.type for m in stored] == ["human", "ai", "human", "ai"]
    assert stored[2].content == "What is my name?"

    # Another user naming the same session id does not reach it.
    with pytest.raises(SessionNotFound):
        chain.invoke({"question": "hi"}, config={"configurable": {"user_id": other_user.username, "session_id": sid}})
    assert ChatSession.objects.get(pk=sid).message_count == 4


def test_runnable_accepts_user_primary_key(owner):
    chain = make_chain()
    sid = str(uuid.uuid4())
    chain.invoke({"question": "hello"}, config={"configurable": {"user_id": str(owner.pk), "session_id": sid}})
    assert ChatSession.objects.get(pk=sid).owner == owner


def test_unknown_user_is_refused():
    chain = make_chain()
    with pytest.raises(SessionNotFound, match="no user"):
        chain.invoke(
            {"question": "hi"}, config={"configurable": {"user_id": "nobody", "session_id": str(uuid.uuid4())}}
        )
    assert ChatSession.objects.count() == 0


def test_a_windowed_history_bounds_what_the_model_sees(owner):
    chain = make_chain(get_windowed_history)
    config = {"configurable": {"user_id": str(owner.pk), "session_id": str(uuid.uuid4())}}
    chain.invoke({"question": "one"}, config=config)
    chain.invoke({"question": "two"}, config=config)
    third = chain.invoke({"question": "three"}, config=config)
    assert "2 earlier messages" in third.content  # the last 2 of 4 stored, not all of them
    assert 'first thing you said that I can see was: "two"' in third.content
    sid = config["configurable"]["session_id"]
    assert ChatSession.objects.get(pk=sid).message_count == 6  # every message is still stored


def test_the_factory_on_a_warm_session_makes_no_query(owner, django_assert_num_queries):
    sid = str(uuid.uuid4())
    chain = make_chain(get_windowed_history)
    config = {"configurable": {"user_id": str(owner.pk), "session_id": sid}}
    chain.invoke({"question": "warm me up"}, config=config)
    get_windowed_history(str(owner.pk), sid).messages  # noqa: B018 - the first read fills the cache
    with django_assert_num_queries(0):
        history = get_windowed_history(str(owner.pk), sid)
        assert [m.type for m in history.messages] == ["human", "ai"]
    assert history.session.owner_id == owner.pk


def test_the_fast_path_still_refuses_another_users_session(owner, other_user):
    sid = str(uuid.uuid4())
    get_session_history(str(owner.pk), sid).get_recent_messages(5)  # created and cached for owner
    with pytest.raises(SessionNotFound):
        get_session_history(str(other_user.pk), sid)


@pytest.mark.parametrize("window", [0, -1, 2.5, True, "3"])
def test_window_must_be_a_positive_count(owner, window):
    with pytest.raises(ValueError, match="window must be"):
        DjangoChatMessageHistory.for_user(user_id=owner.pk, session_id=uuid.uuid4(), window=window)
    assert not ChatSession.objects.exists()  # refused before anything was created
