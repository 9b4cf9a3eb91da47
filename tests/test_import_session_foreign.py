"""``import_session --format sharegpt|chatgpt``: one conversation through ``sessions_app.transfer.importers``."""
from __future__ import annotations

import json
import re

import pytest
from django.core.management import CommandError, call_command
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.models import AuditLogEntry, ChatMessage, ChatSession

pytestmark = pytest.mark.django_db

SHAREGPT = [
    {"id": "sg-1", "conversations": [{"from": "human", "value": "Hi there"}, {"from": "gpt", "value": "Hello!"}]},
    {"id": "sg-2", "conversations": [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"},
                                     {"from": "human", "value": "and 3+3?"}, {"from": "gpt", "value": "6"}]},
]


def _node(node_id, parent, children, role=None, text=None, t=None):
    message = None
    if role:
        message = {"id": node_id, "author": {"role": role}, "create_time": t,
                   "content": {"content_type": "text", "parts": [text]}}
    return {"id": node_id, "parent": parent, "children": children, "message": message}


CHATGPT = [{
    "id": "cg-1", "conversation_id": "cg-1", "title": "Branches", "create_time": 1700000000.0,
    "update_time": 1700000100.0, "current_node": "a2",
    "mapping": {
        "root": _node("root", None, ["u1"]),
        "u1": _node("u1", "root", ["a1", "a2"], "user", "Tell me a joke", 1700000001.0),
        "a1": _node("a1", "u1", [], "assistant", "Old answer (regenerated)", 1700000002.0),
        "a2": _node("a2", "u1", [], "assistant", "Why did the chicken…", 1700000003.0),
    },
}]


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _imported_id(out: str) -> str:
    return re.search(r"Imported session ([0-9a-f-]{36})", out).group(1)


def test_sharegpt_picks_one_conversation_by_index(tmp_path, owner, capsys):
    path = _write(tmp_path, "sharegpt.json", SHAREGPT)
    with pytest.raises(CommandError, match="several conversations; choose one with --index"):
        call_command("import_session", path, "--format", "sharegpt", "--owner", "olivia")
    call_command("import_session", path, "--format", "sharegpt", "--owner", "olivia", "--index", "2")
    session_id = _imported_id(capsys.readouterr().out)
    messages = DjangoChatMessageHistory(session_id).messages
    assert [type(m) for m in messages] == [HumanMessage, AIMessage, HumanMessage, AIMessage]
    assert [m.content for m in messages] == ["2+2?", "4", "and 3+3?", "6"]
    session = ChatSession.objects.get(pk=session_id)
    assert session.owner == owner and session.message_count == 4 and session.last_seq == 4
    assert session.metadata["source"]["format"] == "sharegpt" and session.metadata["source"]["id"] == "sg-2"
    entry = AuditLogEntry.objects.get(action="import")
    assert (entry.session_id, entry.messages, entry.actor) == (session.pk, 4, "command:import_session")


def test_chatgpt_takes_the_branch_ending_at_current_node(tmp_path, owner, capsys):
    path = _write(tmp_path, "conversations.json", CHATGPT)
    call_command("import_session", path, "--format", "chatgpt", "--owner", "olivia")
    session_id = _imported_id(capsys.readouterr().out)
    texts = [(m.type, m.content) for m in DjangoChatMessageHistory(session_id).messages]
    assert texts == [("human", "Tell me a joke"), ("ai", "Why did the chicken…")]
    assert ChatSession.objects.get(pk=session_id).title == "Branches"


def test_foreign_formats_need_an_owner_and_a_valid_file(tmp_path, owner):
    path = _write(tmp_path, "sharegpt.json", SHAREGPT)
    with pytest.raises(CommandError, match="--owner is required"):
        call_command("import_session", path, "--format", "sharegpt")
    bad = _write(tmp_path, "bad.json", [{"id": "x", "conversations": [{"from": "alien", "value": "hi"}]}])
    with pytest.raises(CommandError, match=r'conversation #1 \(id "x"\), message 1: unknown role'):
        call_command("import_session", bad, "--format", "sharegpt", "--owner", "olivia")
    with pytest.raises(CommandError, match="no conversation #5"):
        call_command("import_session", path, "--format", "sharegpt", "--owner", "olivia", "--index", "5")
    assert not ChatSession.objects.exists() and not ChatMessage.objects.exists()
