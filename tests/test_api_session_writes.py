"""PATCH, archive/unarchive, delete and TTL through the API; another user's id is 404 on each."""
from __future__ import annotations

import json

import pytest

from sessions_app.conversations.messages import messages_append
from sessions_app.models import ChatMessage, ChatSession

pytestmark = pytest.mark.django_db


def test_patch_renames_and_replaces_metadata(owner_api, chat_session):
    url = f"/api/sessions/{chat_session.pk}"
    body = owner_api.patch(url, {"title": "  Renamed  ", "metadata": {"lang": "pt"}}).json()
    assert body["title"] == "Renamed" and body["metadata"] == {"lang": "pt"}
    chat_session.refresh_from_db()
    assert (chat_session.title, chat_session.metadata) == ("Renamed", {"lang": "pt"})
    body = owner_api.patch(url, {"metadata": {}}).json()
    assert body["title"] == "Renamed" and body["metadata"] == {}


@pytest.mark.parametrize("body", [{"title": None, "status": "archived"}, {"owner": 2}, {"title": "x\x00"},
                                  {"metadata": [1]}, {"tenant": "other"}])
def test_patch_rejects_bad_or_unknown_fields(owner_api, chat_session, body):
    response = owner_api.patch(f"/api/sessions/{chat_session.pk}", json.dumps(body))
    assert response.status_code == 422
    chat_session.refresh_from_db()
    assert chat_session.title == "Owner's conversation" and chat_session.tenant == ""


def test_archive_then_unarchive(owner_api, chat_session):
    url = f"/api/sessions/{chat_session.pk}"
    assert owner_api.post(url + "/archive").json()["status"] == "archived"
    assert owner_api.post(url + "/archive").json()["status"] == "archived"  # idempotent
    assert owner_api.post(url + "/chat", {"message": "hi"}).status_code == 409
    assert owner_api.post(url + "/unarchive").json()["status"] == "active"
    assert owner_api.post(url + "/chat", {"message": "hi"}).status_code == 200


def test_delete_removes_session_and_messages_and_then_404s(owner_api, chat_session):
    url = f"/api/sessions/{chat_session.pk}"
    owner_api.post(url + "/chat", {"message": "hi"})
    response = owner_api.delete(url)
    assert response.status_code == 200 and response.json() == {"deleted_messages": 2}
    assert not ChatSession.objects.filter(pk=chat_session.pk).exists()
    assert not ChatMessage.objects.exists()
    assert owner_api.delete(url).status_code == 404
    assert owner_api.get(url).status_code == 404


def test_put_ttl_sets_seconds(owner_api, chat_session):
    response = owner_api.put(f"/api/sessions/{chat_session.pk}/ttl", {"seconds": 600})
    assert response.status_code == 200 and response.json()["cache_ttl"] == 600
    chat_session.refresh_from_db()
    assert chat_session.cache_ttl == 600


@pytest.mark.parametrize("body", [{"seconds": 59}, {"seconds": 0}, {"seconds": -60}, {"seconds": 10**10},
                                  {"seconds": 1e400}, {"seconds": "60"}, {"seconds": 60.5}, {}, {"ttl": 60}])
def test_put_ttl_rejects_negative_absurd_and_malformed(owner_api, chat_session, body):
    raw = json.dumps(body).replace("Infinity", "1e400")
    response = owner_api.put(f"/api/sessions/{chat_session.pk}/ttl", raw)
    assert response.status_code in (400, 422), response.content
    chat_session.refresh_from_db()
    assert chat_session.cache_ttl is None


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("get", "", None), ("patch", "", {"title": "pwned"}), ("delete", "", None), ("post", "/archive", None),
     ("post", "/unarchive", None), ("put", "/ttl", {"seconds": 60}), ("post", "/chat", {"message": "hi"}),
     ("get", "/messages", None), ("delete", "/messages", None)],
)
def test_every_session_endpoint_is_404_for_another_user(other_api, chat_session, method, suffix, body):
    messages_append(session_id=chat_session.pk, messages=[])  # no-op; keeps the session untouched
    url = f"/api/sessions/{chat_session.pk}{suffix}"
    response = getattr(other_api, method)(url, body) if body is not None else getattr(other_api, method)(url)
    assert response.status_code == 404, (method, suffix, response.content)
    assert response.json()["error"] == "not_found"
    chat_session.refresh_from_db()
    assert chat_session.title == "Owner's conversation" and chat_session.status == "active"
    assert chat_session.cache_ttl is None and not ChatMessage.objects.exists()
