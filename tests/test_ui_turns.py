"""The chat page's turn endpoints through the test client: start by typing, Stop, a turn seen
from another request (updates), titles from the first exchange.

The stream is read event by event, so a test can act between two events (ask to stop, look at
the updates) the way a second browser tab would.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations import live
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.titles import clean_model_title, session_make_title, title_from_text
from sessions_app.models import AuditLogEntry, ChatMessage, ChatSession

from .live_server_utils import free_port
from .openai_server import OpenAIServer

pytestmark = pytest.mark.django_db


def events_of(response) -> Iterator[tuple[str, dict[str, Any]]]:
    """The stream's events, one at a time, as the page reads them."""
    buffer = ""
    for chunk in response.streaming_content:
        buffer += chunk.decode()
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.split("\n"))
            yield fields["event"], json.loads(fields["data"])


def start(client, text: str):
    return client.post(reverse("conversation_start"), {"message": text}, HTTP_ACCEPT="text/event-stream")


def send(client, session, text: str):
    url = reverse("conversation_stream", kwargs={"session_id": session.pk})
    return client.post(url, {"message": text}, HTTP_ACCEPT="text/event-stream")


def updates(client, session, after: int | None = None) -> dict[str, Any]:
    url = reverse("conversation_updates", kwargs={"session_id": session.pk})
    response = client.get(url, {} if after is None else {"after": after})
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    return response.json()


@pytest.fixture
def eager_live(monkeypatch):
    """Publish every piece and look at the stop flag on every piece (no throttling)."""
    monkeypatch.setattr(live, "PUBLISH_INTERVAL", 0)
    monkeypatch.setattr(live, "STOP_CHECK_INTERVAL", 0)


# --- start by typing ---------------------------------------------------------------------------------


def test_the_first_message_creates_the_conversation_and_names_it(owner, owner_client):
    events = list(events_of(start(owner_client, "Plan a weekend in Lisbon\nwith trams and fish")))
    kinds = [kind for kind, _ in events]
    assert kinds[:2] == ["session", "turn"] and kinds[-1] == "done" and "token" in kinds
    created = events[0][1]
    session = ChatSession.objects.get(owner=owner)
    assert created["id"] == str(session.pk) and created["url"] == f"/c/{session.pk}/"
    assert created["urls"]["stream"] == reverse("conversation_stream", kwargs={"session_id": session.pk})
    assert session.metadata == {"channel": "web"}
    done = events[-1][1]
    assert done["seqs"] == [1, 2] and done["session"]["needs_title"] is True
    # No model configured: the title is the first line (made by the Celery task, eager here).
    session.refresh_from_db()
    assert session.title == "Plan a weekend in Lisbon"
    assert updates(owner_client, session)["session"]["title"] == "Plan a weekend in Lisbon"


@pytest.mark.parametrize("text", ["", "   ", "x" * 40])
def test_a_bad_first_message_creates_nothing(owner, owner_client, settings, text):
    settings.CHATMEMORY_MAX_MESSAGE_CHARS = 20
    response = start(owner_client, text)
    assert response.status_code == 400 and response.json()["error"] == "invalid"
    assert not ChatSession.objects.exists()


def test_a_failed_first_turn_leaves_no_empty_conversation(owner, owner_client, settings):
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.OPENAI_API_KEY = "test"
    events = list(events_of(start(owner_client, "hello?")))
    assert [kind for kind, _ in events] == ["session", "turn", "error"]
    assert events[-1][1]["error"] == "model_error" and events[-1][1]["discarded"] is True
    assert not ChatSession.objects.filter(owner=owner).exists()
    assert AuditLogEntry.objects.filter(action="delete", session_id=events[0][1]["id"]).exists()


# --- Stop ----------------------------------------------------------------------------------------------


def test_stop_stores_the_partial_answer_marked_stopped_in_one_turn(owner_client, chat_session, eager_live):
    stream = events_of(send(owner_client, chat_session, "Tell me everything you know."))
    kind, turn = next(stream)
    assert kind == "turn"
    pieces = []
    for kind, data in stream:
        assert kind == "token"
        pieces.append(data["text"])
        if len(pieces) == 3:
            break
    stop_url = reverse("conversation_stop", kwargs={"session_id": chat_session.pk})
    assert owner_client.post(stop_url, {"turn": "not-this-turn"}).json() == {"stopping": False}
    assert owner_client.post(stop_url, {"turn": turn["turn"]}).json() == {"stopping": True}
    rest = list(stream)
    kind, done = rest[-1]
    assert kind == "done" and done["stopped"] is True
    answer = "".join(pieces) + "".join(data["text"] for kind, data in rest if kind == "token")
    assert done["answer"]["content"] == answer
    full = "I am the offline model (no OPENAI_API_KEY is set), answering from memory."
    assert len(answer) < len(full) + 60  # cut short (the offline answer is far longer)
    rows = list(ChatMessage.objects.filter(session=chat_session).order_by("seq"))
    assert [(r.seq, r.type) for r in rows] == [(1, "human"), (2, "ai")]  # still one atomic pair
    assert rows[1].content_text == answer
    assert rows[1].to_langchain().response_metadata["stopped"] is True
    assert owner_client.post(stop_url, {"turn": turn["turn"]}).json() == {"stopping": False}  # over
    # The detail page says so after a reload.
    page = owner_client.get(reverse("conversation_detail", kwargs={"session_id": chat_session.pk}))
    assert b'data-role="stopped"' in page.content


def test_stop_ends_the_model_request_of_a_real_streaming_model(owner_client, chat_session, settings, eager_live):
    with OpenAIServer(tokens_per_s=50, answer_tokens=400) as server:  # 8 s if nobody stops it
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, "test"
        began = time.monotonic()
        stream = events_of(send(owner_client, chat_session, "a long answer please"))
        _, turn = next(stream)
        next(stream)  # the first token
        stop_url = reverse("conversation_stop", kwargs={"session_id": chat_session.pk})
        assert owner_client.post(stop_url, {"turn": turn["turn"]}).json() == {"stopping": True}
        kind, done = list(stream)[-1]
        assert kind == "done" and done["stopped"] is True
        assert time.monotonic() - began < 4
        assert server.streams_completed == 0  # the model's stream was closed, not read to its end
    row = ChatMessage.objects.get(session=chat_session, seq=2)
    assert row.content_text.startswith("stub saw") and "tok399" not in row.content_text


# --- a turn seen from another request ------------------------------------------------------------------


def test_updates_show_the_pending_question_and_answer_so_far_then_the_stored_turn(
        owner_client, chat_session, eager_live):
    messages_append(session_id=chat_session.pk, messages=[HumanMessage(content="earlier"), AIMessage(content="ok")])
    assert updates(owner_client, chat_session, after=2) == {
        "session": updates(owner_client, chat_session)["session"], "pending": None, "messages": []}
    stream = events_of(send(owner_client, chat_session, "What did I say?"))
    _, turn = next(stream)
    seen = []
    for _ in range(4):
        seen.append(next(stream)[1]["text"])
    pending = updates(owner_client, chat_session, after=2)["pending"]
    assert pending["turn"] == turn["turn"] and pending["text"] == "What did I say?"
    assert pending["partial"] == "".join(seen)
    detail = owner_client.get(reverse("conversation_detail", kwargs={"session_id": chat_session.pk}))
    assert b'data-role="pending-ai"' in detail.content and "still answering" in detail.content.decode()
    assert detail.context["chat_config"]["pending"]["turn"] == turn["turn"]
    assert detail.context["chat_config"]["after_seq"] == 2
    list(stream)
    after = updates(owner_client, chat_session, after=2)
    assert after["pending"] is None
    assert [(m["seq"], m["type"]) for m in after["messages"]] == [(3, "human"), (4, "ai")]
    assert after["messages"][0]["text"] == "What did I say?" and after["session"]["message_count"] == 4


def test_a_turn_whose_client_went_away_is_still_visible_until_it_is_stored(rf, owner, chat_session, eager_live):
    from asgiref.sync import async_to_sync
    from django.core.signals import request_finished
    from django.db import close_old_connections

    from sessions_app.web.views import conversation_stream

    request = rf.post(reverse("conversation_stream", kwargs={"session_id": chat_session.pk}), {"message": "bye"})
    request.user = owner

    async def auser():  # what AuthenticationMiddleware gives an async view
        return owner

    request.auser = auser
    # An async view: Django's WSGI handler runs it with async_to_sync (the ASGI path: test_asgi_stream.py).
    response = async_to_sync(conversation_stream)(request, session_id=chat_session.pk)
    chunks = iter(response.streaming_content)
    next(chunks), next(chunks)  # turn, a token
    assert live.turn_pending(session_id=chat_session.pk)["text"] == "bye"
    request_finished.disconnect(close_old_connections)
    try:
        response.close()  # the browser went away: the answer is finished and stored, then unlisted
    finally:
        request_finished.connect(close_old_connections)
    assert live.turn_pending(session_id=chat_session.pk) is None
    assert ChatMessage.objects.filter(session=chat_session).count() == 2


def test_bad_updates_cursor_is_a_400(owner_client, chat_session):
    url = reverse("conversation_updates", kwargs={"session_id": chat_session.pk})
    response = owner_client.get(url, {"after": "x"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "message number" in response.json()["detail"]


# --- titles --------------------------------------------------------------------------------------------


def test_title_from_text_takes_the_first_line_without_markup_and_cuts_at_a_word():
    assert title_from_text("\n\n## **Why** is the sky blue?\nmore") == "Why is the sky blue?"
    long = "word " * 30
    title = title_from_text(long)
    assert len(title) <= 60 and title.endswith("…") and not title.endswith(" …")
    assert title_from_text("   \n  ") == ""
    assert clean_model_title('Title: "Weekend in Lisbon."\n') == "Weekend in Lisbon"


def test_the_model_titles_a_conversation_in_one_small_bounded_call(owner, chat_session, settings):
    ChatSession.objects.filter(pk=chat_session.pk).update(title="")
    messages_append(session_id=chat_session.pk, messages=[
        HumanMessage(content="How do I squash migrations?"), AIMessage(content="Use squashmigrations."),
    ])
    with OpenAIServer() as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, "test"
        title = session_make_title(session_id=chat_session.pk)
        request = server.requests[-1]["body"]
    assert title.startswith("stub saw 2 messages; last: User: How do I squash")
    assert len(title) <= 60
    assert (request.get("max_completion_tokens") or request.get("max_tokens")) == 24 and not request.get("stream")
    assert "squashmigrations" in request["messages"][-1]["content"]
    chat_session.refresh_from_db()
    assert chat_session.title == title


def test_a_slow_or_failing_title_model_falls_back_to_the_first_line(owner, chat_session, settings):
    ChatSession.objects.filter(pk=chat_session.pk).update(title="")
    messages_append(session_id=chat_session.pk, messages=[HumanMessage(content="Tax receipts\nfor 2025")])
    settings.CHATMEMORY_TITLE_TIMEOUT = 1
    with OpenAIServer(ttft_ms=5000) as server:  # answers after 5 s: too late
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, "test"
        began = time.monotonic()
        assert session_make_title(session_id=chat_session.pk) == "Tax receipts"
        assert time.monotonic() - began < 3  # bounded by CHATMEMORY_TITLE_TIMEOUT, no retry


def test_a_title_never_overwrites_a_rename(owner, chat_session):
    messages_append(session_id=chat_session.pk, messages=[HumanMessage(content="something")])
    assert session_make_title(session_id=chat_session.pk) == ""  # it has a title already
    chat_session.refresh_from_db()
    assert chat_session.title == "Owner's conversation"
    assert session_make_title(session_id=uuid.uuid4()) == ""  # gone: nothing to do


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_title_is_made_by_a_real_worker_after_the_answer_was_sent(owner, worker_app, settings):
    from django.test import Client

    from .celery_fixtures import ran_in, wait_for

    client = Client()
    client.force_login(owner)
    with OpenAIServer() as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, "test"
        events = list(events_of(start(client, "Birthday gift ideas for my sister")))
        assert events[-1][0] == "done" and events[-1][1]["session"]["needs_title"] is True
        session = ChatSession.objects.get(owner=owner)
        titled = wait_for(lambda: ChatSession.objects.filter(pk=session.pk).exclude(title="").exists(), timeout=60)
        assert titled, f"no title after 60 s; tasks ran in {ran_in}; model requests: {len(server.requests)}"
    session.refresh_from_db()
    assert session.title.startswith("stub saw 2 messages; last: User: Birthday gift ideas")
    assert ran_in and "MainThread" not in ran_in, ran_in  # the worker's thread, not the request's
