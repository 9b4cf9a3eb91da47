"""Folders and pins: ``/api/folders``, ``PATCH /api/sessions/{id}`` (pinned, folder_id), list filters."""
from __future__ import annotations

import pytest

from sessions_app.conversations.folders import MAX_FOLDERS, folder_create, folder_delete
from sessions_app.conversations.sessions import session_create
from sessions_app.exceptions import InvalidInput, NameTaken
from sessions_app.models import ChatSession, Folder

pytestmark = pytest.mark.django_db


def test_folder_crud(owner_api, owner):
    created = owner_api.post("/api/folders", {"name": "  Work   stuff "})
    assert created.status_code == 201 and created.json() == {"id": created.json()["id"], "name": "Work stuff",
                                                             "conversations": 0}
    fid = created.json()["id"]
    assert owner_api.post("/api/folders", {"name": "work STUFF"}).status_code == 409
    assert owner_api.post("/api/folders", {"name": ""}).status_code == 422
    assert owner_api.post("/api/folders", {"name": "   "}).status_code == 400
    assert owner_api.post("/api/folders", {"name": "x" * 101}).status_code == 422
    renamed = owner_api.patch(f"/api/folders/{fid}", {"name": "Job"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Job"
    owner_api.post("/api/folders", {"name": "Home"})
    assert [f["name"] for f in owner_api.get("/api/folders").json()["items"]] == ["Home", "Job"]
    assert owner_api.delete(f"/api/folders/{fid}").json() == {"moved_out": 0}
    assert owner_api.delete(f"/api/folders/{fid}").status_code == 404


def test_file_pin_and_filter_sessions(owner_api, owner):
    folder = folder_create(owner=owner, name="Trips")
    a = session_create(owner=owner, title="a")
    b = session_create(owner=owner, title="b")
    body = owner_api.patch(f"/api/sessions/{a.pk}", {"folder_id": folder.pk, "pinned": True}).json()
    assert body["folder_id"] == folder.pk and body["pinned"] is True
    ids = lambda **p: [s["session_id"] for s in owner_api.get("/api/sessions", p).json()["items"]]  # noqa: E731
    assert ids(folder=folder.pk) == [str(a.pk)]
    assert ids(pinned="true") == [str(a.pk)]
    assert ids(pinned="false") == [str(b.pk)]
    assert owner_api.get("/api/folders").json()["items"][0]["conversations"] == 1
    out = owner_api.patch(f"/api/sessions/{a.pk}", {"folder_id": None, "pinned": False}).json()
    assert out["folder_id"] is None and out["pinned"] is False
    assert owner_api.patch(f"/api/sessions/{a.pk}", {"pinned": "yes"}).status_code == 422


def test_someone_elses_folder_or_session_is_404(owner_api, other_api, owner, other_user):
    mine = folder_create(owner=owner, name="Mine")
    theirs = folder_create(owner=other_user, name="Theirs")
    session = session_create(owner=owner)
    assert owner_api.patch(f"/api/sessions/{session.pk}", {"folder_id": theirs.pk}).status_code == 404
    assert ChatSession.objects.get(pk=session.pk).folder_id is None
    assert other_api.patch(f"/api/sessions/{session.pk}", {"pinned": True}).status_code == 404
    assert other_api.patch(f"/api/folders/{mine.pk}", {"name": "stolen"}).status_code == 404
    assert other_api.delete(f"/api/folders/{mine.pk}").status_code == 404
    assert [f["name"] for f in other_api.get("/api/folders").json()["items"]] == ["Theirs"]
    assert Folder.objects.get(pk=mine.pk).name == "Mine"


def test_deleting_a_folder_keeps_its_conversations(owner):
    folder = folder_create(owner=owner, name="Old")
    session = session_create(owner=owner)
    ChatSession.objects.filter(pk=session.pk).update(folder=folder)
    assert folder_delete(folder=folder) == 1
    assert ChatSession.objects.get(pk=session.pk).folder_id is None


def test_folder_limits(owner):
    with pytest.raises(InvalidInput):
        folder_create(owner=owner, name="a\x00b")
    folder_create(owner=owner, name="Dup")
    with pytest.raises(NameTaken):
        folder_create(owner=owner, name="dup")
    Folder.objects.bulk_create([Folder(owner=owner, name=f"f{i}") for i in range(MAX_FOLDERS - 1)])
    with pytest.raises(InvalidInput):
        folder_create(owner=owner, name="one too many")
