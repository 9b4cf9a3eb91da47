"""``import_conversations`` and ``conversations_import``: bulk, idempotent, all or nothing."""
from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from langchain_core.messages import AIMessage, HumanMessage, message_to_dict

from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.messages import messages_append
from sessions_app.exceptions import InvalidInput
from sessions_app.models import AuditLogEntry, ChatMessage, ChatSession
from sessions_app.transfer.importers import ParsedConversation, iter_conversations
from sessions_app.transfer.imports import conversations_import, import_session_id

DATA = Path(__file__).parent / "data" / "import"
pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_conversations", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_sharegpt_writes_sessions_messages_and_a_summary(owner):
    out, _ = run(str(DATA / "sharegpt_valid.json"), "--format", "sharegpt", "--owner", owner.username)
    assert "Imported 3 conversations (15 messages); skipped 1 already imported, 1 empty, 0 invalid;" in out
    session = ChatSession.objects.get(
        pk=import_session_id(owner_id=owner.pk, source_format="sharegpt", source_id="conv-a")
    )
    assert session.owner == owner and session.title == "What is the capital of France?"
    assert session.metadata == {"source": {"format": "sharegpt", "id": "conv-a"}}
    assert (session.message_count, session.last_seq) == (4, 4)
    assert list(session.messages.order_by("seq").values_list("seq", "type")) == [
        (1, "human"), (2, "ai"), (3, "human"), (4, "ai"),
    ]
    parsed: dict[str, ParsedConversation] = {}
    for conversation in _parse("sharegpt_valid.json", "sharegpt"):
        parsed.setdefault(conversation.source_id, conversation)  # the first of a repeated id wins
    for source_id in ("conv-a", "conv-b", "conv-tools"):
        session_id = import_session_id(owner_id=owner.pk, source_format="sharegpt", source_id=source_id)
        stored = DjangoChatMessageHistory(session_id, user=owner).messages
        assert [message_to_dict(m) for m in stored] == [message_to_dict(m) for m in parsed[source_id].messages]
    assert ChatMessage.objects.get(session__metadata__source__id="conv-tools", seq=4).content_text == (
        "It is -3 °C in Oslo. ☃"
    )
    entry = AuditLogEntry.objects.get(action="import")
    assert (entry.sessions, entry.messages, entry.details["format"]) == (3, 15, "sharegpt")


def test_import_is_idempotent_on_the_conversation_id(owner, other_user):
    path = str(DATA / "sharegpt_valid.json")
    run(path, "--format", "sharegpt", "--owner", owner.username)
    before = (ChatSession.objects.count(), ChatMessage.objects.count())
    out, _ = run(path, "--format", "sharegpt", "--owner", owner.username, "--batch-size", "2")
    assert "Imported 0 conversations (0 messages); skipped 4 already imported, 1 empty" in out
    assert (ChatSession.objects.count(), ChatMessage.objects.count()) == before
    assert AuditLogEntry.objects.filter(action="import").count() == 1  # nothing imported, nothing audited
    # another owner gets their own copies (the id includes the owner)
    run(path, "--format", "sharegpt", "--owner", other_user.username)
    assert ChatSession.objects.filter(owner=other_user).count() == 3


def test_malformed_file_is_refused_whole_with_the_place(owner):
    with pytest.raises(CommandError) as caught:
        run(str(DATA / "sharegpt_unknown_role.json"), "--format", "sharegpt", "--owner", owner.username)
    text = str(caught.value)
    assert "1 problem(s), nothing was imported" in text
    assert 'conversation #2 (id "abc"), message 3: unknown role "foo"' in text
    assert ChatSession.objects.count() == 0 and ChatMessage.objects.count() == 0


def test_truncated_file_is_refused_unless_skip_invalid(owner):
    path = str(DATA / "sharegpt_truncated.json")
    with pytest.raises(CommandError, match="conversation #2: the file ends in the middle of this conversation"):
        run(path, "--format", "sharegpt", "--owner", owner.username)
    assert ChatSession.objects.count() == 0
    out, err = run(path, "--format", "sharegpt", "--owner", owner.username, "--skip-invalid")
    assert "Imported 1 conversations (1 messages); skipped 0 already imported, 0 empty, 1 invalid" in out
    assert "skipped (--skip-invalid)" in err and "conversation #2" in err
    assert ChatSession.objects.get().title == "complete"


def test_skip_invalid_imports_every_valid_conversation_of_a_mixed_file(owner):
    out, err = run(
        str(DATA / "sharegpt_bad_shapes.json"), "--format", "sharegpt", "--owner", owner.username, "--skip-invalid"
    )
    assert "Imported 1 conversations" in out and "5 invalid" in out
    assert err.count("conversation #") == 5


def test_dry_run_and_limit_write_nothing_or_only_the_first(owner):
    path = str(DATA / "sharegpt_valid.json")
    out, _ = run(path, "--format", "sharegpt", "--owner", owner.username, "--dry-run")
    assert out.startswith("Would import 3 conversations (15 messages); skipped 1 already imported, 1 empty")
    assert ChatSession.objects.count() == 0
    out, _ = run(path, "--format", "sharegpt", "--owner", owner.username, "--limit", "2")
    assert "Imported 2 conversations (11 messages)" in out
    assert ChatSession.objects.count() == 2


def test_import_chatgpt_export_keeps_branch_and_times(owner):
    out, _ = run(str(DATA / "chatgpt_export.json"), "--format", "chatgpt", "--owner", owner.username)
    assert "Imported 2 conversations (6 messages)" in out
    session = ChatSession.objects.get(title="Branching chat")
    assert session.created_at.timestamp() == 1700000000.5
    assert session.last_active_at.timestamp() == 1700000600.0
    assert session.metadata["source"] == {
        "format": "chatgpt", "id": "c0ffee00-0000-4000-8000-000000000001", "skipped_nodes": 3,
        "default_model_slug": "gpt-4o",
    }
    rows = list(session.messages.order_by("seq").values_list("seq", "content_text", "created_at"))
    assert [r[1] for r in rows] == ["Tell me a joke", "Regenerated answer", "What is in this picture?", "A cat."]
    assert rows[0][2].timestamp() == 1700000001.0


def test_command_argument_errors(owner):
    with pytest.raises(CommandError, match='no user "nobody"'):
        run(str(DATA / "sharegpt_valid.json"), "--format", "sharegpt", "--owner", "nobody")
    with pytest.raises(CommandError, match="no such file"):
        run(str(DATA / "missing.json"), "--format", "sharegpt", "--owner", owner.username)
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run(str(DATA / "sharegpt_valid.json"), "--format", "sharegpt", "--owner", owner.username, "--batch-size", "0")


def test_progress_bar_is_drawn_on_stderr(owner):
    out, err = StringIO(), StringIO()
    call_command(
        "import_conversations", str(DATA / "sharegpt_valid.json"), "--format", "sharegpt", "--owner", owner.username,
        stdout=out, stderr=err,
    )
    assert "importing" in err.getvalue() and "Imported 3 conversations" in out.getvalue()


def test_imported_sessions_accept_new_messages_after_the_imported_ones(owner):
    run(str(DATA / "sharegpt_valid.json"), "--format", "sharegpt", "--owner", owner.username)
    session_id = import_session_id(owner_id=owner.pk, source_format="sharegpt", source_id="conv-a")
    assert messages_append(session_id=session_id, messages=[HumanMessage("more")]) == [5]


@pytest.fixture
def poisoned_messages_table(db):
    """A trigger that makes the database refuse a message whose text is ``poison`` (created in the
    test's transaction, so it is rolled back with it): a database error inside the messages INSERT
    (PostgreSQL: the COPY; SQLite: bulk_create), after the batch's sessions were inserted."""
    table = ChatMessage._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION pg_temp.poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.content_text = 'poison' THEN RAISE EXCEPTION 'poisoned row' USING ERRCODE = '22023'; END IF; "
                "RETURN NEW; END $$"
            )
            cursor.execute(f"CREATE TRIGGER poison BEFORE INSERT ON {table} FOR EACH ROW "
                           "EXECUTE FUNCTION pg_temp.poison()")
        else:
            cursor.execute(f"CREATE TEMP TRIGGER poison BEFORE INSERT ON {table} WHEN NEW.content_text = 'poison' "
                           "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END")
    yield
    with connection.cursor() as cursor:
        on_table = f" ON {table}" if connection.vendor == "postgresql" else ""
        cursor.execute(f"DROP TRIGGER poison{on_table}")


def test_a_failing_batch_leaves_nothing_of_it(owner, poisoned_messages_table):
    """A database error in the messages INSERT rolls back the sessions of the same batch."""
    good = ParsedConversation("sharegpt", "good", 1, "good", [HumanMessage("fine")])
    bad = ParsedConversation("sharegpt", "bad", 2, "bad", [AIMessage("poison")])
    with pytest.raises(DatabaseError, match="poisoned row"):
        conversations_import(owner=owner, conversations=[good, bad], batch_size=10)
    assert ChatSession.objects.count() == 0 and ChatMessage.objects.count() == 0
    summary = conversations_import(owner=owner, conversations=[good], batch_size=10)
    assert (summary.imported, summary.messages) == (1, 1)


def test_service_rejects_bad_batch_size(owner):
    with pytest.raises(InvalidInput, match="batch_size"):
        conversations_import(owner=owner, conversations=[], batch_size=0)


def _parse(name: str, source_format: str) -> list[ParsedConversation]:
    with (DATA / name).open("rb") as fp:
        return [c for c in iter_conversations(fp, source_format=source_format)]
