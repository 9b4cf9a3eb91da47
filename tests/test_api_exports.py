"""Export one conversation as Markdown, all of mine as one file, and import a ShareGPT/ChatGPT upload."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from sessions_app.accounts.tokens import api_token_create
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_create
from sessions_app.models import AuditLogEntry, ChatSession
from sessions_app.transfer.native import parse_session_document

from .api_fixtures import ApiClient

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data" / "import"


def _upload(api: ApiClient, name: str, *, fmt: str = "sharegpt", accept: str | None = None, **extra):
    content = (DATA / name).read_bytes() if name.endswith(".json") else name.encode()
    headers = api._headers({"Accept": accept} if accept else None)
    return api.client.post("/api/imports", {"file": SimpleUploadedFile("export.json", content), "format": fmt,
                                            **extra}, headers=headers)


def test_markdown_export(owner_api, owner):
    session = session_create(owner=owner, title="Tokyo time")
    messages_append(session_id=session.pk, messages=[
        HumanMessage("What time is it in Tokyo?"),
        AIMessage("", tool_calls=[{"name": "clock", "args": {"tz": "Asia/Tokyo"}, "id": "c1"}]),
        ToolMessage("```09:00```", tool_call_id="c1", name="clock"),
        AIMessage("It is **9 am**."),
    ])
    response = owner_api.get(f"/api/sessions/{session.pk}/export", {"format": "markdown"})
    assert response.status_code == 200 and response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].endswith('.md"')
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("# Tokyo time\n") and f"`{session.pk}`" in text
    assert "### You · " in text and "What time is it in Tokyo?" in text and "It is **9 am**." in text
    assert '"name": "clock"' in text and "### Tool (clock)" in text and "````\n```09:00```\n````" in text
    assert AuditLogEntry.objects.get(action="export").details["format"] == "markdown"
    assert owner_api.get(f"/api/sessions/{session.pk}/export", {"format": "pdf"}).status_code == 422


def test_json_export_is_still_the_default(owner_api, owner):
    session = session_create(owner=owner, title="x")
    body = json.loads(b"".join(owner_api.get(f"/api/sessions/{session.pk}/export").streaming_content))
    assert body["format"] == "chatmemory.session"


def test_export_all_of_mine_in_one_file(owner_api, other_api, owner, other_user):
    mine = [session_create(owner=owner, title=f"m{i}") for i in range(3)]
    messages_append(session_id=mine[0].pk, messages=[HumanMessage("hello")])
    session_create(owner=other_user, title="not mine")
    response = owner_api.get("/api/export")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    documents = json.loads(b"".join(response.streaming_content))
    assert sorted(d["session"]["title"] for d in documents) == ["m0", "m1", "m2"]
    for document in documents:
        parse_session_document(document)  # each one re-importable
    assert sum(len(d["messages"]) for d in documents) == 1
    entry = AuditLogEntry.objects.get(action="export")
    assert entry.sessions == 3 and entry.user == owner
    assert json.loads(b"".join(other_api.get("/api/export").streaming_content))[0]["session"]["title"] == "not mine"


def test_export_all_with_a_tenant_token(owner):
    session_create(owner=owner, title="acme", tenant="acme")
    session_create(owner=owner, title="other", tenant="globex")
    bound = ApiClient(api_token_create(user=owner, name="acme", tenant="acme")[1])
    documents = json.loads(b"".join(bound.get("/api/export").streaming_content))
    assert [d["session"]["title"] for d in documents] == ["acme"]


def test_upload_import_is_whole_and_idempotent(owner_api, owner):
    response = _upload(owner_api, "sharegpt_valid.json")
    assert response.status_code == 200, response.content
    body = response.json()
    # 5 records: one empty, one id repeated (the repeat counts as already imported)
    assert (body["imported"], body["skipped_empty"], body["skipped_existing"], body["invalid"]) == (3, 1, 1, 0)
    sessions = ChatSession.objects.filter(owner=owner)
    assert sessions.count() == 3 and all(s.metadata["source"]["format"] == "sharegpt" for s in sessions)
    again = _upload(owner_api, "sharegpt_valid.json").json()
    assert again["imported"] == 0 and again["skipped_existing"] == 4
    assert ChatSession.objects.filter(owner=owner).count() == 3
    assert AuditLogEntry.objects.filter(action="import").count() == 1


def test_an_invalid_file_writes_nothing_and_says_where(owner_api, owner):
    response = _upload(owner_api, "sharegpt_unknown_role.json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid" and "nothing was imported" in body["detail"]
    assert any('conversation #2 (id "abc"), message 3' in p and "foo" in p for p in body["problems"])
    assert not ChatSession.objects.exists()
    skipped = _upload(owner_api, "sharegpt_unknown_role.json", skip_invalid="true").json()
    assert skipped["invalid"] == 1 and skipped["imported"] >= 1 and skipped["problems"]
    assert not ChatSession.objects.filter(metadata__source__id="abc").exists()  # never half a conversation


@pytest.mark.parametrize("content", ["this is not JSON", "", '{"not": "a list"}'])
def test_garbage_is_a_clear_400(owner_api, content):
    response = _upload(owner_api, content)
    assert response.status_code == 400 and response.json()["problems"] and not ChatSession.objects.exists()


def test_chatgpt_upload_and_progress_stream(owner_api, owner):
    response = _upload(owner_api, "chatgpt_export.json", fmt="chatgpt", accept="text/event-stream")
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    events = [block for block in b"".join(response.streaming_content).decode().split("\n\n") if block]
    names = [block.split("\n")[0].removeprefix("event: ") for block in events]
    assert names[0] == "progress" and names[-1] == "done"
    phases = [json.loads(b.split("data: ", 1)[1])["phase"] for b in events if b.startswith("event: progress")]
    assert "checking" in phases and "importing" in phases
    assert json.loads(events[-1].split("data: ", 1)[1])["imported"] == 2
    assert ChatSession.objects.filter(owner=owner, metadata__source__format="chatgpt").count() == 2


def test_upload_rules(owner_api, settings):
    assert owner_api.client.post("/api/imports", {"format": "sharegpt"}, headers=owner_api._headers(None)
                                 ).status_code == 422  # no file
    assert _upload(owner_api, "sharegpt_valid.json", fmt="csv").status_code == 422
    settings.CHATMEMORY_IMPORT_MAX_BYTES = 100
    too_big = _upload(owner_api, "sharegpt_valid.json")
    assert too_big.status_code == 400 and "larger than" in too_big.json()["detail"]


def test_tenant_token_imports_into_its_tenant(owner):
    bound = ApiClient(api_token_create(user=owner, name="acme", tenant="acme")[1])
    assert _upload(bound, "sharegpt_valid.json").status_code == 200
    assert set(ChatSession.objects.values_list("tenant", flat=True)) == {"acme"}


def test_anonymous_upload_is_401(client):
    response = client.post("/api/imports", {"file": SimpleUploadedFile("a.json", b"[]"), "format": "sharegpt"})
    assert response.status_code == 401
