"""``POST /api/sessions/{id}/chat`` (JSON): one stored turn per call, nothing stored on failure."""
from __future__ import annotations

import json

import pytest

from sessions_app.conversations.sessions import session_archive
from sessions_app.models import ChatMessage

from .live_server_utils import free_port

pytestmark = pytest.mark.django_db


def _url(session) -> str:
    return f"/api/sessions/{session.pk}/chat"


def test_chat_answers_and_stores_the_turn(owner_api, chat_session):
    response = owner_api.post(_url(chat_session), {"message": "Hello, I am Ada."})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["session_id"] == str(chat_session.pk)
    assert body["answer"]["type"] == "ai"
    assert "Hello, I am Ada." in body["answer"]["content"]
    assert body["seqs"] == [1, 2]
    rows = list(ChatMessage.objects.for_session(chat_session.pk).in_order().values_list("seq", "type", "content_text"))
    assert rows == [(1, "human", "Hello, I am Ada."), (2, "ai", body["answer"]["content"])]


def test_chat_remembers_earlier_turns(owner_api, chat_session):
    owner_api.post(_url(chat_session), {"message": "My name is Ada."})
    body = owner_api.post(_url(chat_session), {"message": "What is my name?"}).json()
    assert body["seqs"] == [3, 4]
    # The offline model quotes the first human message it was given: the memory reached the model.
    assert "My name is Ada." in body["answer"]["content"]


def test_chat_on_another_users_session_is_404_and_stores_nothing(other_api, chat_session):
    response = other_api.post(_url(chat_session), {"message": "hi"})
    assert response.status_code == 404
    assert not ChatMessage.objects.exists()


def test_chat_on_archived_session_is_409(owner_api, chat_session):
    session_archive(session=chat_session)
    response = owner_api.post(_url(chat_session), {"message": "hi"})
    assert response.status_code == 409
    assert response.json()["error"] == "archived"
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"message": ""}, 422),
        ({"message": "   "}, 400),
        ({"message": "a\x00b"}, 422),
        ({"message": "\ud83d"}, 422),
        ({"message": 42}, 422),
        ({"message": ["hi"]}, 422),
        ({}, 422),
        ({"message": "hi", "role": "system"}, 422),
    ],
)
def test_chat_rejects_bad_messages(owner_api, chat_session, body, status):
    response = owner_api.post(_url(chat_session), json.dumps(body))
    assert response.status_code == status, response.content
    assert response.json()["error"] in ("invalid", "validation")
    assert not ChatMessage.objects.exists()


def test_chat_message_over_the_size_limit_is_400(owner_api, chat_session, settings):
    settings.CHATMEMORY_MAX_MESSAGE_CHARS = 100
    response = owner_api.post(_url(chat_session), {"message": "x" * 101})
    assert response.status_code == 400
    assert "100" in response.json()["detail"]
    assert not ChatMessage.objects.exists()


def test_model_failure_is_503_and_stores_nothing(owner_api, chat_session, settings):
    # A real ChatOpenAI pointed at a loopback port where nothing listens: connection refused.
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.OPENAI_API_KEY = "test"
    settings.CHATMEMORY_MODEL_TIMEOUT = 2
    response = owner_api.post(_url(chat_session), {"message": "hello?"})
    assert response.status_code == 503
    assert response.json()["error"] == "model_error"  # the same code as the browser stream
    assert not ChatMessage.objects.exists()
    chat_session.refresh_from_db()
    assert chat_session.last_seq == 0
