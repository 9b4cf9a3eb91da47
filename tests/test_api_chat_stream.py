"""Chat as server-sent events, and the turn stored exactly once when the client hangs up mid-stream."""
from __future__ import annotations

import json
import socket
import time

import pytest
from django.db import connection

from sessions_app.models import ChatMessage

from .live_server_utils import free_port, gunicorn, server_env_for_test_db

SSE = {"Accept": "text/event-stream"}


def parse_sse(raw: str) -> list[tuple[str, dict]]:
    events = []
    for block in raw.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


@pytest.mark.django_db
def test_stream_sends_tokens_then_done_and_stores_the_turn(owner_api, chat_session):
    response = owner_api.post(f"/api/sessions/{chat_session.pk}/chat", {"message": "Stream me, please."}, headers=SSE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache"
    events = parse_sse(b"".join(response.streaming_content).decode())
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"token"} and len(kinds) > 5
    text = "".join(data["text"] for kind, data in events if kind == "token")
    done = events[-1][1]
    assert done["seqs"] == [1, 2] and done["answer"]["content"] == text
    rows = list(ChatMessage.objects.for_session(chat_session.pk).in_order().values_list("type", "content_text"))
    assert rows == [("human", "Stream me, please."), ("ai", text)]


@pytest.mark.django_db
def test_stream_errors_before_streaming_are_plain_json(owner_api, other_api, chat_session):
    url = f"/api/sessions/{chat_session.pk}/chat"
    assert other_api.post(url, {"message": "hi"}, headers=SSE).status_code == 404
    assert owner_api.post(url, {"message": "\x00"}, headers=SSE).status_code == 422
    assert not ChatMessage.objects.exists()


@pytest.mark.django_db
def test_model_failure_mid_stream_is_an_error_event_and_stores_nothing(owner_api, chat_session, settings):
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.OPENAI_API_KEY = "test"
    settings.CHATMEMORY_MODEL_TIMEOUT = 2
    response = owner_api.post(f"/api/sessions/{chat_session.pk}/chat", {"message": "hello?"}, headers=SSE)
    events = parse_sse(b"".join(response.streaming_content).decode())
    assert events[-1][0] == "error" and events[-1][1]["error"] == "model_error"
    assert not ChatMessage.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_client_disconnect_mid_stream_stores_the_turn_exactly_once(owner_token, chat_session):
    message = "Please answer slowly: " + " ".join(f"word{i}" for i in range(25))
    body = json.dumps({"message": message}).encode()
    env = server_env_for_test_db({"CHATMEMORY_OFFLINE_TOKEN_DELAY_MS": "40", "CHATMEMORY_CHAT_RATE_LIMIT": "0"})
    with gunicorn(env) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                (f"POST /api/sessions/{chat_session.pk}/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Authorization: Bearer {owner_token}\r\nAccept: text/event-stream\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
                + body
            )
            received = b""
            while b"event: token" not in received:
                chunk = sock.recv(256)
                assert chunk, "server closed before streaming"
                received += chunk
            assert received.startswith(b"HTTP/1.1 200")
        # The socket is closed mid-stream (about 60 tokens at 40 ms each are still to come).
        assert not ChatMessage.objects.filter(session=chat_session).exists(), "stored before the answer was complete"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and ChatMessage.objects.filter(session=chat_session).count() < 2:
            time.sleep(0.1)
        time.sleep(1.0)  # had it been stored twice, the second copy would be there by now
        rows = list(
            ChatMessage.objects.filter(session=chat_session).order_by("seq").values_list("seq", "type", "content_text")
        )
    assert [(seq, kind) for seq, kind, _ in rows] == [(1, "human"), (2, "ai")]
    assert rows[0][2] == message
    assert rows[1][2].endswith(f'You just said: "{message[:199]}…".') or message[:50] in rows[1][2]
    chat_session.refresh_from_db()
    assert chat_session.last_seq == 2 and chat_session.message_count == 2
    connection.close()
