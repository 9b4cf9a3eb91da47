"""The chat model: the offline model, and ChatOpenAI for real over HTTP against a local stub server."""
from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from sessions_app.conversations.chat import ChatTurn
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.llm import OfflineChatModel, get_chat_model, model_label

from .openai_stub import OpenAIStubServer


@pytest.fixture
def stub_openai(settings):
    with OpenAIStubServer() as server:
        settings.OPENAI_API_KEY = "sk-test-key"
        settings.OPENAI_BASE_URL = server.base_url
        settings.CHATMEMORY_MODEL = "stub-model"
        yield server


def test_offline_model_is_chosen_without_configuration(settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    assert isinstance(get_chat_model(), OfflineChatModel)
    assert model_label() == "offline model"


def test_offline_model_says_what_it_is_and_answers_from_memory():
    model = OfflineChatModel()
    first = model.invoke([SystemMessage(content="sys"), HumanMessage(content="I like green tea.")])
    assert "offline model" in first.content
    assert "start of our conversation" in first.content
    later = model.invoke([
        SystemMessage(content="sys"),
        HumanMessage(content="I like green tea."),
        AIMessage(content="Noted."),
        HumanMessage(content="What do I like?"),
    ])
    assert "2 earlier messages" in later.content
    assert '"I like green tea."' in later.content
    assert '"What do I like?"' in later.content


def test_offline_model_streams_token_by_token():
    model = OfflineChatModel()
    chunks = list(model.stream([HumanMessage(content="hello there")]))
    assert len(chunks) > 5
    assert "".join(c.content for c in chunks) == model.invoke([HumanMessage(content="hello there")]).content


def test_chat_openai_is_chosen_when_base_url_is_set(stub_openai):
    from langchain_openai import ChatOpenAI

    model = get_chat_model()
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "stub-model"
    assert model_label() == "stub-model"


@pytest.mark.django_db
def test_chat_turn_through_chat_openai_without_streaming(stub_openai, chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    history.add_messages([HumanMessage(content="earlier question"), AIMessage(content="earlier answer")])

    answer = ChatTurn(history=history, text="and now?").run()

    assert answer.content == "stub saw 4 messages; last: and now?"
    request = stub_openai.requests[-1]
    assert request["auth"] == "Bearer sk-test-key"
    assert request["body"]["model"] == "stub-model"
    assert [m["role"] for m in request["body"]["messages"]] == ["system", "user", "assistant", "user"]
    stored = history.messages
    assert [m.content for m in stored[-2:]] == ["and now?", "stub saw 4 messages; last: and now?"]


@pytest.mark.django_db
def test_chat_turn_through_chat_openai_streaming(stub_openai, chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    turn = ChatTurn(history=history, text="stream please")

    tokens = list(turn.stream())

    assert len(tokens) > 3
    assert "".join(tokens) == "stub saw 2 messages; last: stream please"
    assert stub_openai.requests[-1]["body"]["stream"] is True
    assert turn.saved_seqs == [1, 2]
    stored = history.messages
    assert [m.type for m in stored] == ["human", "ai"]
    assert stored[1].content == "stub saw 2 messages; last: stream please"
    assert stored[1].response_metadata.get("finish_reason") == "stop"


@pytest.mark.django_db
def test_model_failure_over_http_leaves_no_half_turn(stub_openai, chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    with pytest.raises(Exception):  # noqa: B017 - openai raises its own InternalServerError
        ChatTurn(history=history, text="please FAIL").run()
    with pytest.raises(Exception):  # noqa: B017
        list(ChatTurn(history=history, text="please FAIL too").stream())
    assert history.messages == []
    chat_session.refresh_from_db()
    assert chat_session.message_count == 0
