"""``GET /api/search``: shape, ownership and tenants, paging, filters, bad input."""
from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.accounts.tokens import api_token_create
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_archive, session_create

from .api_fixtures import ApiClient

pytestmark = pytest.mark.django_db

RESULT_KEYS = {"session_id", "title", "seq", "snippet", "rank", "match", "status", "tenant", "folder_id", "pinned",
               "last_active_at", "message_at"}


def _conversation(owner, title, *texts, tenant=""):
    session = session_create(owner=owner, title=title, tenant=tenant)
    messages_append(session_id=session.pk, messages=[
        HumanMessage(t) if i % 2 == 0 else AIMessage(t) for i, t in enumerate(texts)])
    return session


def test_search_returns_ranked_highlighted_results(owner_api, owner):
    session = _conversation(owner, "Trip", "Which train goes to Lisbon?", "The Alfa Pendular <b>fast</b> train.")
    response = owner_api.get("/api/search", {"q": "lisbon train"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next", "mode", "substring_skipped"}
    assert body["next"] is None and body["mode"] == "fulltext" and body["substring_skipped"] is False
    [result] = body["results"]
    assert set(result) == RESULT_KEYS
    assert result["session_id"] == str(session.pk) and result["title"] == "Trip" and result["seq"] == 1
    assert "<mark>" in result["snippet"] and result["rank"] > 0 and result["match"] == "message"


def test_snippet_html_is_escaped(owner_api, owner):
    _conversation(owner, "", 'try <img src=x onerror="alert(1)"> in the lorikeet page')
    snippet = owner_api.get("/api/search", {"q": "lorikeet"}).json()["results"][0]["snippet"]
    assert "<img" not in snippet and "&lt;img" in snippet and "<mark>lorikeet</mark>" in snippet


def test_another_users_conversations_are_never_searched(owner_api, other_api, owner, other_user):
    _conversation(owner, "Secret plan", "the password is swordfish")
    _conversation(other_user, "Mallory's", "nothing to see")
    assert other_api.get("/api/search", {"q": "swordfish"}).json()["results"] == []
    assert other_api.get("/api/search", {"q": "secret plan"}).json()["results"] == []
    assert other_api.get("/api/search", {"q": "swordf"}).json()["results"] == []  # the substring fallback too
    assert len(owner_api.get("/api/search", {"q": "swordfish"}).json()["results"]) == 1


def test_tenant_bound_token_searches_its_tenant_only(owner):
    acme = _conversation(owner, "", "acme quarterly numbers", tenant="acme")
    _conversation(owner, "", "globex quarterly numbers", tenant="globex")
    bound = ApiClient(api_token_create(user=owner, name="acme bot", tenant="acme")[1])
    results = bound.get("/api/search", {"q": "quarterly"}).json()["results"]
    assert [r["session_id"] for r in results] == [str(acme.pk)]
    assert bound.get("/api/search", {"q": "globex"}).json()["results"] == []


def test_cursor_pages_through_everything_once(owner_api, owner):
    made = {str(_conversation(owner, f"n{i}", f"the wombat number {i}").pk) for i in range(5)}
    seen, cursor = [], None
    while True:
        params = {"q": "wombat", "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = owner_api.get("/api/search", params).json()
        seen += [r["session_id"] for r in body["results"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert len(seen) == 5 and set(seen) == made


def test_substring_mode_pages_too(owner_api, owner):
    for i in range(3):
        _conversation(owner, "", f"東京タワー {i}")
    first = owner_api.get("/api/search", {"q": "東京", "limit": 2}).json()
    assert first["mode"] == "substring" and len(first["results"]) == 2 and first["next"]
    second = owner_api.get("/api/search", {"q": "東京", "limit": 2, "cursor": first["next"]}).json()
    assert second["mode"] == "substring" and len(second["results"]) == 1 and second["next"] is None


def test_big_callers_get_substring_search_on_request_only(owner_api, owner, settings):
    tokyo = _conversation(owner, "", "東京タワーに行きました", "よかった")
    settings.CHATMEMORY_SEARCH_FALLBACK_MAX_MESSAGES = 1  # the owner has 2 messages: too many for "auto"
    auto = owner_api.get("/api/search", {"q": "東京"}).json()
    assert auto["results"] == [] and auto["substring_skipped"] is True and auto["mode"] == "fulltext"
    asked = owner_api.get("/api/search", {"q": "東京", "mode": "substring"}).json()
    assert [r["session_id"] for r in asked["results"]] == [str(tokyo.pk)] and asked["mode"] == "substring"
    words_only = owner_api.get("/api/search", {"q": "東京", "mode": "fulltext"}).json()
    assert words_only["results"] == [] and words_only["substring_skipped"] is False


def test_filters(owner_api, owner):
    keep = _conversation(owner, "", "platypus facts")
    old = _conversation(owner, "", "platypus myths")
    session_archive(session=old, actor=owner)
    ids = lambda **p: {r["session_id"] for r in owner_api.get("/api/search", {"q": "platypus", **p}).json()["results"]}  # noqa: E731
    assert ids() == {str(keep.pk), str(old.pk)}
    assert ids(status="archived") == {str(old.pk)}
    assert ids(status="active") == {str(keep.pk)}
    assert ids(since="2000-01-01T00:00:00Z") == {str(keep.pk), str(old.pk)}
    assert ids(until="2000-01-01T00:00:00Z") == set()
    assert ids(pinned="true") == set()


@pytest.mark.parametrize("params,status", [
    ({}, 422),
    ({"q": ""}, 422),
    ({"q": "x" * 201}, 422),
    ({"q": "a\x00b"}, 422),
    ({"q": "ok", "limit": 0}, 422),
    ({"q": "ok", "limit": 51}, 422),
    ({"q": "ok", "status": "deleted"}, 422),
    ({"q": "ok", "mode": "regex"}, 422),
    ({"q": "ok", "since": "0.5"}, 422),
    ({"q": "ok", "since": "2026-01-01T00:00:00"}, 422),  # no time zone
    ({"q": "ok", "cursor": "bm9wZQ"}, 400),
    ({"q": "ok", "cursor": "WyJmdWxsdGV4dCIsIngiLDEsbnVsbF0"}, 400),  # ["fulltext","x",1,null]
    ({"q": " ".join(["w"] * 17)}, 400),
])
def test_bad_input_is_a_clear_4xx(owner_api, params, status):
    response = owner_api.get("/api/search", params)
    assert response.status_code == status, response.content
    assert response.json()["error"] in {"validation", "invalid"}


def test_needs_credentials():
    from django.test import Client

    assert Client().get("/api/search", {"q": "x"}).status_code == 401
