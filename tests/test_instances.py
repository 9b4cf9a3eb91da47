"""Two app server processes (gunicorn) sharing PostgreSQL and Redis, driven concurrently.

Every stored history is checked afterwards: no lost, duplicated or reordered message, every
human message directly followed by its own answer, seqs gap-free; and the cache of every
session, read warm, is exactly the database's tail. An append racing a delete gets a clear
404/410 (never a 5xx) and never resurrects the session.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from sessions_app.accounts.tokens import api_token_create
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.sessions import session_delete
from sessions_app.models import ChatMessage, ChatSession

from .factories import UserFactory
from .live_server_utils import app_server, child_env, children_database_url
from .live_server_utils import http_json as http

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SESSIONS = 3
CLIENTS = 8
TURNS_PER_CLIENT = 6


@pytest.fixture(scope="module")
def two_servers(django_db_setup):
    """Two gunicorn servers (2 worker processes each) for the module's tests, stopped after them."""
    from django.conf import settings

    env = child_env(DATABASE_URL=children_database_url(), REDIS_URL=settings.REDIS_URL,
                    CHATMEMORY_CHAT_RATE_LIMIT="0")
    with app_server(env) as first, app_server(env) as second:
        yield first, second


@pytest.fixture
def token():
    user = UserFactory(username="loadtester")
    _, plaintext = api_token_create(user=user, name="instances test")
    return user, {"Authorization": f"Bearer {plaintext}"}


def test_concurrent_turns_on_two_instances_keep_every_history_exact(two_servers, token):
    user, auth = token
    session_ids = []
    for i in range(SESSIONS):
        status, _, body = http("POST", two_servers[i % 2] + "/api/sessions", body={"title": f"s{i}"}, headers=auth)
        assert status == 201, body
        session_ids.append(body["session_id"])
    failures: list[tuple[int, object]] = []
    start = threading.Barrier(CLIENTS)

    def client(c: int) -> None:
        start.wait(timeout=30)
        for t in range(TURNS_PER_CLIENT):
            base = two_servers[(c + t) % 2]  # alternate instances
            sid = session_ids[(c + t) % SESSIONS]
            status, _, body = http("POST", f"{base}/api/sessions/{sid}/chat", body={"message": f"c{c} t{t}"},
                                   headers=auth, timeout=60)
            if status != 200 or body["seqs"][1] != body["seqs"][0] + 1:
                failures.append((status, body))

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    assert not failures, failures[:3]

    sent = {f"c{c} t{t}" for c in range(CLIENTS) for t in range(TURNS_PER_CLIENT)}
    seen: list[str] = []
    for sid in session_ids:
        rows = list(
            ChatMessage.objects.filter(session_id=sid).order_by("seq").values_list("seq", "type", "content_text")
        )
        assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))  # gap-free, no duplicates
        assert [t for _, t, _ in rows] == ["human", "ai"] * (len(rows) // 2)  # pairs never split
        for (_, _, question), (_, _, answer) in zip(rows[0::2], rows[1::2], strict=True):
            assert f'You just said: "{question}"' in answer  # the answer right after is its own
            seen.append(question)
        session = ChatSession.objects.get(pk=sid)
        assert session.message_count == len(rows) and session.last_seq == len(rows)
        # The shared cache, read warm, is exactly the database's tail.
        window = DjangoChatMessageHistory(sid, user=user).get_recent_messages(40)
        assert [m.content for m in window] == [text for _, _, text in rows[-40:]]
    assert sorted(seen) == sorted(sent)  # nothing lost, nothing duplicated
    connection.close()


def test_append_racing_a_delete_is_a_clear_error_and_never_resurrects(two_servers, token):
    user, auth = token
    status, _, body = http("POST", two_servers[0] + "/api/sessions", body={"title": "doomed"}, headers=auth)
    sid = body["session_id"]
    statuses: list[int] = []
    deleted = threading.Event()

    def client(c: int) -> None:
        for t in range(12):
            status, _, _ = http("POST", f"{two_servers[c % 2]}/api/sessions/{sid}/chat",
                                body={"message": f"c{c} t{t}"}, headers=auth, timeout=60)
            statuses.append(status)
            if t == 3 and c == 0:
                session_delete(session_id=sid, actor=user)
                connection.close()
                deleted.set()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(client, range(4)))
    assert deleted.is_set()
    assert set(statuses) <= {200, 404, 410}, statuses  # never a 5xx
    assert statuses.count(200) >= 4 and any(s in (404, 410) for s in statuses)
    assert not ChatSession.objects.filter(pk=sid).exists()
    assert not ChatMessage.objects.filter(session_id=sid).exists()
    status, _, _ = http("GET", f"{two_servers[1]}/api/sessions/{sid}", headers=auth)
    assert status == 404
    connection.close()
