"""``add_messages_and_get_recent``: the append and the new window with one cache operation, with the
same guarantees as ``add_messages`` + ``get_recent_messages`` (both backends: Redis Lua / local memory)."""
from __future__ import annotations

import logging

import pytest
from django.db import transaction
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app import cache
from sessions_app.cache.registry import current_store
from sessions_app.conversations.history import DjangoChatMessageHistory

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as in a request


def pair(i: int) -> list:
    return [HumanMessage(content=f"question {i}"), AIMessage(content=f"answer {i}")]


def contents(messages) -> list[str]:
    return [m.content for m in messages]


@pytest.fixture
def warm(chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    history.add_messages(pair(0))
    history.get_recent_messages(10)  # fills the cache
    return history


def test_warm_append_and_read_costs_the_append_queries_only(warm, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    uncached = DjangoChatMessageHistory(warm.session_id, cache=False)
    with CaptureQueriesContext(connection) as plain:
        uncached.add_messages(pair(1))
    # 1 statement on PostgreSQL, the portable UPDATE + INSERT transaction on SQLite; no read.
    with django_assert_num_queries(len(plain.captured_queries)):
        window = warm.add_messages_and_get_recent(pair(2), 3)
    assert contents(window) == ["answer 1", "question 2", "answer 2"]
    # The cache holds the new messages for every other reader (0 queries).
    with django_assert_num_queries(0):
        other = DjangoChatMessageHistory(warm.session_id).get_recent_messages(4)
    assert contents(other) == ["question 1", "answer 1", "question 2", "answer 2"]


def test_same_result_as_the_two_calls(warm):
    combined = warm.add_messages_and_get_recent(pair(1), 4)
    warm.add_messages(pair(2))
    separate = warm.get_recent_messages(4)
    assert contents(combined) == ["question 0", "answer 0", "question 1", "answer 1"]
    assert contents(separate) == ["question 1", "answer 1", "question 2", "answer 2"]


def test_cold_session_reads_the_database_and_fills(chat_session, django_assert_num_queries):
    history = DjangoChatMessageHistory(chat_session.pk)
    assert contents(history.add_messages_and_get_recent(pair(0), 2)) == ["question 0", "answer 0"]
    with django_assert_num_queries(0):
        assert contents(history.get_recent_messages(2)) == ["question 0", "answer 0"]


def test_inside_a_transaction_it_reads_its_own_uncommitted_writes(warm):
    with transaction.atomic():
        window = warm.add_messages_and_get_recent(pair(1), 2)
        assert contents(window) == ["question 1", "answer 1"]
        # not in the cache before the commit
        assert [r["data"]["content"] for r in cache.read_window(warm.session_id, 2).records] == [
            "question 0", "answer 0"]
    # committed: the cache caught up
    assert [r["data"]["content"] for r in cache.read_window(warm.session_id, 2).records] == ["question 1", "answer 1"]


def test_a_cache_failure_falls_back_to_the_database_and_is_not_stale(warm, monkeypatch, caplog):
    store = current_store()

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(store, "append_and_read", broken)
    with caplog.at_level(logging.WARNING, logger="sessions_app.cache"):
        window = warm.add_messages_and_get_recent(pair(1), 2)
    assert contents(window) == ["question 1", "answer 1"]
    assert "cache append failed" in caplog.text
    monkeypatch.undo()
    # The lost update is repaired (the session is evicted once the cache answers): never stale.
    assert contents(DjangoChatMessageHistory(warm.session_id).get_recent_messages(2)) == ["question 1", "answer 1"]
