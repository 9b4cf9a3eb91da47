"""Turns through a real PgBouncer in transaction pooling mode (``DATABASE_POOL_MODE=transaction``).

Two app servers (2 workers × 4 threads each, so up to 16 client connections) share a pool of 3
PostgreSQL server connections: every transaction may land on another server connection, so
anything that leaned on session state (prepared statements, a server-side cursor held across
transactions, a ``SET``) would fail here. Every history is checked as in ``test_instances``.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from sessions_app.accounts.tokens import api_token_create
from sessions_app.models import ChatMessage, ChatSession

from ..factories import UserFactory
from ..live_server_utils import app_server, child_env, children_database_url
from ..live_server_utils import http_json as http

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SESSIONS = 3
CLIENTS = 8
TURNS_PER_CLIENT = 6


@pytest.fixture(scope="module")
def bounced_servers(django_db_setup, pgbouncer):
    from django.conf import settings

    env = child_env(DATABASE_URL=pgbouncer.url(connection.settings_dict["NAME"]), DATABASE_POOL_MODE="transaction",
                    REDIS_URL=settings.REDIS_URL, CHATMEMORY_CHAT_RATE_LIMIT="0", CONN_MAX_AGE="60")
    with app_server(env) as first, app_server(env) as second:
        yield first, second


@pytest.fixture
def auth():
    user = UserFactory(username="pooled")
    _, plaintext = api_token_create(user=user, name="pgbouncer test")
    return user, {"Authorization": f"Bearer {plaintext}"}


def test_concurrent_turns_through_pgbouncer_transaction_pooling_keep_every_history_exact(
        bounced_servers, auth, pgbouncer):
    user, headers = auth
    session_ids = []
    for i in range(SESSIONS):
        status, _, body = http("POST", bounced_servers[i % 2] + "/api/sessions", body={"title": f"p{i}"},
                               headers=headers)
        assert status == 201, body
        session_ids.append(body["session_id"])
    failures: list[tuple[int, object]] = []
    start = threading.Barrier(CLIENTS)

    def client(c: int) -> None:
        start.wait(timeout=30)
        for t in range(TURNS_PER_CLIENT):
            base = bounced_servers[(c + t) % 2]
            sid = session_ids[(c + t) % SESSIONS]
            status, _, body = http("POST", f"{base}/api/sessions/{sid}/chat", body={"message": f"c{c} t{t}"},
                                   headers=headers, timeout=60)
            if status != 200 or body["seqs"][1] != body["seqs"][0] + 1:
                failures.append((status, body))

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    assert not failures, failures[:3]

    sent = {f"c{c} t{t}" for c in range(CLIENTS) for t in range(TURNS_PER_CLIENT)}
    seen: list[str] = []
    for sid in session_ids:
        rows = list(ChatMessage.objects.filter(session_id=sid).order_by("seq").values_list("seq", "type",
                                                                                            "content_text"))
        assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
        assert [t for _, t, _ in rows] == ["human", "ai"] * (len(rows) // 2)
        seen += [q for _, _, q in rows[0::2]]
        session = ChatSession.objects.get(pk=sid)
        assert session.message_count == len(rows) == session.last_seq
        # Reads through the pooler too: the window and the streamed export (iterator(), no server-side cursor).
        status, _, body = http("GET", f"{bounced_servers[0]}/api/sessions/{sid}/messages?limit=100", headers=headers)
        assert status == 200 and sorted(m["seq"] for m in body["items"]) == [seq for seq, _, _ in rows], body
        status, _, document = http("GET", f"{bounced_servers[1]}/api/sessions/{sid}/export", headers=headers)
        assert status == 200 and len(document["messages"]) == len(rows)
    assert sorted(seen) == sorted(sent)
    pools = {row[0]: row for row in pgbouncer.admin("SHOW POOLS")}
    name = connection.settings_dict["NAME"]
    assert pools[name][-1] == "transaction"  # pool_mode column
    servers = pgbouncer.admin("SHOW SERVERS")
    assert len([s for s in servers if s[3] == name]) <= 8  # default_pool_size: far fewer than the clients
    connection.close()


def test_why_the_setting_exists_prepared_statements_break_on_a_transaction_pooler():
    """With PgBouncer 1.18 in transaction mode two clients share one server connection; psycopg's
    prepared statements (what ``CHATMEMORY_PREPARED_STATEMENTS`` turns on) collide there, and the
    unprepared ones ``DATABASE_POOL_MODE=transaction`` sends do not."""
    import psycopg

    from .servers import PgBouncer, primary_dsn

    bouncer = PgBouncer(primary_dsn(children_database_url()), pool_size=1)
    bouncer.start()
    try:
        def client(prepare_threshold: int | None) -> psycopg.Connection:
            return psycopg.connect(host="127.0.0.1", port=bouncer.port, user="postgres", dbname="postgres",
                                   autocommit=True, prepare_threshold=prepare_threshold)

        with client(0) as a, client(0) as b:
            a.execute("SELECT %s::int", [1])  # prepared as _pg3_0 on the only server connection
            with pytest.raises(psycopg.errors.DuplicatePreparedStatement):
                b.execute("SELECT %s::int", [2])  # b prepares _pg3_0 too: on the same server connection
        with client(None) as a, client(None) as b:
            assert a.execute("SELECT %s::int", [1]).fetchone() == (1,)
            assert b.execute("SELECT %s::int", [2]).fetchone() == (2,)
    finally:
        bouncer.close()
