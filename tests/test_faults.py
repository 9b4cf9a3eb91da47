"""Faults on the hot path: Redis stopped and restarted mid-conversation; the database failing
mid-turn. Nothing is lost, nothing is half-written, no request fails because of the cache."""
from __future__ import annotations

import time

import psycopg
import pytest
from django.db import OperationalError, connection
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from sessions_app.cache.registry import current_store
from sessions_app.conversations.chat import ChatTurn
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.llm import OfflineChatModel
from sessions_app.models import ChatMessage, ChatSession

from .factories import ChatSessionFactory, UserFactory
from .live_server_utils import children_database_url
from .redis_process import redis_cache


def chat(session, owner, text: str) -> list[int]:
    history = DjangoChatMessageHistory(session.pk, user=owner)
    turn = ChatTurn(history=history, text=text, model=OfflineChatModel())
    turn.run()
    return turn.saved_seqs


def assert_pairs(session, count: int) -> None:
    rows = list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", "type", "content_text"))
    assert [seq for seq, _, _ in rows] == list(range(1, 2 * count + 1))
    assert [t for _, t, _ in rows] == ["human", "ai"] * count
    assert [text for _, _, text in rows[0::2]] == [f"message {i}" for i in range(count)]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_redis_stopped_mid_conversation_then_back(redis_process, settings, django_assert_num_queries):
    settings.CACHES = {**settings.CACHES, settings.CHATMEMORY_CACHE_ALIAS: redis_cache(redis_process.url, prefix="cms")}
    owner = UserFactory()
    session = ChatSessionFactory(owner=owner)
    for i in range(3):
        chat(session, owner, f"message {i}")
    with django_assert_num_queries(0):
        assert len(DjangoChatMessageHistory(session.pk, user=owner).get_recent_messages(6)) == 6

    redis_process.stop()
    for i in range(3, 6):
        started = time.monotonic()
        assert len(chat(session, owner, f"message {i}")) == 2  # served from PostgreSQL
        assert time.monotonic() - started < 3  # socket timeouts, no hang
    assert DjangoChatMessageHistory(session.pk, user=owner).cache_ttl_remaining is None

    redis_process.start()  # same port, empty (no persistence)
    for i in range(6, 8):
        chat(session, owner, f"message {i}")
    # The cache recovered by itself: entries are back and a warm read needs no database.
    with django_assert_num_queries(0):
        history = DjangoChatMessageHistory(session.pk, user=owner)
        window = history.get_recent_messages(16)
    assert [m.content for m in window[0::2]] == [f"message {i}" for i in range(8)]
    assert history.cache_ttl_remaining is not None
    assert_pairs(session, 8)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_lost_eviction_is_retried_when_redis_returns(redis_process, settings):
    """Redis is down while a clear commits: the stale window must not come back afterwards."""
    settings.CACHES = {**settings.CACHES, settings.CHATMEMORY_CACHE_ALIAS: redis_cache(redis_process.url)}
    owner = UserFactory()
    session = ChatSessionFactory(owner=owner)
    chat(session, owner, "message 0")
    history = DjangoChatMessageHistory(session.pk, user=owner)
    assert len(history.get_recent_messages(2)) == 2
    # Make the cache unreachable without losing its data (a network partition, a stalled Redis).
    store = current_store()
    real_client = store.client
    port = redis_process.port
    try:
        redis_process.proc.send_signal(19)  # SIGSTOP: Redis hangs (keeps its data), calls time out
        started = time.monotonic()
        history.clear()
        assert time.monotonic() - started < 3
    finally:
        redis_process.proc.send_signal(18)  # SIGCONT
    assert store.client is real_client and redis_process.port == port
    # The failed eviction was remembered and runs before the next read: no stale window.
    assert DjangoChatMessageHistory(session.pk, user=owner).get_recent_messages(2) == []


class _KillsItsConnection(BaseChatModel):
    """Answers, but first kills the app's database connection (as a failover or restart would)."""

    backend_pid: int = 0
    dsn: str = ""

    @property
    def _llm_type(self) -> str:
        return "kills-connection"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        with psycopg.connect(self.dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [self.backend_pid])
        time.sleep(0.2)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="never stored"))])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_lost_mid_turn_leaves_no_half_turn():
    owner = UserFactory()
    session = ChatSessionFactory(owner=owner)
    history = DjangoChatMessageHistory(session.pk, user=owner)
    history.get_recent_messages(10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    dsn = children_database_url().replace("postgres://", "postgresql://")
    turn = ChatTurn(history=history, text="hello", model=_KillsItsConnection(backend_pid=pid, dsn=dsn))
    with pytest.raises(OperationalError):
        turn.run()
    connection.close()
    assert ChatMessage.objects.filter(session=session).count() == 0
    refreshed = ChatSession.objects.get(pk=session.pk)
    assert refreshed.last_seq == 0 and refreshed.message_count == 0
    # And the next turn works on a fresh connection.
    chat_history = DjangoChatMessageHistory(session.pk, user=owner)
    ChatTurn(history=chat_history, text="message 0", model=OfflineChatModel()).run()
    assert_pairs(session, 1)


@pytest.mark.django_db
def test_cache_failures_are_logged_and_reads_fall_back(chat_session, settings, caplog):
    """On any backend: a cache that refuses every call degrades to the database."""
    settings.CACHES = {
        **settings.CACHES,
        settings.CHATMEMORY_CACHE_ALIAS: {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    history = DjangoChatMessageHistory(chat_session.pk)
    history.add_messages([AIMessage(content="kept")])
    assert [m.content for m in history.get_recent_messages(5)] == ["kept"]
    assert history.cache_ttl_remaining is None
    assert "chatmemory cache" in caplog.text

