"""The chat page's streaming endpoint: SSE tokens then ``done``, errors, atomic turns, disconnects."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.signals import request_finished
from django.db import close_old_connections
from django.urls import reverse
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from sessions_app.conversations.sessions import session_archive
from sessions_app.models import ChatMessage
from sessions_app.web.views import conversation_stream

from .live_server_utils import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def stream_url(session) -> str:
    return reverse("conversation_stream", kwargs={"session_id": session.pk})


def post_message(client, session, text: str):
    return client.post(stream_url(session), {"message": text}, HTTP_ACCEPT="text/event-stream")


def parse_sse(raw: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in raw.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def read_events(response) -> list[tuple[str, dict[str, Any]]]:
    return parse_sse(b"".join(response.streaming_content).decode())


def stored(session) -> list[tuple[int, str, str]]:
    return list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", "type", "content_text"))


def test_answer_streams_as_tokens_then_done_with_the_stored_seqs(owner_client, chat_session):
    response = post_message(owner_client, chat_session, "My name is Ada.")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache"
    events = read_events(response)
    assert events[0][0] == "turn" and len(events[0][1]["turn"]) >= 16  # the id Stop refers to
    tokens = [data["text"] for event, data in events if event == "token"]
    assert len(tokens) > 5  # word by word, not one blob
    answer = "".join(tokens)
    event, done = events[-1]
    assert event == "done"
    assert done["seqs"] == [1, 2] and done["answer"] == {"type": "ai", "content": answer}
    assert done["stopped"] is False and done["usage"] is None  # the offline model reports no usage
    assert done["session"]["id"] == str(chat_session.pk) and done["session"]["message_count"] == 2
    assert done["session"]["needs_title"] is False
    assert "offline model" in answer and "My name is Ada." in answer
    assert stored(chat_session) == [(1, "human", "My name is Ada."), (2, "ai", answer)]


def test_second_answer_remembers_the_first_message(owner_client, chat_session):
    read_events(post_message(owner_client, chat_session, "I live in Lisbon."))
    events = read_events(post_message(owner_client, chat_session, "Where do I live?"))
    answer = "".join(data["text"] for event, data in events if event == "token")
    assert "2 earlier messages" in answer
    assert '"I live in Lisbon."' in answer
    assert events[-1][0] == "done" and events[-1][1]["seqs"] == [3, 4]
    assert events[-1][1]["answer"] == {"type": "ai", "content": answer}


def test_windows_newlines_from_the_form_are_normalised(owner_client, chat_session):
    read_events(post_message(owner_client, chat_session, "line one\r\nline two"))
    assert stored(chat_session)[0][2] == "line one\nline two"


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_message_is_a_clear_400_and_nothing_is_stored(owner_client, chat_session, text):
    response = post_message(owner_client, chat_session, text)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid", "detail": "message is empty"}
    assert stored(chat_session) == []


def test_too_long_message_is_a_clear_400(owner_client, chat_session, settings):
    settings.CHATMEMORY_MAX_MESSAGE_CHARS = 10
    response = post_message(owner_client, chat_session, "x" * 11)
    assert response.status_code == 400
    assert response.json()["detail"] == "message is longer than 10 characters"
    assert stored(chat_session) == []


def test_archived_conversation_refuses_messages_with_409(owner_client, chat_session):
    session_archive(session=chat_session)
    response = post_message(owner_client, chat_session, "hello")
    assert response.status_code == 409
    assert response.json()["error"] == "archived"
    assert stored(chat_session) == []


def test_unreachable_model_server_is_an_error_event_and_nothing_is_stored(owner_client, chat_session, settings):
    # A real ChatOpenAI against a loopback port where nothing listens: a genuine connection error.
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.OPENAI_API_KEY = "test"
    settings.CHATMEMORY_MODEL_TIMEOUT = 5
    events = read_events(post_message(owner_client, chat_session, "anyone there?"))
    assert [event for event, _ in events] == ["turn", "error"]
    assert events[1][1]["error"] == "model_error"
    assert "Nothing was stored" in events[1][1]["detail"]
    assert "discarded" not in events[1][1]  # an existing conversation is kept
    assert stored(chat_session) == []


class BreaksMidStream(BaseChatModel):
    """Streams two tokens, then fails like a dropped connection to the model server."""

    @property
    def _llm_type(self) -> str:
        return "breaks-mid-stream"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        raise NotImplementedError

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        yield ChatGenerationChunk(message=AIMessageChunk(content="Half "))
        yield ChatGenerationChunk(message=AIMessageChunk(content="an "))
        raise ConnectionResetError("model server went away")


def test_model_failing_mid_stream_sends_error_after_tokens_and_stores_nothing(owner_client, chat_session, monkeypatch):
    monkeypatch.setattr("sessions_app.conversations.chat.get_chat_model", BreaksMidStream)
    events = read_events(post_message(owner_client, chat_session, "tell me a story"))
    assert [event for event, _ in events] == ["turn", "token", "token", "error"]
    assert "ConnectionResetError" in events[-1][1]["detail"]
    assert stored(chat_session) == []


def test_client_disconnect_mid_stream_still_stores_the_whole_turn_once(rf, owner, chat_session):
    # The view called directly, as the WSGI server does: it iterates the response, and when the
    # browser goes away it stops iterating and calls response.close(). (An async view: Django's
    # WSGI handler runs it with async_to_sync; the ASGI twin is tested in test_asgi_stream.py.)
    request = rf.post(stream_url(chat_session), {"message": "I will not wait for the answer"})
    request.user = owner

    async def auser():  # what AuthenticationMiddleware gives an async view
        return owner

    request.auser = auser
    response = async_to_sync(conversation_stream)(request, session_id=chat_session.pk)
    chunks = iter(response.streaming_content)
    assert next(chunks).decode().startswith("event: turn")
    assert next(chunks).decode().startswith("event: token")
    assert stored(chat_session) == []
    # (request_finished would close the test transaction's connection, as Django's client knows.)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    rows = stored(chat_session)
    assert [(seq, kind) for seq, kind, _ in rows] == [(1, "human"), (2, "ai")]
    assert rows[1][2].startswith("I am the offline model") and rows[1][2].endswith('"I will not wait for the answer".')


def test_stream_endpoint_is_post_only(owner_client, chat_session):
    assert owner_client.get(stream_url(chat_session)).status_code == 405


def test_not_logged_in_fetch_is_redirected_to_login(client, chat_session):
    response = post_message(client, chat_session, "hi")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_answer_is_stored_as_langchain_message(owner_client, chat_session):
    read_events(post_message(owner_client, chat_session, "hi"))
    row = ChatMessage.objects.get(session=chat_session, seq=2)
    assert isinstance(row.to_langchain(), AIMessage)
    chat_session.refresh_from_db()
    assert chat_session.message_count == 2


def test_over_the_rate_limit_the_page_gets_429_with_retry_after_and_nothing_is_stored(
        owner_client, chat_session, settings):
    settings.CHATMEMORY_CHAT_RATE_LIMIT = 1
    first = post_message(owner_client, chat_session, "first")
    assert first.status_code == 200
    b"".join(first.streaming_content)  # the turn is stored once the answer is complete
    refused = post_message(owner_client, chat_session, "second")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.CHATMEMORY_CHAT_RATE_WINDOW
    body = refused.json()
    assert body["error"] == "rate_limited" and "too fast" in body["detail"]
    assert list(ChatMessage.objects.filter(session=chat_session).values_list("content_text", flat=True)
                .order_by("seq"))[0::2] == ["first"]


def test_another_users_conversation_is_404_before_any_rate_limit(other_client, chat_session, settings):
    settings.CHATMEMORY_CHAT_RATE_LIMIT = 1
    for _ in range(2):
        assert post_message(other_client, chat_session, "hi").status_code == 404
