"""Lag-tolerant endpoints of a real app server configured with ``DATABASE_REPLICA_URLS``.

Stats, search and export may be served by the replica; the caller who just wrote reads the
primary (``ReadYourWritesMiddleware``); with the replica down every one of them still answers 200.
"""
from __future__ import annotations

import pytest
from django.db import connection

from sessions_app.accounts.tokens import api_token_create

from ..factories import ChatSessionFactory, UserFactory
from ..live_server_utils import app_server, child_env, children_database_url
from ..live_server_utils import http_json as http

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def replicated_server(django_db_setup, pg_replica):
    from django.conf import settings

    env = child_env(DATABASE_URL=children_database_url(), REDIS_URL=settings.REDIS_URL,
                    DATABASE_REPLICA_URLS=pg_replica.url(connection.settings_dict["NAME"]),
                    CHATMEMORY_REPLICA_MAX_LAG="30", CHATMEMORY_REPLICA_CHECK_INTERVAL="0",
                    CHATMEMORY_CHAT_RATE_LIMIT="0")
    with app_server(env, workers=1) as base:
        yield base


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token_create(user=user, name='replica test')[1]}"}


def sessions_total(base: str, headers: dict[str, str]) -> int:
    status, _, body = http("GET", base + "/api/stats", headers=headers)
    assert status == 200, body
    return int(body["sessions"]["total"])


def test_stats_come_from_the_replica_until_the_caller_writes(replicated_server, pg_replica):
    staff = UserFactory(is_staff=True)
    headers = bearer(staff)
    pg_replica.wait_caught_up()
    before = sessions_total(replicated_server, headers)
    pg_replica.pause_replay()
    try:
        ChatSessionFactory(owner=UserFactory())  # someone else writes on the primary
        assert sessions_total(replicated_server, headers) == before  # the replica's (paused) view
        status, _, _ = http("POST", replicated_server + "/api/sessions", body={"title": "mine"}, headers=headers)
        assert status == 201
        assert sessions_total(replicated_server, headers) == before + 2  # pinned: the primary
    finally:
        pg_replica.resume_replay()
    connection.close()


def test_replica_down_every_lag_tolerant_endpoint_still_answers(replicated_server, pg_replica):
    owner = UserFactory(is_staff=True)
    session = ChatSessionFactory(owner=owner, title="findable words")
    headers = bearer(owner)
    pg_replica.wait_caught_up()
    pg_replica.stop("immediate")
    try:
        for path in ("/api/stats", "/api/search?q=findable", f"/api/sessions/{session.pk}/export"):
            status, _, body = http("GET", replicated_server + path, headers=headers, timeout=20)
            assert status == 200, (path, status, body)
    finally:
        pg_replica.start()
        pg_replica.wait_caught_up()
    status, _, _ = http("GET", replicated_server + "/api/stats", headers=headers)
    assert status == 200
    connection.close()
