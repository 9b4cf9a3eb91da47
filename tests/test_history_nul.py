"""Messages holding NUL (U+0000) or surrogates are kept exactly (issue 11, fix 6).

PostgreSQL refuses U+0000 in ``jsonb`` and ``text`` and UTF-8 cannot carry surrogates (bytes
decoded with ``errors="surrogateescape"``); before ``models.fields.MessageField`` a LangChain app
whose tool returned binary-ish text crashed on append (``DataError`` / ``UnicodeEncodeError``). Every path
that writes or reads a message is checked here, on both backends: the history (sync, async, cache
and database reads), the one-statement and the portable append, ``RunnableWithMessageHistory``,
the JSON API, export and import (native and ShareGPT), branches and search.
"""
from __future__ import annotations

import asyncio
import io
import json
import re
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage, message_to_dict
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory

from sessions_app import cache
from sessions_app.conversations.branches import session_branch
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.messages import ONE_STATEMENT_MAX, messages_append
from sessions_app.conversations.selectors import messages_all, messages_window
from sessions_app.exceptions import InvalidInput
from sessions_app.models import ChatMessage
from sessions_app.models.fields import ESCAPE, ESCAPED_MARKER, escape_record, json_may_need_escape, unescape_record
from sessions_app.search import conversations_search
from sessions_app.transfer import parse_session_document
from sessions_app.transfer.importers import iter_conversations
from sessions_app.transfer.imports import conversations_import
from sessions_app.transfer.services import session_export, session_import

pytestmark = pytest.mark.django_db

# Every character the escaping touches, next to the characters its escapes are made of.
TRICKY = f"a\x00b {ESCAPE} {ESCAPE}0 {ESCAPE}e {ESCAPE}ud800 \x00\x00{ESCAPE}{ESCAPE}0 \udc80\udcff\ud800 😀 end"
# Bytes as Python decodes them with errors="surrogateescape" (a tool reading a binary file).
BINARY = b"PK\x03\x04\x00\xff\xfe text".decode("utf-8", "surrogateescape")


def nul_messages() -> list:
    return [
        HumanMessage(f"what is in file\x00.bin? {ESCAPE}", id="h-1"),
        AIMessage(
            "", tool_calls=[{"name": "read", "args": {"path": "file\x00.bin", "k\x00ey": [TRICKY]}, "id": "c-1",
                             "type": "tool_call"}],
            additional_kwargs={"raw\x00": "\x00\x01\x02"},
        ),
        ToolMessage(f"{BINARY} {TRICKY}", tool_call_id="c-1", name="read"),
        AIMessage([{"type": "text", "text": "It starts with PK\x00."}]),
    ]


def assert_same(got: list, want: list) -> None:
    assert [message_to_dict(m) for m in got] == [message_to_dict(m) for m in want]


UNSTORABLE = re.compile("\x00|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]")


def strings(value) -> list[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value, *(s for v in value.values() for s in strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


json_text = st.text(alphabet=st.sampled_from(["\x00", ESCAPE, "0", "e", "u", "d", "8", "a", "\\", "\udc80", "\ud800",
                                               "\udfff", "😀", "é"]), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | json_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(json_text, json_values, max_size=5))
def test_escaping_is_exactly_reversible_and_leaves_no_nul(record):
    record.pop(ESCAPED_MARKER, None)
    stored = escape_record(record)
    assert not any(UNSTORABLE.search(text) for text in strings(stored))
    # What any JSON store gives back: the record as JSON reads it (a high + low surrogate pair
    # becomes the character it encodes; see models.fields).
    assert unescape_record(json.loads(json.dumps(stored))) == json.loads(json.dumps(record))
    if not any(UNSTORABLE.search(text) for text in strings(record)):
        assert stored is record  # nothing to escape: stored as it is, no marker


@pytest.mark.parametrize(
    ("text", "suspect"),
    [("a\x00", True), ("\udc80", True), ("\ud800", True), ("x\udfff", True), ("😀\udc80", True), ("\udc80😀", True),
     ("😀😀", False), (ESCAPE, False), ("Grüße", False), ("plain", False)],
)
def test_the_json_test_finds_nul_and_lone_surrogates_not_emoji(text, suspect):
    assert json_may_need_escape(json.dumps({"t": text})) is suspect


def test_a_corrupted_escape_is_a_clear_error_not_a_guess():
    with pytest.raises(ValueError, match="U\\+E000"):
        unescape_record({"type": "human", "data": {"content": f"x{ESCAPE}z"}, ESCAPED_MARKER: True})


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "database"])
def test_the_history_keeps_nul_exactly(chat_session, cached):
    history = DjangoChatMessageHistory(chat_session.pk)
    history.add_messages(nul_messages())
    history.add_messages([HumanMessage("plain, no NUL")])
    if not cached:
        cache.evict(chat_session.pk)
    want = [*nul_messages(), HumanMessage("plain, no NUL")]
    assert_same(DjangoChatMessageHistory(chat_session.pk).messages, want)
    assert_same(messages_all(session_id=chat_session.pk), want)
    assert_same(messages_window(session_id=chat_session.pk, limit=2), want[-2:])
    assert_same([row.to_langchain() for row in ChatMessage.objects.filter(session=chat_session).order_by("seq")], want)


def test_stored_rows_hold_no_nul_and_show_the_replacement_character(chat_session):
    messages_append(session_id=chat_session.pk, messages=nul_messages())
    rows = {seq: (record, text) for seq, record, text in
            ChatMessage.objects.filter(session=chat_session).values_list("seq", "message", "content_text")}
    assert rows[1][1] == f"what is in file\ufffd.bin? {ESCAPE}"
    assert rows[4][1] == "It starts with PK\ufffd."
    assert rows[3][1].startswith("PK\x03\x04\ufffd\ufffd\ufffd text a\ufffdb")
    assert rows[1][0] == message_to_dict(nul_messages()[0])  # the ORM reads the exact record back
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, message::text FROM {ChatMessage._meta.db_table} WHERE session_id = %s "
                           "ORDER BY seq", [chat_session.pk])
            raw = dict(cursor.fetchall())
        assert all(f'"{ESCAPED_MARKER}": true' in raw[seq] for seq in (1, 2, 3, 4))


def test_a_message_without_nul_is_stored_as_langchain_wrote_it(chat_session):
    """No marker, and a U+E000 of its own is left alone: rows written before the escaping read the same."""
    message = HumanMessage(f"private use {ESCAPE}0 {ESCAPE}e")
    messages_append(session_id=chat_session.pk, messages=[message])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT message FROM {ChatMessage._meta.db_table} WHERE session_id = %s",
                       [ChatMessage._meta.get_field("session").get_db_prep_value(chat_session.pk, connection)])
        (raw,) = cursor.fetchone()
    stored = json.loads(raw) if isinstance(raw, str) else raw
    assert stored == message_to_dict(message) and ESCAPED_MARKER not in stored


def test_a_batch_past_one_statement_takes_the_portable_path_and_keeps_nul(chat_session):
    batch = [HumanMessage(f"{i}\x00{ESCAPE}") for i in range(ONE_STATEMENT_MAX + 1)]
    messages_append(session_id=chat_session.pk, messages=batch)
    cache.evict(chat_session.pk)
    assert_same(DjangoChatMessageHistory(chat_session.pk).messages, batch)


def test_max_chars_counts_the_text_as_shown(chat_session):
    with pytest.raises(InvalidInput, match="longer than 3"):
        messages_append(session_id=chat_session.pk, messages=[HumanMessage("\x00\x00\x00\x00")], max_chars=3)
    assert not ChatMessage.objects.filter(session=chat_session).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_to_async_connections_closed")
def test_the_async_twins_keep_nul(owner, monkeypatch):
    """``afor_user`` / ``aadd_messages`` / ``aget_messages`` on a loop, the ORM refused there."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)

    async def scenario() -> list:
        history = await DjangoChatMessageHistory.afor_user(user_id=owner.pk, session_id=uuid.uuid4())
        await history.aadd_messages(nul_messages())
        await sync_to_async(cache.evict)(history.session_id)
        fresh = await DjangoChatMessageHistory.afor_user(user_id=owner.pk, session_id=history.session_id)
        return await fresh.aget_messages()

    assert_same(asyncio.run(scenario()), nul_messages())


def test_runnable_with_message_history_when_a_model_answers_with_nul(chat_session):
    """What crashed before: a LangChain app whose model (or tool) returned binary-ish text."""
    model = GenericFakeChatModel(messages=iter([AIMessage("\x00\x01 header"), AIMessage("second \x00")]))
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])

    def get_history(session_id: str) -> BaseChatMessageHistory:
        return DjangoChatMessageHistory(session_id)

    chain = RunnableWithMessageHistory(prompt | model, get_history, input_messages_key="question",
                                       history_messages_key="history")
    config = {"configurable": {"session_id": str(chat_session.pk)}}
    chain.invoke({"question": "dump\x00it"}, config=config)
    chain.invoke({"question": "again"}, config=config)
    cache.evict(chat_session.pk)
    contents = [m.content for m in DjangoChatMessageHistory(chat_session.pk).messages]
    assert contents == ["dump\x00it", "\x00\x01 header", "again", "second \x00"]


def test_the_api_returns_the_exact_record(owner_api, chat_session):
    messages_append(session_id=chat_session.pk, messages=nul_messages())
    response = owner_api.get(f"/api/sessions/{chat_session.pk}/messages")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["message"] for item in items] == [message_to_dict(m) for m in nul_messages()]
    assert items[0]["content"] == f"what is in file\ufffd.bin? {ESCAPE}"


def test_export_then_import_round_trips_nul(chat_session, other_user):
    messages_append(session_id=chat_session.pk, messages=nul_messages())
    chat_session.refresh_from_db()
    out = io.StringIO()
    session_export(session=chat_session, fp=out, actor="test")
    document = json.loads(out.getvalue())
    assert f'"{ESCAPED_MARKER}": true' not in out.getvalue()
    assert document["messages"][0]["message"] == message_to_dict(nul_messages()[0])
    copy = session_import(document=parse_session_document(document), owner=other_user, new_id=True, actor="test")
    assert_same(DjangoChatMessageHistory(copy.pk).messages, nul_messages())


def test_a_native_import_may_not_bring_the_storage_marker(chat_session):
    messages_append(session_id=chat_session.pk, messages=[HumanMessage("x")])
    chat_session.refresh_from_db()
    out = io.StringIO()
    session_export(session=chat_session, fp=out, actor="test")
    document = json.loads(out.getvalue())
    document["messages"][0]["message"][ESCAPED_MARKER] = True
    with pytest.raises(InvalidInput, match=rf'messages\[0\]\.message: "{ESCAPED_MARKER}" is reserved'):
        parse_session_document(document)


def test_a_sharegpt_import_keeps_nul(owner):
    data = json.dumps([{"id": "bin", "conversations": [{"from": "human", "value": "a\x00b"},
                                                       {"from": "gpt", "value": f"c\x00{ESCAPE}d"}]}]).encode()
    parsed = iter_conversations(io.BytesIO(data), source_format="sharegpt")
    summary = conversations_import(owner=owner, conversations=parsed)
    assert (summary.imported, summary.messages) == (1, 2)
    row = ChatMessage.objects.get(seq=2, session__owner=owner)
    assert row.message["data"]["content"] == f"c\x00{ESCAPE}d" and row.content_text == f"c\ufffd{ESCAPE}d"
    assert [m.content for m in DjangoChatMessageHistory(row.session_id).messages] == ["a\x00b", f"c\x00{ESCAPE}d"]
    assert row.session.title == "a\ufffdb"


def test_a_branch_copies_nul_exactly(chat_session):
    messages_append(session_id=chat_session.pk, messages=nul_messages())
    branched = session_branch(session=chat_session, before_seq=4)
    assert_same(DjangoChatMessageHistory(branched.session.pk).messages, nul_messages()[:3])


def test_search_finds_the_words_around_a_nul(chat_session, owner):
    messages_append(session_id=chat_session.pk, messages=[HumanMessage("zebra\x00giraffe \udc80 okapi")])
    assert [r.session_id for r in conversations_search(user=owner, text="giraffe").results] == [chat_session.pk]
    assert [r.session_id for r in conversations_search(user=owner, text="okapi").results] == [chat_session.pk]
