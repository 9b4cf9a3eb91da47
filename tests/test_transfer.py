"""Export / import of one session: the format, byte-exact round trip, errors that name the place."""
from __future__ import annotations

import io
import json
import re
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage, messages_to_dict

from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_archive, session_create, session_delete
from sessions_app.governance import state
from sessions_app.models import AuditLogEntry, ChatMessage, ChatSession, SessionState
from sessions_app.transfer import parse_session_document
from sessions_app.transfer.services import SessionExists, session_export, session_import

pytestmark = pytest.mark.django_db

CONVERSATION = [
    SystemMessage("You are terse."),
    HumanMessage("Wie spät ist es in 東京? 🕑", additional_kwargs={"client": "web"}, id="h-1"),
    AIMessage(
        "",
        tool_calls=[{"name": "clock", "args": {"tz": "Asia/Tokyo"}, "id": "call-1", "type": "tool_call"}],
        response_metadata={"model_name": "stub", "finish_reason": "tool_calls"},
        usage_metadata={"input_tokens": 12, "output_tokens": 3, "total_tokens": 15},
    ),
    ToolMessage("03:10", tool_call_id="call-1", name="clock"),
    AIMessage([{"type": "text", "text": "It is 03:10 in Tokyo."}], name="assistant"),
]


@pytest.fixture
def rich_session(owner):
    session = session_create(
        owner=owner, title="Tokyo time", tenant="acme", metadata={"channel": "web", "language": "de", "n": [1, 2.5]},
    )
    messages_append(session_id=session.pk, messages=CONVERSATION[:2])
    messages_append(session_id=session.pk, messages=CONVERSATION[2:])
    state.save_state(session.pk, {"step": "ask", "cart": []}, tag="start")
    state.save_state(session.pk, {"step": "answer", "cart": ["clock"], "ratio": 0.5})
    state.rollback(session.pk, "start")
    session_archive(session=session, actor=owner)
    session.refresh_from_db()
    return session


def _export(session: ChatSession) -> str:
    out = io.StringIO()
    session_export(session=session, fp=out, actor="test")
    return out.getvalue()


def _mask(text: str, *names: str) -> str:
    for name in names:
        text = re.sub(rf'"{name}": "[^"]*"', f'"{name}": "…"', text)
    return text


def test_document_format(rich_session):
    doc = json.loads(_export(rich_session))
    assert (doc["format"], doc["format_version"]) == ("chatmemory.session", 1)
    assert doc["session"]["id"] == str(rich_session.pk) and doc["session"]["owner"] == "olivia"
    assert doc["session"]["status"] == "archived" and doc["session"]["metadata"]["language"] == "de"
    assert [m["seq"] for m in doc["messages"]] == [1, 2, 3, 4, 5]
    assert [m["message"] for m in doc["messages"]] == messages_to_dict(CONVERSATION)  # LangChain's own shape
    assert [(s["version"], s["tag"], s["source_version"]) for s in doc["state_versions"]] == [
        (1, "start", None), (2, None, None), (3, None, 1),
    ]
    entry = AuditLogEntry.objects.get(action="export")
    assert (entry.session_id, entry.messages, entry.details["state_versions"]) == (rich_session.pk, 5, 3)


def test_round_trip_is_byte_for_byte_apart_from_id_and_exported_at(rich_session, tmp_path: Path, capsys):
    first = tmp_path / "first.json"
    call_command("export_session", str(rich_session.pk), "-o", str(first))
    call_command("import_session", str(first), "--new-id")
    new_id = re.search(r"Imported session ([0-9a-f-]{36})", capsys.readouterr().out).group(1)
    second = tmp_path / "second.json"
    call_command("export_session", new_id, "-o", str(second))
    a, b = first.read_text(encoding="utf-8"), second.read_text(encoding="utf-8")
    assert a != b
    assert _mask(a.replace(str(rich_session.pk), new_id), "exported_at") == _mask(b, "exported_at")
    copy = ChatSession.objects.get(pk=new_id)
    assert copy.status == "archived" and copy.message_count == 5 and copy.last_seq == 5
    history = DjangoChatMessageHistory(new_id)
    assert history.messages == CONVERSATION  # equal LangChain objects, tool calls and all
    assert state.load_state(new_id) == {"step": "ask", "cart": []}
    ops = sorted(map(json.dumps, state.diff_versions(new_id, 1, 2)))
    assert ops == sorted(map(json.dumps, state.diff_versions(rich_session.pk, 1, 2)))
    assert list(AuditLogEntry.objects.filter(action__in=["export", "import"]).order_by("id").values_list(
        "action", "actor")) == [
        ("export", "command:export_session"),
        ("import", "command:import_session"),
        ("export", "command:export_session"),
    ]


def test_import_keeps_the_id_by_default_and_refuses_a_taken_one(rich_session, other_user, tmp_path):
    path = tmp_path / "s.json"
    path.write_text(_export(rich_session), encoding="utf-8")
    with pytest.raises(CommandError, match="already exists"):
        call_command("import_session", str(path))
    session_delete(session_id=rich_session.pk, actor=None)
    # a deleted conversation never comes back under its id (issue 11); a new id is fine
    with pytest.raises(CommandError, match="was deleted; import it with a new id"):
        call_command("import_session", str(path), "--owner", "mallory")
    assert not ChatSession.objects.filter(pk=rich_session.pk).exists()
    call_command("import_session", str(path), "--owner", "mallory", "--new-id")
    assert ChatSession.objects.get(owner=other_user).title == rich_session.title
    chosen = uuid.uuid4()
    call_command("import_session", str(path), "--session-id", str(chosen))
    assert ChatSession.objects.get(pk=chosen).owner.username == "olivia"


def test_import_for_an_unknown_owner_asks_for_one(rich_session):
    document = parse_session_document(json.loads(_export(rich_session)))
    document.owner = "ghost"
    with pytest.raises(Exception, match="no user 'ghost'"):
        session_import(document=document, actor=None, new_id=True)
    with pytest.raises(SessionExists):
        session_import(document=parse_session_document(json.loads(_export(rich_session))), actor=None)


def _broken(doc: dict, path: str, value) -> dict:
    target = doc
    keys = re.findall(r"[^.\[\]]+", path)
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("format", "sharegpt", "format: expected 'chatmemory.session'"),
        ("format_version", 2, "format_version: unsupported version 2"),
        ("session.id", "nope", "session.id: 'nope' is not a UUID"),
        ("session.status", "deleted", "session.status: unknown status 'deleted'"),
        ("session.created_at", "yesterday", "session.created_at: 'yesterday' is not an ISO 8601 timestamp"),
        ("session.metadata", [1], "session.metadata: expected an object, got an array"),
        ("messages.3.message.type", "robot", "messages[3].message.type: unknown message type 'robot'"),
        ("messages.2.seq", 1, "messages[2].seq: 1 does not follow 2"),
        ("messages.1.message.data", "hi", "messages[1].message.data: expected an object, got a string"),
        ("messages.4.created_at", "2026-01-01T00:00:00", "messages[4].created_at: '2026-01-01T00:00:00' has no UTC"),
        ("messages.0.message.data.content", KeyError, "messages[0].message: LangChain cannot read it"),
        ("state_versions.1.version", 1, "state_versions[1].version: 1 does not follow 1"),
        ("state_versions.1.tag", "start", "state_versions[1].tag: tag 'start' is used twice"),
        ("state_versions.2.state", KeyError, "state_versions[2].state: missing"),
    ],
)
def test_a_bad_file_names_the_place_and_imports_nothing(rich_session, tmp_path, path, value, message):
    doc = _broken(json.loads(_export(rich_session)), path, value)
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(doc), encoding="utf-8")
    before = (ChatSession.objects.count(), ChatMessage.objects.count(), SessionState.objects.count())
    with pytest.raises(CommandError) as excinfo:
        call_command("import_session", str(file), "--new-id")
    assert message in str(excinfo.value) and str(file) in str(excinfo.value)
    assert before == (ChatSession.objects.count(), ChatMessage.objects.count(), SessionState.objects.count())
    assert not AuditLogEntry.objects.filter(action="import").exists()


def test_invalid_json_and_missing_file_are_clear(tmp_path, db):
    file = tmp_path / "broken.json"
    file.write_text('{"format": "chatmemory.session",\n  "format_version": 1,,}', encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 2 column 23: invalid JSON"):
        call_command("import_session", str(file))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_session", str(tmp_path / "missing.json"))


def test_a_failure_mid_write_leaves_nothing(rich_session):
    """Messages and state are written in one transaction with the session: a failing state insert undoes all."""
    document = parse_session_document(json.loads(_export(rich_session)))
    document.states[1].tag = "start"  # duplicate tag: the database's unique constraint refuses it
    before = (ChatSession.objects.count(), ChatMessage.objects.count(), SessionState.objects.count())
    with pytest.raises(IntegrityError):
        session_import(document=document, actor=None, new_id=True)
    assert before == (ChatSession.objects.count(), ChatMessage.objects.count(), SessionState.objects.count())


def test_export_of_an_unknown_session_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no session"):
        call_command("export_session", str(uuid.uuid4()))


def test_admin_action_downloads_the_same_document_and_audits(client, staff_user, rich_session, owner):
    client.force_login(staff_user)
    from django.urls import reverse

    url = reverse("admin:sessions_app_chatsession_changelist")
    response = client.post(url, {"action": "export_session_document", "_selected_action": [str(rich_session.pk)]})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="chatmemory-session-{rich_session.pk}.json"'
    downloaded = b"".join(response.streaming_content).decode()
    assert _mask(downloaded, "exported_at") == _mask(_export(rich_session), "exported_at")
    entry = AuditLogEntry.objects.filter(action="export").order_by("id").first()
    assert (entry.actor, entry.session_id, entry.messages, entry.details["destination"]) == (
        "stella", rich_session.pk, 5, "admin download",
    )
    other = session_create(owner=owner)
    response = client.post(
        url, {"action": "export_session_document", "_selected_action": [str(rich_session.pk), str(other.pk)]},
        follow=True,
    )
    assert "Select exactly one conversation" in response.content.decode()
