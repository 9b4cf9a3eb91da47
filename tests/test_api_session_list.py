"""``GET /api/sessions``: only the caller's rows, filters, keyset cursor pages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.accounts.tokens import api_token_create
from sessions_app.conversations.sessions import session_archive, session_create
from sessions_app.models import ChatSession

from .api_fixtures import ApiClient

pytestmark = pytest.mark.django_db


def _make(owner, n: int, **kw) -> list[ChatSession]:
    base = timezone.now() - timedelta(hours=1)
    made = []
    for i in range(n):
        s = session_create(owner=owner, title=f"s{i}", **kw)
        ChatSession.objects.filter(pk=s.pk).update(last_active_at=base + timedelta(seconds=i))
        made.append(s)
    return made


def _all_pages(api: ApiClient, **params) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/sessions", query).json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None or pages > 50:
            return items


def test_lists_only_the_callers_sessions_newest_first(owner_api, owner, other_user):
    mine = _make(owner, 3)
    _make(other_user, 2)
    body = owner_api.get("/api/sessions").json()
    assert [i["session_id"] for i in body["items"]] == [str(s.pk) for s in reversed(mine)]
    assert body["next_cursor"] is None


def test_cursor_pages_cover_everything_once(owner_api, owner):
    made = _make(owner, 7)
    # Two sessions with the same last_active_at: the id breaks the tie, nothing is skipped.
    ChatSession.objects.filter(pk=made[3].pk).update(last_active_at=made[4].last_active_at)
    ChatSession.objects.filter(pk=made[3].pk).update(
        last_active_at=ChatSession.objects.get(pk=made[4].pk).last_active_at
    )
    first = owner_api.get("/api/sessions", {"limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    items = _all_pages(owner_api, limit=3)
    assert sorted(i["session_id"] for i in items) == sorted(str(s.pk) for s in made)
    assert len(items) == 7


def test_page_query_count_does_not_grow_with_depth(owner_api, owner, django_assert_max_num_queries):
    _make(owner, 12)
    cursor = owner_api.get("/api/sessions", {"limit": 5}).json()["next_cursor"]
    with django_assert_max_num_queries(3):  # token lookup, (last_used write skipped), the page
        owner_api.get("/api/sessions", {"limit": 5, "cursor": cursor})


def test_filters_by_status_tenant_and_updated_since(owner_api, owner):
    old = _make(owner, 2, tenant="acme")
    fresh = session_create(owner=owner, tenant="globex")
    session_archive(session=old[0])
    assert {i["session_id"] for i in owner_api.get("/api/sessions", {"status": "archived"}).json()["items"]} == {
        str(old[0].pk)
    }
    assert {i["session_id"] for i in owner_api.get("/api/sessions", {"tenant": "acme"}).json()["items"]} == {
        str(s.pk) for s in old
    }
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    recent = {i["session_id"] for i in owner_api.get("/api/sessions", {"updated_since": since}).json()["items"]}
    assert str(fresh.pk) in recent and str(old[1].pk) not in recent


def test_tenant_bound_token_lists_only_its_tenant_even_when_asking_for_another(owner):
    _make(owner, 2, tenant="acme")
    globex = _make(owner, 1, tenant="globex")
    acme_api = ApiClient(api_token_create(user=owner, name="acme", tenant="acme")[1])
    assert {i["tenant"] for i in acme_api.get("/api/sessions").json()["items"]} == {"acme"}
    assert acme_api.get("/api/sessions", {"tenant": "globex"}).json()["items"] == []
    assert str(globex[0].pk) not in str(acme_api.get("/api/sessions", {"limit": 100}).json())


@pytest.mark.parametrize(
    "params",
    [
        {"tenant": "' OR '1'='1"},
        {"tenant": "acme'; DROP TABLE sessions_app_chatsession; --"},
        {"tenant": "%"},
        {"tenant": "_"},
        {"status": "active' OR 1=1 --"},
        {"cursor": "' OR 1=1 --"},
        {"updated_since": "2020-01-01'; --"},
    ],
)
def test_sql_metacharacters_in_filters_are_inert(owner_api, owner, other_user, params):
    _make(owner, 1, tenant="acme")
    _make(other_user, 1, tenant="acme")
    response = owner_api.get("/api/sessions", params)
    assert response.status_code in (200, 400, 422)
    if response.status_code == 200:
        assert response.json()["items"] == []
    assert ChatSession.objects.count() == 2


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"status": "deleted"}, {"updated_since": "yesterday"},
     {"updated_since": "2026-01-01T00:00:00"}, {"updated_since": "0.5"}, {"updated_since": "1700000000"},
     {"cursor": "x" * 201}],
)
def test_bad_list_parameters_are_422(owner_api, params):
    response = owner_api.get("/api/sessions", params)
    assert response.status_code == 422
    assert response.json()["error"] == "validation"


@pytest.mark.parametrize("cursor", ["garbage", "e30", "WyJ4IiwieSJd", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwieCJd"])
def test_forged_cursor_is_400(owner_api, cursor):
    response = owner_api.get("/api/sessions", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
