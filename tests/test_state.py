"""Versioned state (``sessions_app.governance.state``): save, load, tags, rollback, diff, access, concurrency."""
from __future__ import annotations

import threading

import jsonpatch
import pytest
from django.db import connection
from django.urls import reverse

from sessions_app.conversations.sessions import session_archive
from sessions_app.exceptions import InvalidInput, SessionNotFound, SessionReadOnly
from sessions_app.governance import state
from sessions_app.governance.state import state_prune
from sessions_app.models import SessionState

from .factories import ChatSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_versions_count_up_and_load_returns_latest_or_asked(chat_session):
    assert state.save_state(chat_session.pk, {"step": "address", "cart": []}) == 1
    assert state.save_state(str(chat_session.pk), {"step": "payment", "cart": ["book"]}) == 2
    assert state.load_state(chat_session.pk) == {"step": "payment", "cart": ["book"]}
    assert state.load_state(chat_session.pk, version=1) == {"step": "address", "cart": []}
    assert [v["version"] for v in state.list_versions(chat_session.pk)] == [1, 2]


def test_any_json_value_is_state_but_not_python_objects(chat_session):
    assert state.save_state(chat_session.pk, [1, "two", None, {"x": 1.5}]) == 1
    assert state.load_state(chat_session.pk) == [1, "two", None, {"x": 1.5}]
    with pytest.raises(InvalidInput, match="not JSON"):
        state.save_state(chat_session.pk, {"when": object()})
    with pytest.raises(InvalidInput, match="not JSON"):
        state.save_state(chat_session.pk, {"nan": float("nan")})
    assert SessionState.objects.count() == 1


def test_tags_name_snapshots_and_are_unique_per_session(chat_session, owner):
    state.save_state(chat_session.pk, {"a": 1}, tag="before-import")
    state.save_state(chat_session.pk, {"a": 2})
    assert state.load_state(chat_session.pk, version="before-import") == {"a": 1}
    with pytest.raises(InvalidInput, match="already used"):
        state.save_state(chat_session.pk, {"a": 3}, tag="before-import")
    with pytest.raises(InvalidInput, match="plain number"):
        state.save_state(chat_session.pk, {"a": 3}, tag="7")
    with pytest.raises(InvalidInput):
        state.save_state(chat_session.pk, {"a": 3}, tag="   ")
    other = ChatSessionFactory(owner=owner)
    assert state.save_state(other.pk, {"b": 1}, tag="before-import") == 1  # unique per session only
    assert [v["tag"] for v in state.list_versions(chat_session.pk)] == ["before-import", None]


def test_rollback_adds_a_version_and_never_rewrites_history(chat_session):
    state.save_state(chat_session.pk, {"v": 1}, tag="good")
    state.save_state(chat_session.pk, {"v": 2})
    assert state.rollback(chat_session.pk, "good") == 3
    assert state.load_state(chat_session.pk) == {"v": 1}
    assert state.load_state(chat_session.pk, version=2) == {"v": 2}
    versions = state.list_versions(chat_session.pk)
    assert [(v["version"], v["source_version"]) for v in versions] == [(1, None), (2, None), (3, 1)]
    with pytest.raises(InvalidInput, match="no state version 9"):
        state.rollback(chat_session.pk, 9)


def test_diff_is_an_rfc6902_patch_that_applies(chat_session):
    a = {"step": "address", "cart": ["pen"], "user": {"name": "Ann", "age": 30}}
    b = {"step": "payment", "cart": ["pen", "book"], "user": {"name": "Ann"}, "coupon": "X"}
    va, vb = state.save_state(chat_session.pk, a), state.save_state(chat_session.pk, b)
    patch = state.diff_versions(chat_session.pk, va, vb)
    assert {"op": "replace", "path": "/step", "value": "payment"} in patch
    assert {"op": "remove", "path": "/user/age"} in patch
    assert {"op": "add", "path": "/coupon", "value": "X"} in patch
    assert jsonpatch.apply_patch(a, patch) == b
    assert state.diff_versions(chat_session.pk, va, va) == []


def test_missing_state_and_versions_are_clear_errors(chat_session):
    with pytest.raises(InvalidInput, match="no saved state"):
        state.load_state(chat_session.pk)
    state.save_state(chat_session.pk, {})
    with pytest.raises(InvalidInput, match="no state tag 'nope'"):
        state.load_state(chat_session.pk, version="nope")
    with pytest.raises(SessionNotFound):
        state.load_state("not-a-uuid")


def test_another_users_session_is_not_found(chat_session, owner, other_user):
    state.save_state(chat_session.pk, {"secret": 1}, user=owner)
    with pytest.raises(SessionNotFound):
        state.load_state(chat_session.pk, user=other_user)
    with pytest.raises(SessionNotFound):
        state.save_state(chat_session.pk, {"x": 1}, user=other_user)
    with pytest.raises(SessionNotFound):
        state.diff_versions(chat_session.pk, 1, 1, user=other_user)
    assert state.load_state(chat_session.pk, user=owner) == {"secret": 1}


def test_archived_session_state_is_readable_not_writable(chat_session):
    state.save_state(chat_session.pk, {"x": 1})
    session_archive(session=chat_session, actor=None)
    assert state.load_state(chat_session.pk) == {"x": 1}
    with pytest.raises(SessionReadOnly):
        state.save_state(chat_session.pk, {"x": 2})
    with pytest.raises(SessionReadOnly):
        state.rollback(chat_session.pk, 1)


def test_prune_keeps_the_newest_and_every_tagged_snapshot(chat_session):
    for i in range(1, 8):
        state.save_state(chat_session.pk, {"i": i}, tag="pinned" if i == 2 else None)
    assert state_prune(session_id=chat_session.pk, keep=3) == 3  # v1, v3, v4
    assert [v["version"] for v in state.list_versions(chat_session.pk)] == [2, 5, 6, 7]
    assert state_prune(session_id=chat_session.pk, keep=3) == 0
    assert state.save_state(chat_session.pk, {"i": 8}) == 8  # numbers are never reused


def test_admin_shows_a_readable_diff_and_cannot_edit(client, staff_user, chat_session):
    state.save_state(chat_session.pk, {"step": "address", "items": 1})
    state.save_state(chat_session.pk, {"step": "payment<b>", "items": 1})
    row = SessionState.objects.get(session=chat_session, version=2)
    client.force_login(staff_user)
    page = client.get(reverse("admin:sessions_app_sessionstate_change", args=[row.pk])).content.decode()
    assert "from v1" in page and "<td>replace</td>" in page and "/step" in page
    assert "payment&lt;b&gt;" in page  # escaped
    assert client.post(reverse("admin:sessions_app_sessionstate_change", args=[row.pk]), {}).status_code == 403
    assert client.get(reverse("admin:sessions_app_sessionstate_add")).status_code == 403
    assert client.get(reverse("admin:sessions_app_sessionstate_changelist")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_never_share_a_version_number():
    """Threads on their own connections: PostgreSQL row locks, or SQLite's IMMEDIATE write lock."""
    session = ChatSessionFactory(owner=UserFactory(username="racer"))
    writers, per_writer = 8, 5
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []
    got: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(per_writer):
                v = state.save_state(session.pk, {"writer": n, "i": i})
                with lock:
                    got.append(v)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    total = writers * per_writer
    assert sorted(got) == list(range(1, total + 1))
    assert sorted(SessionState.objects.filter(session=session).values_list("version", flat=True)) == list(
        range(1, total + 1)
    )
