"""Export / import through the API (owner-only, all or nothing) and staff-only stats."""
from __future__ import annotations

import json

import pytest

from sessions_app.governance.state import state_save
from sessions_app.models import ChatMessage, ChatSession

pytestmark = pytest.mark.django_db


def _export(api, session) -> dict:
    response = api.get(f"/api/sessions/{session.pk}/export")
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


def test_export_then_import_round_trips_as_a_new_session_of_the_caller(owner_api, owner, chat_session):
    owner_api.post(f"/api/sessions/{chat_session.pk}/chat", {"message": "remember me"})
    state_save(session_id=chat_session.pk, state={"k": 1})
    document = _export(owner_api, chat_session)
    assert document["format"] == "chatmemory.session" and len(document["messages"]) == 2
    response = owner_api.post("/api/sessions/import", document)
    assert response.status_code == 201, response.content
    new = ChatSession.objects.get(pk=response.json()["session_id"])
    assert new.pk != chat_session.pk and new.owner == owner and new.message_count == 2
    texts = list(ChatMessage.objects.for_session(new.pk).in_order().values_list("content_text", flat=True))
    assert texts[0] == "remember me"
    assert owner_api.post("/api/sessions/import?keep_id=true", document).status_code == 409


def test_import_never_takes_the_owner_from_the_document(other_api, other_user, owner_api, chat_session):
    document = _export(owner_api, chat_session)
    response = other_api.post("/api/sessions/import", document)
    assert response.status_code == 201
    assert ChatSession.objects.get(pk=response.json()["session_id"]).owner == other_user


def test_export_of_another_users_session_is_404(other_api, chat_session):
    assert other_api.get(f"/api/sessions/{chat_session.pk}/export").status_code == 404


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(format="other"),
    lambda d: d["session"].update(status="deleted"),
    lambda d: d["messages"].append({"seq": "x"}),
    lambda d: d["session"].update(title="nul\x00"),
    lambda d: d["session"]["metadata"].update(k="\ud800"),
])
def test_invalid_documents_are_400_and_write_nothing(owner_api, chat_session, mutate):
    owner_api.post(f"/api/sessions/{chat_session.pk}/chat", {"message": "x"})
    document = _export(owner_api, chat_session)
    mutate(document)
    before = (ChatSession.objects.count(), ChatMessage.objects.count())
    response = owner_api.post("/api/sessions/import", json.dumps(document))
    assert response.status_code in (400, 422), response.content
    assert (ChatSession.objects.count(), ChatMessage.objects.count()) == before


def test_stats_is_staff_only(owner_api, staff_api, chat_session):
    assert owner_api.get("/api/stats").status_code == 403
    body = staff_api.get("/api/stats").json()
    assert body["sessions"]["total"] == 1
