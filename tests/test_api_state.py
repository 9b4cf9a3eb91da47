"""``/api/sessions/{id}/state``: versions, tags, rollback, diff; gated like every session endpoint."""
from __future__ import annotations

import json

import jsonpatch
import pytest

from sessions_app.conversations.sessions import session_archive
from sessions_app.governance.state import state_save
from sessions_app.models import SessionState

pytestmark = pytest.mark.django_db


def _url(session, suffix: str = "") -> str:
    return f"/api/sessions/{session.pk}/state{suffix}"


def test_save_read_versions_rollback_diff(owner_api, chat_session):
    v1 = owner_api.post(_url(chat_session), {"state": {"step": "address", "cart": []}})
    assert v1.status_code == 201 and v1.json() == {"version": 1}
    v2 = owner_api.post(_url(chat_session), {"state": {"step": "payment", "cart": ["book"]}, "tag": "checkout"})
    assert v2.json() == {"version": 2}
    latest = owner_api.get(_url(chat_session)).json()
    assert latest["version"] == 2 and latest["tag"] == "checkout" and latest["state"]["step"] == "payment"
    assert owner_api.get(_url(chat_session), {"version": "1"}).json()["state"] == {"step": "address", "cart": []}
    assert owner_api.get(_url(chat_session), {"version": "checkout"}).json()["version"] == 2
    versions = owner_api.get(_url(chat_session, "/versions")).json()
    assert [(v["version"], v["tag"]) for v in versions] == [(1, None), (2, "checkout")]
    patch = owner_api.get(_url(chat_session, "/diff"), {"a": "1", "b": "checkout"}).json()
    assert jsonpatch.apply_patch({"step": "address", "cart": []}, patch) == {"step": "payment", "cart": ["book"]}
    back = owner_api.post(_url(chat_session, "/rollback"), {"version": 1})
    assert back.status_code == 201 and back.json() == {"version": 3}
    assert owner_api.get(_url(chat_session)).json()["state"] == {"step": "address", "cart": []}
    assert owner_api.post(_url(chat_session, "/rollback"), {"version": "checkout"}).json() == {"version": 4}


def test_missing_versions_and_taken_tags_are_400(owner_api, chat_session):
    assert owner_api.get(_url(chat_session)).status_code == 400  # no state yet
    owner_api.post(_url(chat_session), {"state": 1, "tag": "t"})
    assert owner_api.post(_url(chat_session), {"state": 2, "tag": "t"}).status_code == 400
    assert owner_api.get(_url(chat_session), {"version": "99"}).status_code == 400
    assert owner_api.post(_url(chat_session, "/rollback"), {"version": 99}).status_code == 400
    assert SessionState.objects.count() == 1


@pytest.mark.parametrize("body", [{"state": {"k": "nul\x00"}}, {"state": "\ud800"}, {}, {"state": 1, "x": 2},
                                  {"state": 1, "tag": "123"}, {"state": 1, "tag": ""}, {"state": 1, "tag": "x" * 101}])
def test_bad_state_input_is_4xx_and_writes_nothing(owner_api, chat_session, body):
    response = owner_api.post(_url(chat_session), json.dumps(body))
    assert response.status_code in (400, 422), response.content
    assert not SessionState.objects.exists()


def test_deeply_nested_state_is_422(owner_api, chat_session):
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    assert owner_api.post(_url(chat_session), {"state": deep}).status_code == 422


def test_archived_session_refuses_state_writes(owner_api, chat_session):
    session_archive(session=chat_session)
    assert owner_api.post(_url(chat_session), {"state": 1}).status_code == 409


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("post", "", {"state": 1}), ("get", "", None), ("get", "/versions", None),
    ("post", "/rollback", {"version": 1}), ("get", "/diff?a=1&b=1", None),
])
def test_another_users_state_is_404(other_api, chat_session, method, suffix, body):
    state_save(session_id=chat_session.pk, state={"secret": True})
    url = _url(chat_session, suffix)
    response = getattr(other_api, method)(url, body) if body is not None else getattr(other_api, method)(url)
    assert response.status_code == 404
    assert SessionState.objects.count() == 1
