"""The active-session cache (``sessions_app.cache``): warm reads without the database, coherence
with writers, eviction by every service, TTLs, and O(window) misses. Runs on both backends
(django-redis + Lua with ``REDIS_URL``, the local-memory store otherwise)."""
from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app import cache
from sessions_app.conversations.chat import ChatTurn
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.llm import OfflineChatModel
from sessions_app.conversations.messages import messages_append, messages_clear
from sessions_app.conversations.sessions import (
    session_archive,
    session_create,
    session_delete,
    session_rename,
    session_set_cache_ttl,
    session_unarchive,
)
from sessions_app.exceptions import InvalidInput, SessionNotFound, SessionReadOnly
from sessions_app.models import ChatMessage, ChatSession

from .factories import ChatSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run writes as if committed: the services' after-commit cache updates execute."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def turn(i: int) -> list:
    return [HumanMessage(content=f"question {i}"), AIMessage(content=f"answer {i}")]


def add_turns(session, committed, start: int, count: int) -> None:
    history = DjangoChatMessageHistory(session.pk, cache=False)
    for i in range(start, start + count):
        with committed():
            history.add_messages(turn(i))


def contents(messages) -> list[str]:
    return [m.content for m in messages]


def test_warm_turn_reads_no_database(chat_session, owner, committed, django_assert_num_queries):
    add_turns(chat_session, committed, 0, 5)
    DjangoChatMessageHistory(chat_session.pk, user=owner).get_recent_messages(4)  # cold: fills
    with django_assert_num_queries(0):
        history = DjangoChatMessageHistory(chat_session.pk, user=owner)
        window = history.get_recent_messages(4)
    assert contents(window) == ["question 3", "answer 3", "question 4", "answer 4"]
    assert history.session.owner_id == owner.pk and not history.session.is_archived


def test_cold_read_is_one_bounded_query_then_warm(chat_session, committed, django_assert_num_queries):
    add_turns(chat_session, committed, 0, 80)  # 160 messages, more than the cached window (100)
    history = DjangoChatMessageHistory(chat_session.pk)
    with django_assert_num_queries(1) as captured:
        assert contents(history.get_recent_messages(2)) == ["question 79", "answer 79"]
    sql = captured.captured_queries[0]["sql"].upper()
    # One index range scan walking (session, seq) backwards, bounded: O(window), not O(session).
    assert "ORDER BY" in sql and "DESC" in sql and "LIMIT 100" in sql
    with django_assert_num_queries(0):
        assert len(history.get_recent_messages(100)) == 100
    # More than the cached window goes to the database, correctly.
    assert len(history.get_recent_messages(150)) == 150


def test_writes_from_elsewhere_keep_the_warm_window_exact(chat_session, committed, django_assert_num_queries):
    reader = DjangoChatMessageHistory(chat_session.pk)
    assert reader.get_recent_messages(10) == []  # fills an empty window
    add_turns(chat_session, committed, 0, 3)  # another history object, cache=False, still updates
    with django_assert_num_queries(0):
        assert contents(reader.get_recent_messages(3)) == ["answer 1", "question 2", "answer 2"]
    expected = list(
        ChatMessage.objects.filter(session=chat_session).order_by("seq").values_list("content_text", flat=True)
    )
    with django_assert_num_queries(0):
        assert contents(reader.get_recent_messages(10)) == expected


def test_a_lost_cache_update_is_a_miss_not_a_stale_window(chat_session, committed, django_assert_num_queries):
    history = DjangoChatMessageHistory(chat_session.pk)
    add_turns(chat_session, committed, 0, 2)
    history.get_recent_messages(10)
    # A writer's cache update for seqs 5-6 is lost (its process died after the commit) ...
    messages_append(session_id=chat_session.pk, messages=turn(2))
    # ... and the next writer's update lands: seqs 7-8 but a hole at 5-6.
    with committed():
        messages_append(session_id=chat_session.pk, messages=turn(3))
    with django_assert_num_queries(1):  # the hole is detected: a miss, read from the database
        assert contents(history.get_recent_messages(4)) == ["question 2", "answer 2", "question 3", "answer 3"]
    with django_assert_num_queries(0):  # and repopulated
        assert len(history.get_recent_messages(8)) == 8


def test_a_slow_reader_cannot_write_back_what_a_clear_removed(chat_session, committed):
    add_turns(chat_session, committed, 0, 2)
    before = cache.read_window(chat_session.pk, 10)  # a reader takes the epoch ...
    rows = list(ChatMessage.objects.filter(session=chat_session).order_by("seq").values_list("seq", "message"))
    with committed():
        messages_clear(session_id=chat_session.pk)  # ... a clear commits and evicts ...
    cache.fill_window(chat_session.pk, epoch=before.epoch, session=chat_session, records=rows)  # ... too late
    assert cache.read_window(chat_session.pk, 10).records is None
    assert DjangoChatMessageHistory(chat_session.pk).get_recent_messages(10) == []


@pytest.mark.parametrize(
    "action",
    ["clear", "archive", "unarchive", "delete", "rename", "set_ttl"],
)
def test_every_lifecycle_service_evicts(action, chat_session, committed, owner):
    add_turns(chat_session, committed, 0, 2)
    history = DjangoChatMessageHistory(chat_session.pk)
    history.get_recent_messages(10)
    assert history.cache_ttl_remaining is not None
    if action == "unarchive":
        with committed():
            session_archive(session=chat_session)
        history.get_recent_messages(10)
        assert history.cache_ttl_remaining is not None
    with committed():
        {
            "clear": lambda: messages_clear(session_id=chat_session.pk),
            "archive": lambda: session_archive(session=chat_session),
            "unarchive": lambda: session_unarchive(session=chat_session),
            "delete": lambda: session_delete(session_id=chat_session.pk),
            "rename": lambda: session_rename(session=chat_session, title="Renamed"),
            "set_ttl": lambda: session_set_cache_ttl(session=chat_session, seconds=120),
        }[action]()
    assert history.cache_ttl_remaining is None
    assert cache.read_meta(chat_session.pk) is None
    if action == "delete":
        with pytest.raises(SessionNotFound):
            DjangoChatMessageHistory(chat_session.pk, user=owner)
        return
    fresh = DjangoChatMessageHistory(chat_session.pk, user=owner)
    fresh.get_recent_messages(10)
    meta = cache.read_meta(chat_session.pk)
    assert meta is not None
    assert meta.status == ("archived" if action == "archive" else "active")
    if action == "rename":
        assert meta.title == "Renamed"
    if action == "clear":
        assert fresh.get_recent_messages(10) == []


def test_archived_warm_session_refuses_a_turn(chat_session, committed, owner):
    with committed():
        session_archive(session=chat_session)
    DjangoChatMessageHistory(chat_session.pk, user=owner).get_recent_messages(5)
    history = DjangoChatMessageHistory(chat_session.pk, user=owner)  # from the cache
    with pytest.raises(SessionReadOnly):
        ChatTurn(history=history, text="hello", model=OfflineChatModel())


def test_deleting_the_owner_evicts_their_sessions(chat_session, committed, owner):
    DjangoChatMessageHistory(chat_session.pk).get_recent_messages(5)
    assert cache.read_meta(chat_session.pk) is not None
    with committed():
        get_user_model().objects.filter(pk=owner.pk).delete()
    assert cache.read_meta(chat_session.pk) is None


def test_cached_session_still_goes_through_the_ownership_gate(chat_session, owner, other_user, committed):
    DjangoChatMessageHistory(chat_session.pk, user=owner).get_recent_messages(5)
    assert cache.read_meta(chat_session.pk) is not None
    with pytest.raises(SessionNotFound):
        DjangoChatMessageHistory(chat_session.pk, user=other_user)


def test_ttl_default_per_session_override_and_minimum(chat_session, committed):
    history = DjangoChatMessageHistory(chat_session.pk)
    assert history.cache_ttl_remaining is None  # not cached yet
    history.get_recent_messages(5)
    assert 1790 <= history.cache_ttl_remaining <= 1800
    with pytest.raises(InvalidInput):
        session_set_cache_ttl(session=chat_session, seconds=59)
    with committed():
        session_set_cache_ttl(session=chat_session, seconds=60)
    assert ChatSession.objects.get(pk=chat_session.pk).cache_ttl == 60
    history = DjangoChatMessageHistory(chat_session.pk)
    history.get_recent_messages(5)
    assert 50 <= history.cache_ttl_remaining <= 60
    with pytest.raises(InvalidInput):
        session_create(owner=chat_session.owner, cache_ttl=30)


def test_uncached_history_never_touches_the_cache(chat_session, committed, django_assert_num_queries):
    add_turns(chat_session, committed, 0, 2)
    history = DjangoChatMessageHistory(chat_session.pk, cache=False)
    with django_assert_num_queries(1):
        assert len(history.get_recent_messages(4)) == 4
    assert cache.read_meta(chat_session.pk) is None


def test_cached_entries_are_langchain_serialization(chat_session, committed):
    history = DjangoChatMessageHistory(chat_session.pk)
    with committed():
        history.add_messages([AIMessage(content="", tool_calls=[
            {"name": "lookup", "args": {"q": "x"}, "id": "call_1", "type": "tool_call"}])])
    history.get_recent_messages(5)
    window = cache.read_window(chat_session.pk, 5)
    assert window.records == [json.loads(json.dumps(r)) for r in ChatMessage.objects.values_list("message", flat=True)]
    assert history.get_recent_messages(5)[0].tool_calls[0]["name"] == "lookup"


def test_async_twin_reads_the_cache(chat_session, committed, django_assert_num_queries):
    from asgiref.sync import async_to_sync

    add_turns(chat_session, committed, 0, 1)
    history = DjangoChatMessageHistory(chat_session.pk)
    history.get_recent_messages(2)
    with django_assert_num_queries(0):
        assert contents(async_to_sync(history.aget_recent_messages)(2)) == ["question 0", "answer 0"]


def test_other_sessions_are_independent(owner, committed):
    first, second = ChatSessionFactory(owner=owner), ChatSessionFactory(owner=owner)
    add_turns(first, committed, 0, 1)
    add_turns(second, committed, 10, 1)
    assert contents(DjangoChatMessageHistory(first.pk).get_recent_messages(2)) == ["question 0", "answer 0"]
    assert contents(DjangoChatMessageHistory(second.pk).get_recent_messages(2)) == ["question 10", "answer 10"]


def test_reads_inside_the_writing_transaction_see_its_writes_and_never_fill(chat_session, committed):
    """ATOMIC_REQUESTS-style: append then read in one transaction; the cache learns at commit."""
    history = DjangoChatMessageHistory(chat_session.pk)
    assert history.get_recent_messages(4) == []  # warm and empty
    history.add_messages(turn(0))  # uncommitted: the cache update waits for the commit
    assert contents(history.get_recent_messages(4)) == ["question 0", "answer 0"]
    assert contents(DjangoChatMessageHistory(chat_session.pk).get_recent_messages(4)) == ["question 0", "answer 0"]
    assert cache.read_window(chat_session.pk, 4).records == []  # nothing uncommitted leaked into it
