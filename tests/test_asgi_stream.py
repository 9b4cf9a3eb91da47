"""Streamed turns on the ASGI deployment (uvicorn workers under gunicorn, ``chatmemory/gunicorn.py``)
against our OpenAI-compatible server: the real client path end to end.

A turn streams from ``ChatTurn.astream`` and is stored once when complete; a client that goes
away mid-stream still gets its turn stored exactly once; hundreds of streams run at once in one
worker without holding a database connection each.
"""
from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from django.db import connection

from sessions_app.models import ChatMessage

from .live_server_utils import gunicorn_server, server_env_for_test_db
from .openai_server import OpenAIServer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _asgi_env(model: OpenAIServer, **extra: str) -> dict[str, str]:
    import os

    env = server_env_for_test_db({"OPENAI_BASE_URL": model.base_url, "OPENAI_API_KEY": "sk-test",
                                  "CHATMEMORY_CHAT_RATE_LIMIT": "0", "CONN_MAX_AGE": "0", **extra})
    # Without DJANGO_ALLOW_ASYNC_UNSAFE (the browser fixtures set it for Playwright): the server
    # raises SynchronousOnlyOperation if the ORM is ever called from its event loop.
    return {k: v for k, v in {**os.environ, **env}.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _request(session_id: object, token: str, message: str) -> bytes:
    body = json.dumps({"message": message}).encode()
    return (f"POST /api/sessions/{session_id}/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Accept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


def _rows(session) -> list[tuple[int, str, str]]:
    return list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", "type", "content_text"))


def test_asgi_stream_sends_tokens_then_done_and_stores_the_turn(owner_token, chat_session):
    with OpenAIServer(ttft_ms=100, tokens_per_s=200, answer_tokens=30) as model, \
            gunicorn_server(_asgi_env(model), asgi=True) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(_request(chat_session.pk, owner_token, "hello over ASGI"))
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head
    assert body.count(b"event: token") >= 2 and b"event: done" in body
    rows = _rows(chat_session)
    assert [(seq, kind) for seq, kind, _ in rows] == [(1, "human"), (2, "ai")]
    assert rows[1][2].startswith("stub saw 2 messages; last: hello over ASGI tok")
    assert model.requests[-1]["body"]["stream"] is True


def test_asgi_client_disconnect_mid_stream_stores_the_turn_exactly_once(owner_token, chat_session):
    with OpenAIServer(ttft_ms=50, tokens_per_s=40, answer_tokens=60) as model, \
            gunicorn_server(_asgi_env(model), asgi=True) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(_request(chat_session.pk, owner_token, "I will not wait"))
            received = b""
            while received.count(b"event: token") < 3:
                chunk = sock.recv(256)
                assert chunk, "server closed before streaming"
                received += chunk
        # Gone after 3 tokens; about 55 more (1.4 s) are still to come from the model.
        assert not ChatMessage.objects.filter(session=chat_session).exists(), "stored before the answer was complete"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and ChatMessage.objects.filter(session=chat_session).count() < 2:
            time.sleep(0.1)
        time.sleep(1.0)  # had it been stored twice, the second copy would be there by now
        assert model.streams_completed == 1  # the model's stream was read to its end
    rows = _rows(chat_session)
    assert [(seq, kind) for seq, kind, _ in rows] == [(1, "human"), (2, "ai")]
    assert rows[1][2].endswith("tok59")


def test_asgi_model_failure_mid_stream_is_an_error_event_and_stores_nothing(owner_token, chat_session):
    with OpenAIServer(answer_tokens=20) as model, gunicorn_server(_asgi_env(model), asgi=True) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(_request(chat_session.pk, owner_token, "cut me [[drop:4]]"))
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    assert b"event: error" in data and b'"model_error"' in data and b"event: done" not in data
    assert _rows(chat_session) == []


def test_two_hundred_concurrent_asgi_streams_one_worker_few_db_connections(owner, owner_token):
    from sessions_app.conversations.sessions import session_create

    sessions = [session_create(owner=owner, title=f"s{i}") for i in range(200)]
    name = connection.settings_dict["NAME"]

    def db_connections() -> int:  # in a thread of its own: its connection is closed here
        if connection.vendor != "postgresql":
            return 0
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name])
                return int(cursor.fetchone()[0])
        finally:
            connection.close()

    async def one(port: int, session_id: object) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_request(session_id, owner_token, "many at once"))
        data = await reader.read()
        writer.close()
        return data

    async def run(port: int) -> tuple[list[bytes], int]:
        tasks = [asyncio.create_task(one(port, s.pk)) for s in sessions]
        await asyncio.sleep(1.5)  # every stream is mid-answer now (0.3 s to the first token, 2 s of tokens)
        peak = await asyncio.to_thread(db_connections)
        return await asyncio.wait_for(asyncio.gather(*tasks), 60), peak

    extra = {"DATABASE_POOL_MAX_SIZE": "4", "DATABASE_POOL_TIMEOUT": "30"} if connection.vendor == "postgresql" else {}
    with OpenAIServer(ttft_ms=300, tokens_per_s=10, answer_tokens=20) as model, \
            gunicorn_server(_asgi_env(model, **extra), asgi=True, start_timeout=30) as base:
        started = time.monotonic()
        bodies, peak = asyncio.run(run(int(base.rsplit(":", 1)[1])))
        elapsed = time.monotonic() - started
    unfinished = [body[-300:] for body in bodies if b"event: done" not in body]
    assert unfinished == [], f"{len(unfinished)} streams did not finish; one ends with {unfinished[0]!r}"
    assert elapsed < 60, "the streams ran one after another"  # 200 × 2.3 s = 460 s if serial
    counts = {s.pk: ChatMessage.objects.filter(session=s).count() for s in sessions}
    assert set(counts.values()) == {2}
    assert peak <= 4 + 2  # the worker's pool (4) + this test's connection + slack, not one per stream
