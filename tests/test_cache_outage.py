"""A Redis outage is logged once, then once per interval with a count, then once when it is over.

Chat turns through the chat page (rate limit, the window cache, the live answer: every cache user
of a turn) against a real ``redis-server`` that is killed mid-conversation and started again.
"""
from __future__ import annotations

import logging
import time

import pytest
from django.urls import reverse

from sessions_app.models import ChatMessage

from .factories import ChatSessionFactory
from .redis_process import redis_cache

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_caches(settings, redis_process):
    settings.CACHES = {
        alias: redis_cache(redis_process.url, prefix=prefix)
        for alias, prefix in (("default", "cm"), (settings.CHATMEMORY_CACHE_ALIAS, "cms"))
    }
    settings.CHATMEMORY_CHAT_RATE_LIMIT = 10_000  # counted in Redis: one more cache user per turn
    settings.CHATMEMORY_CACHE_OUTAGE_LOG_INTERVAL = 1
    return redis_process


def turn(client, session, text: str) -> None:
    response = client.post(reverse("conversation_stream", args=[session.pk]), {"message": text})
    assert response.status_code == 200
    assert b"event: done" in b"".join(response.streaming_content)


def test_an_outage_is_logged_once_per_interval_with_a_count(redis_caches, owner, owner_client, caplog):
    session = ChatSessionFactory(owner=owner)
    turn(owner_client, session, "before")

    redis_caches.stop()  # killed: every cache call of a turn fails and falls back
    caplog.clear()
    caplog.set_level(logging.INFO)
    turns, started = 0, time.monotonic()
    while time.monotonic() - started < 2.5:
        turn(owner_client, session, f"during {turns}")
        turns += 1
    during = [r for r in caplog.records if r.levelno >= logging.WARNING]

    assert turns >= 3
    assert ChatMessage.objects.filter(session=session).count() == 2 * (turns + 1)  # nothing lost
    assert [r for r in during if r.exc_info] == []  # no traceback at all
    first = [r.getMessage() for r in during if "failed" in r.getMessage()]
    assert len(first) == 1 and first[0].startswith(f"Redis unavailable (127.0.0.1:{redis_caches.port}/0)")
    assert "ConnectionError" in first[0]
    counted = [r.getMessage() for r in during if "cache operations degraded in the last" in r.getMessage()]
    assert 1 <= len(counted) <= 3, counted  # 2.5 s at one line per second
    assert len(during) == 1 + len(counted), [r.getMessage() for r in during]  # nothing else was logged
    degraded = int(counted[0].split(": ", 1)[1].split()[0])
    assert degraded >= 3  # several cache operations per turn, one line for all of them

    redis_caches.start()  # back (same port, empty)
    caplog.clear()
    turn(owner_client, session, "after")
    back = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(back) == 1 and back[0].startswith("Redis available again"), back
    caplog.clear()
    turn(owner_client, session, "later")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
