"""``/api/sessions``: create and get, ownership, tenants and input validation."""
from __future__ import annotations

import json
import uuid

import pytest

from sessions_app.accounts.tokens import api_token_create
from sessions_app.conversations.sessions import session_create
from sessions_app.models import ChatSession

from .api_fixtures import ApiClient

pytestmark = pytest.mark.django_db

SESSION_KEYS = {"session_id", "title", "status", "tenant", "metadata", "created_at", "last_active_at",
                "archived_at", "message_count", "cache_ttl", "parent_id", "branched_at_seq", "pinned", "folder_id"}


def test_create_returns_201_and_the_session_object(owner_api, owner):
    response = owner_api.post(
        "/api/sessions", {"title": "Trip", "tenant": "acme", "metadata": {"channel": "web"}, "cache_ttl": 120}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == SESSION_KEYS
    session = ChatSession.objects.get(pk=body["session_id"])
    assert session.owner == owner
    assert (session.title, session.tenant, session.metadata, session.cache_ttl) == (
        "Trip", "acme", {"channel": "web"}, 120
    )
    assert body["status"] == "active" and body["message_count"] == 0


def test_create_with_empty_body_and_no_body(owner_api):
    assert owner_api.post("/api/sessions", {}).status_code == 201
    empty = owner_api.client.post(
        "/api/sessions", "", content_type="application/json", headers=owner_api._headers(None)
    )
    assert empty.status_code == 422 and empty.json()["error"] == "validation"
    form = owner_api.client.post("/api/sessions", {"title": "x"}, headers=owner_api._headers(None))  # multipart
    assert form.status_code == 400 and form.json()["error"] == "invalid"
    assert ChatSession.objects.count() == 1


def test_get_returns_the_session(owner_api, chat_session):
    body = owner_api.get(f"/api/sessions/{chat_session.pk}").json()
    assert body["session_id"] == str(chat_session.pk)
    assert body["title"] == "Owner's conversation"


def test_another_users_session_is_404_not_403(other_api, chat_session):
    response = other_api.get(f"/api/sessions/{chat_session.pk}")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": f"no session {chat_session.pk}"}


def test_unknown_session_is_404(owner_api):
    assert owner_api.get(f"/api/sessions/{uuid.uuid4()}").status_code == 404


@pytest.mark.parametrize("bad", ["not-a-uuid", "1", "' OR 1=1 --", "%00", "00000000-0000-0000-0000-00000000000g"])
def test_bad_uuid_in_path_is_a_clean_4xx(owner_api, bad):
    response = owner_api.get(f"/api/sessions/{bad}")
    assert response.status_code in (404, 422)
    assert response.json()["error"] in ("not_found", "validation")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "owner": 1}, "owner"),  # unknown fields are rejected, not ignored
        ({"title": 5}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "nul\x00byte"}, "title"),
        ({"title": "lone \ud800 surrogate"}, "title"),
        ({"tenant": "t" * 65}, "tenant"),
        ({"metadata": "not an object"}, "metadata"),
        ({"metadata": {"k": "nul\x00"}}, "metadata"),
        ({"metadata": {"k\x00": 1}}, "metadata"),
        ({"metadata": {"k": "\udfff"}}, "metadata"),
        ({"metadata": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}}, "metadata"),
        ({"metadata": {"blob": "x" * 20_000}}, "metadata"),
        ({"cache_ttl": 59}, "cache_ttl"),
        ({"cache_ttl": -1}, "cache_ttl"),
        ({"cache_ttl": 10**12}, "cache_ttl"),
        ({"cache_ttl": "soon"}, "cache_ttl"),
    ],
)
def test_create_rejects_bad_input_with_422_and_writes_nothing(owner_api, body, field):
    response = owner_api.post("/api/sessions", json.dumps(body))
    assert response.status_code == 422, response.content
    payload = response.json()
    assert payload["error"] == "validation"
    assert any(field in err["loc"] for err in payload["errors"]), payload
    assert not ChatSession.objects.exists()


@pytest.mark.parametrize("raw", [b"{", b"[1,2", b"\xff\xfe{}", b'{"title": NaN}', b'{"metadata": {"x": NaN}}'])
def test_malformed_json_is_4xx(owner_api, raw):
    response = owner_api.client.post("/api/sessions", raw, content_type="application/json",
                                     headers=owner_api._headers(None))
    assert response.status_code in (400, 422)
    assert response.json()["error"] in ("invalid", "validation")
    assert not ChatSession.objects.exists()


def test_json_array_body_is_422(owner_api):
    response = owner_api.post("/api/sessions", json.dumps([1, 2]))
    assert response.status_code in (400, 422)


def test_request_body_over_the_limit_is_413(owner_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = owner_api.post("/api/sessions", json.dumps({"title": "x", "metadata": {"blob": "y" * 5000}}))
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert not ChatSession.objects.exists()


class TestTenantBoundToken:
    @pytest.fixture
    def acme_api(self, owner) -> ApiClient:
        return ApiClient(api_token_create(user=owner, name="acme bot", tenant="acme")[1])

    def test_creates_sessions_in_its_tenant_by_default(self, acme_api):
        body = acme_api.post("/api/sessions", {"title": "t"}).json()
        assert body["tenant"] == "acme"

    def test_cannot_create_in_another_tenant(self, acme_api):
        response = acme_api.post("/api/sessions", {"tenant": "globex"})
        assert response.status_code == 400
        assert response.json()["error"] == "invalid"
        assert not ChatSession.objects.exists()

    def test_does_not_see_the_same_users_other_tenants(self, acme_api, owner):
        mine = session_create(owner=owner, tenant="acme")
        globex = session_create(owner=owner, tenant="globex")
        untenanted = session_create(owner=owner)
        assert acme_api.get(f"/api/sessions/{mine.pk}").status_code == 200
        assert acme_api.get(f"/api/sessions/{globex.pk}").status_code == 404
        assert acme_api.get(f"/api/sessions/{untenanted.pk}").status_code == 404

    def test_unbound_token_sees_every_tenant_of_its_user(self, owner_api, owner):
        globex = session_create(owner=owner, tenant="globex")
        assert owner_api.get(f"/api/sessions/{globex.pk}").status_code == 200

    def test_same_tenant_name_never_crosses_users(self, acme_api, other_user):
        theirs = session_create(owner=other_user, tenant="acme")
        assert acme_api.get(f"/api/sessions/{theirs.pk}").status_code == 404
