"""``/api/sessions/{id}/share`` and ``/api/shares``: create, get, revoke, list — and never for someone else."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from langchain_core.messages import HumanMessage

from sessions_app.accounts.tokens import api_token_create
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_create
from sessions_app.models import ShareLink

from .api_fixtures import ApiClient

pytestmark = pytest.mark.django_db

LINK_KEYS = {"id", "session_id", "title", "url", "token", "state", "max_seq", "created_at", "expires_at",
             "revoked_at", "views", "last_viewed_at"}


@pytest.fixture
def conversation(owner):
    session = session_create(owner=owner, title="Shared one")
    messages_append(session_id=session.pk, messages=[HumanMessage("hello there")])
    return session


def test_create_returns_a_working_url(owner_api, conversation):
    response = owner_api.post(f"/api/sessions/{conversation.pk}/share")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == LINK_KEYS and body["state"] == "live" and body["max_seq"] == 1
    assert body["url"] == f"http://testserver/s/{body['token']}/" and body["expires_at"] is None
    shared = Client().get(body["url"].removeprefix("http://testserver"))
    assert shared.status_code == 200 and b"hello there" in shared.content
    again = owner_api.post(f"/api/sessions/{conversation.pk}/share", {})
    assert again.status_code == 200 and again.json()["token"] == body["token"]
    assert owner_api.get(f"/api/sessions/{conversation.pk}/share").json()["token"] == body["token"]


def test_expiry_set_changed_and_validated(owner_api, conversation):
    url = f"/api/sessions/{conversation.pk}/share"
    soon = (timezone.now() + timedelta(days=7)).isoformat()
    created = owner_api.post(url, {"expires_at": soon})
    assert created.status_code == 201 and created.json()["expires_at"] is not None
    cleared = owner_api.post(url, {"expires_at": None})
    assert cleared.status_code == 200 and cleared.json()["expires_at"] is None
    assert cleared.json()["token"] == created.json()["token"]
    for bad, status in [((timezone.now() - timedelta(days=1)).isoformat(), 400),
                        ((timezone.now() + timedelta(days=400)).isoformat(), 400),
                        ("2030-01-01T00:00:00", 422), ("soon", 422)]:
        response = owner_api.post(url, {"expires_at": bad})
        assert response.status_code == status, (bad, response.content)
    assert owner_api.post(url, {"expires_at": None, "token": "mine"}).status_code == 422


def test_revoke_makes_the_page_410(owner_api, conversation):
    body = owner_api.post(f"/api/sessions/{conversation.pk}/share").json()
    assert owner_api.delete(f"/api/sessions/{conversation.pk}/share").json() == {"revoked": 1}
    assert owner_api.delete(f"/api/sessions/{conversation.pk}/share").json() == {"revoked": 0}
    assert Client().get(f"/s/{body['token']}/").status_code == 410
    assert owner_api.get(f"/api/sessions/{conversation.pk}/share").status_code == 404


def test_no_link_for_someone_elses_conversation(other_api, conversation):
    for call in (other_api.post, other_api.get, other_api.delete):
        response = call(f"/api/sessions/{conversation.pk}/share")
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert not ShareLink.objects.exists()


def test_tenant_bound_token_shares_its_tenant_only(owner):
    acme = session_create(owner=owner, tenant="acme")
    globex = session_create(owner=owner, tenant="globex")
    bound = ApiClient(api_token_create(user=owner, name="acme", tenant="acme")[1])
    assert bound.post(f"/api/sessions/{acme.pk}/share").status_code == 201
    assert bound.post(f"/api/sessions/{globex.pk}/share").status_code == 404
    ApiClient(api_token_create(user=owner, name="all")[1]).post(f"/api/sessions/{globex.pk}/share")
    assert [link["session_id"] for link in bound.get("/api/shares").json()["items"]] == [str(acme.pk)]


def test_my_links_list_and_revoke_by_id(owner_api, other_api, owner, other_user):
    made = [owner_api.post(f"/api/sessions/{session_create(owner=owner, title=f't{i}').pk}/share").json()
            for i in range(3)]
    theirs = other_api.post(f"/api/sessions/{session_create(owner=other_user).pk}/share").json()
    listed = owner_api.get("/api/shares", {"limit": 2}).json()
    assert [x["id"] for x in listed["items"]] == [made[2]["id"], made[1]["id"]] and listed["next_cursor"]
    rest = owner_api.get("/api/shares", {"limit": 2, "cursor": listed["next_cursor"]}).json()
    assert [x["id"] for x in rest["items"]] == [made[0]["id"]] and rest["next_cursor"] is None
    revoked = owner_api.delete(f"/api/shares/{made[0]['id']}")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert len(owner_api.get("/api/shares", {"state": "live"}).json()["items"]) == 2
    assert len(owner_api.get("/api/shares").json()["items"]) == 3
    assert owner_api.delete(f"/api/shares/{theirs['id']}").status_code == 404
    assert Client().get(f"/s/{theirs['token']}/").status_code == 200  # untouched
    assert owner_api.get("/api/shares", {"cursor": "x"}).status_code == 400


def test_anonymous_api_calls_are_401(conversation):
    assert Client().post(f"/api/sessions/{conversation.pk}/share").status_code == 401
    assert Client().get("/api/shares").status_code == 401
