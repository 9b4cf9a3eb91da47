"""The Memory page and /api/memories: a user sees and changes only their own memories."""
from __future__ import annotations

from typing import Any

import pytest

from sessions_app.accounts.tokens import api_token_create
from sessions_app.memory.user import memories_list, memory_add
from sessions_app.models import AuditLogEntry

from .api_fixtures import ApiClient

pytestmark = pytest.mark.django_db


def test_memory_page_lists_adds_edits_and_forgets(owner_client: Any, owner: Any) -> None:
    page = owner_client.get("/settings/memory/")
    assert page.status_code == 200 and "No memories yet" in page.content.decode()
    response = owner_client.post("/settings/memory/", {"text": "I am vegetarian"})
    assert response.status_code == 302
    [memory] = memories_list(user=owner)
    assert memory["text"] == "I am vegetarian" and memory["source"] == "page"
    assert "I am vegetarian" in owner_client.get("/settings/memory/").content.decode()
    owner_client.post(f"/settings/memory/{memory['key']}/", {"text": "I am vegan"})
    assert [m["text"] for m in memories_list(user=owner)] == ["I am vegan"]
    owner_client.post(f"/settings/memory/{memory['key']}/delete/")
    assert memories_list(user=owner) == []
    entry = AuditLogEntry.objects.get(action="store_delete")
    assert entry.actor == owner.username and entry.details["via"] == "memory"


def test_memory_page_rejects_bad_input(owner_client: Any, owner: Any) -> None:
    assert owner_client.post("/settings/memory/", {"text": "   "}).status_code == 400
    assert owner_client.post("/settings/memory/", {"text": "x" * 501}).status_code == 400
    assert memories_list(user=owner) == []


def test_someone_elses_memory_is_a_404_on_the_page(owner_client: Any, other_user: Any) -> None:
    key = memory_add(user=other_user, text="secret of mallory")
    assert "secret of mallory" not in owner_client.get("/settings/memory/").content.decode()
    assert owner_client.post(f"/settings/memory/{key}/", {"text": "pwned"}).status_code == 404
    assert owner_client.post(f"/settings/memory/{key}/delete/").status_code == 404
    assert [m["text"] for m in memories_list(user=other_user)] == ["secret of mallory"]


def test_memory_page_needs_login(client: Any) -> None:
    assert client.get("/settings/memory/").status_code == 302


def test_api_memories_crud_and_isolation(owner_api: ApiClient, other_api: ApiClient, owner: Any) -> None:
    created = owner_api.post("/api/memories", {"text": "prefers metric units"})
    assert created.status_code == 201 and created.json()["source"] == "api"
    key = created.json()["key"]
    assert [m["text"] for m in owner_api.get("/api/memories").json()] == ["prefers metric units"]
    assert other_api.get("/api/memories").json() == []
    assert other_api.put(f"/api/memories/{key}", {"text": "x"}).status_code == 404
    assert other_api.delete(f"/api/memories/{key}").status_code == 404
    assert owner_api.put(f"/api/memories/{key}", {"text": "prefers imperial"}).json()["text"] == "prefers imperial"
    assert owner_api.post("/api/memories", {"text": ""}).status_code in (400, 422)
    assert owner_api.post("/api/memories", {"text": "a\x00b"}).status_code in (400, 422)
    assert owner_api.delete(f"/api/memories/{key}").status_code == 204
    assert owner_api.get("/api/memories").json() == []


def test_api_tenant_bound_token_sees_its_tenant_only(owner: Any) -> None:
    memory_add(user=owner, text="everywhere")
    acme = ApiClient(api_token_create(user=owner, name="acme bot", tenant="acme")[1])
    assert acme.get("/api/memories").json() == []
    assert acme.post("/api/memories", {"text": "acme only"}).json()["tenant"] == "acme"
    assert [m["text"] for m in acme.get("/api/memories").json()] == ["acme only"]
    assert {m["text"] for m in memories_list(user=owner)} == {"everywhere", "acme only"}
