"""The per-turn statements (``sessions_app.db``): one round trip each, prepared on PostgreSQL,
still Django's (errors, query log), and the schema they write into carries no redundant index."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app import cache
from sessions_app.conversations import selectors
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.messages import messages_append
from sessions_app.models import ChatMessage, ChatSession

pytestmark = pytest.mark.django_db


def pair(i: int) -> list:
    return [HumanMessage(content=f"question {i}"), AIMessage(content=f"answer {i}")]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.mark.postgres
def test_append_is_one_prepared_statement(chat_session, django_assert_num_queries):
    for i in range(2):
        with django_assert_num_queries(1) as captured:  # the hot statement is in Django's query log
            seqs = messages_append(session_id=chat_session.pk, messages=pair(i))
        assert seqs == [2 * i + 1, 2 * i + 2]
    assert captured.captured_queries[0]["sql"].startswith("WITH s AS (UPDATE")
    with connection.cursor() as cursor:  # same connection: psycopg prepared it once
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH s AS (UPDATE%%'")
        assert cursor.fetchone()[0] == 1


@pytest.mark.postgres
def test_append_accepts_a_session_id_given_as_text(chat_session):
    # Server-side binding sends parameters typed: a str id must still reach the uuid columns.
    assert messages_append(session_id=str(chat_session.pk), messages=pair(0)) == [1, 2]
    assert [m.content for m in selectors.messages_all(session_id=str(chat_session.pk))] == ["question 0", "answer 0"]


@pytest.mark.postgres
def test_hot_statement_errors_are_djangos(chat_session):
    from sessions_app.db import pg_fetchall

    with pytest.raises(DatabaseError):  # django.db.ProgrammingError, not psycopg's own class
        pg_fetchall("SELECT no_such_column FROM sessions_app_chatmessage", [])


def test_full_read_keeps_order_and_every_field(chat_session):
    tool_call = {"name": "lookup", "args": {"q": "x"}, "id": "call-1", "type": "tool_call"}
    messages = [HumanMessage(content="q", id="h1"), AIMessage(content="", tool_calls=[tool_call], id="a1"),
                AIMessage(content=[{"type": "text", "text": "list content"}], id="a2")]
    messages_append(session_id=chat_session.pk, messages=messages)
    messages_append(session_id=chat_session.pk, messages=pair(1))
    read = DjangoChatMessageHistory(chat_session.pk, cache=False).messages
    assert read[:3] == messages
    assert [m.content for m in read[3:]] == ["question 1", "answer 1"]


def test_from_session_skips_the_second_gate(chat_session, owner, committed, django_assert_num_queries):
    with committed():
        messages_append(session_id=chat_session.pk, messages=pair(0))
    session = selectors.session_get_for_user(session_id=chat_session.pk, user=owner)
    with django_assert_num_queries(0):
        history = DjangoChatMessageHistory.from_session(session)
    assert history.session is session and history.session_id == chat_session.pk
    assert [m.content for m in history.get_recent_messages(2)] == ["question 0", "answer 0"]
    cache.evict(chat_session.pk)
    # A miss with an unknown epoch re-reads the session before filling: 2 queries, then warm.
    with django_assert_num_queries(2):
        assert [m.content for m in history.get_recent_messages(2)] == ["question 0", "answer 0"]
    with committed():
        history.add_messages(pair(1))
    with django_assert_num_queries(0):
        assert [m.content for m in history.get_recent_messages(2)] == ["question 1", "answer 1"]


def _single_column_indexes(model) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {c["columns"][0] for c in constraints.values()
            if c["index"] and not c["primary_key"] and len(c["columns"]) == 1}


def test_no_redundant_foreign_key_indexes():
    # session_id is served by the (session_id, seq) unique index, owner_id by (owner_id, -last_active_at).
    assert "session_id" not in _single_column_indexes(ChatMessage)
    assert "owner_id" not in _single_column_indexes(ChatSession)
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ChatMessage._meta.db_table)
    assert any(c["unique"] and c["columns"] == ["session_id", "seq"] for c in constraints.values())


@pytest.mark.postgres
def test_a_batch_too_big_for_one_statement_is_still_atomic(chat_session):
    from sessions_app.conversations.messages import ONE_STATEMENT_MAX

    big = [HumanMessage(content=f"m{i}") for i in range(ONE_STATEMENT_MAX + 1)]
    assert messages_append(session_id=chat_session.pk, messages=big) == list(range(1, len(big) + 1))
    assert messages_append(session_id=chat_session.pk, messages=pair(0)) == [len(big) + 1, len(big) + 2]
    chat_session.refresh_from_db()
    assert chat_session.message_count == chat_session.last_seq == len(big) + 2


@pytest.mark.parametrize("enabled_before", [True, False])
def test_gc_is_paused_for_a_bulk_build_and_restored(enabled_before):
    import gc

    from sessions_app.conversations.serialization import GC_PAUSE_MIN_RECORDS, from_records, gc_paused, to_record

    records = [to_record(m) for m in pair(0)] * (GC_PAUSE_MIN_RECORDS // 2 + 1)
    (gc.enable if enabled_before else gc.disable)()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled_before
        messages = from_records(records)
        assert gc.isenabled() is enabled_before
        assert [m.content for m in messages[:2]] == ["question 0", "answer 0"] and len(messages) == len(records)
        with pytest.raises(RuntimeError), gc_paused():
            raise RuntimeError("an error inside still restores the collector")
        assert gc.isenabled() is enabled_before
    finally:
        gc.enable()
