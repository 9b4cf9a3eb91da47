"""``DjangoChatMessageHistory`` beyond the shared contract: storage details and errors."""
from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.sessions import session_archive, session_delete, session_unarchive
from sessions_app.exceptions import InvalidInput, SessionGone, SessionNotFound, SessionReadOnly
from sessions_app.models import ChatMessage, ChatSession

pytestmark = pytest.mark.django_db


def test_unknown_session_id_is_a_clear_error_and_creates_nothing():
    with pytest.raises(SessionNotFound, match="no session"):
        DjangoChatMessageHistory(uuid.uuid4())
    assert ChatSession.objects.count() == 0


def test_malformed_session_id_is_not_found():
    with pytest.raises(SessionNotFound, match="not a session id"):
        DjangoChatMessageHistory("not-a-uuid")


def test_history_scoped_to_user_refuses_another_users_session(chat_session, other_user):
    with pytest.raises(SessionNotFound):
        DjangoChatMessageHistory(chat_session.pk, user=other_user)


def test_seq_is_gap_free_and_count_and_activity_follow(chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    before = chat_session.last_active_at
    history.add_messages([HumanMessage(content="a"), AIMessage(content="b")])
    history.add_messages([HumanMessage(content="c")])
    assert list(ChatMessage.objects.filter(session=chat_session).order_by("seq").values_list("seq", flat=True)) == [
        1, 2, 3
    ]
    chat_session.refresh_from_db()
    assert chat_session.message_count == 3
    assert chat_session.last_seq == 3
    assert chat_session.last_active_at >= before


def test_stored_row_is_langchain_serialization_and_plain_text(chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    history.add_messages([HumanMessage(content=[{"type": "text", "text": "hello"}, {"type": "text", "text": "world"}])])
    row = ChatMessage.objects.get(session=chat_session)
    assert row.type == "human"
    assert row.message["type"] == "human"
    assert row.message["data"]["content"][0] == {"type": "text", "text": "hello"}
    assert row.content_text == "hello\nworld"


def test_batch_is_one_insert(chat_session, django_assert_max_num_queries):
    history = DjangoChatMessageHistory(chat_session.pk)
    batch = [HumanMessage(content=str(i)) for i in range(50)]
    # PostgreSQL: one statement (WITH … UPDATE … RETURNING) INSERT …; elsewhere reserve seqs +
    # one multi-row INSERT, plus savepoint/transaction bookkeeping
    with django_assert_max_num_queries(4) as captured:
        history.add_messages(batch)
    inserts = [q for q in captured.captured_queries if "INSERT INTO" in q["sql"].upper()]
    assert len(inserts) == 1
    assert len(history.messages) == 50


def test_clear_keeps_seq_increasing(chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    history.add_messages([HumanMessage(content="a"), AIMessage(content="b")])
    history.clear()
    history.add_messages([HumanMessage(content="c")])
    assert list(ChatMessage.objects.filter(session=chat_session).values_list("seq", flat=True)) == [3]
    chat_session.refresh_from_db()
    assert chat_session.message_count == 1


def test_recent_window_is_the_tail_in_order(chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    history.add_messages([HumanMessage(content=str(i)) for i in range(30)])
    assert [m.content for m in history.get_recent_messages(5)] == ["25", "26", "27", "28", "29"]
    assert history.get_recent_messages(0) == []


def test_append_after_delete_is_gone_and_does_not_resurrect(chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    session_delete(session_id=chat_session.pk)
    with pytest.raises(SessionGone):
        history.add_messages([HumanMessage(content="too late")])
    assert not ChatSession.objects.filter(pk=chat_session.pk).exists()
    assert not ChatMessage.objects.filter(session_id=chat_session.pk).exists()


def test_append_to_archived_session_is_read_only(chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    session_archive(session=chat_session)
    with pytest.raises(SessionReadOnly):
        history.add_messages([HumanMessage(content="nope")])
    session_unarchive(session=chat_session)
    history.add_messages([HumanMessage(content="yes")])
    assert [m.content for m in history.messages] == ["yes"]


def test_non_message_is_invalid_input(chat_session):
    history = DjangoChatMessageHistory(chat_session.pk)
    with pytest.raises(InvalidInput):
        history.add_messages(["just a string"])  # type: ignore[list-item]
    assert history.messages == []
