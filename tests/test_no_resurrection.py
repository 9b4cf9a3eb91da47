"""A deleted or erased conversation never comes back, whatever arrives late (issue 11).

Every delete path — the service, the API's DELETE, the chat page's delete, the admin's single and
bulk delete, ``purge_archived``, retention's expiry task, ``erase_user`` and the self-service
"delete all my conversations" — is followed by the writes that can arrive after it: an append from
a history object made before the delete, the history factory of a ``RunnableWithMessageHistory``,
a graph still running on the conversation's thread (``put`` / ``put_writes``), a cache refill by
a reader that read before the delete, a late after-commit cache append, an import or a fork
naming the deleted id. Each gets a typed error (``SessionGone`` / ``ThreadGone``) or is skipped;
nothing is stored, and the tombstone (``DeletedSession``) says why.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from langchain_core.messages import AIMessage, HumanMessage, message_to_dict
from langgraph.checkpoint.base import empty_checkpoint

from sessions_app import cache, tasks
from sessions_app.checkpoint import DjangoSaver
from sessions_app.conversations.branches import session_branch
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.sessions import session_create, session_delete
from sessions_app.exceptions import SessionGone, ThreadGone
from sessions_app.governance.erasure import user_erase, user_erase_conversations
from sessions_app.models import (
    ChatMessage,
    ChatSession,
    Checkpoint,
    CheckpointBlob,
    CheckpointThread,
    CheckpointWrite,
    DeletedSession,
)
from sessions_app.transfer.export import iter_session_document
from sessions_app.transfer.importers import ParsedConversation
from sessions_app.transfer.imports import conversations_import, import_session_id
from sessions_app.transfer.native import parse_session_document
from sessions_app.transfer.services import session_import

from .factories import UserFactory
from .lifecycle_fixtures import make_session, put_checkpoint

pytestmark = pytest.mark.django_db

PATHS = ["service", "api", "page", "admin_single", "admin_bulk", "purge", "expire_task", "erase_user",
         "delete_all_mine"]
ERASING = {"erase_user", "delete_all_mine"}
REASON = {"service": "delete", "api": "delete", "page": "delete", "admin_single": "delete", "admin_bulk": "delete",
          "purge": "purge", "expire_task": "expire", "erase_user": "erase", "delete_all_mine": "erase"}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _delete(path: str, session: ChatSession, owner: Any) -> None:
    """Delete ``session`` the way ``path`` does (on-commit callbacks are run by the caller)."""
    if path == "service":
        session_delete(session_id=session.pk, actor="test")
    elif path == "api":
        from sessions_app.accounts.tokens import api_token_create

        token = api_token_create(user=owner, name="script")[1]
        response = Client().delete(f"/api/sessions/{session.pk}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.content
    elif path == "page":
        response = _client(owner).post(reverse("conversation_delete", args=[session.pk]))
        assert response.status_code in (200, 302)
    elif path in ("admin_single", "admin_bulk"):
        staff = _client(UserFactory(username="stella", is_staff=True, is_superuser=True))
        if path == "admin_single":
            response = staff.post(reverse("admin:sessions_app_chatsession_delete", args=[session.pk]), {"post": "yes"})
        else:
            response = staff.post(reverse("admin:sessions_app_chatsession_changelist"),
                                  {"action": "delete_selected", "_selected_action": [str(session.pk)], "post": "yes"})
        assert response.status_code == 302
    elif path == "purge":
        ChatSession.objects.filter(pk=session.pk).update(status="archived",
                                                         archived_at=timezone.now() - dt.timedelta(days=9))
        call_command("purge_archived", "--days", "5", verbosity=0)
    elif path == "expire_task":
        ChatSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
        tasks.apply_retention.apply().get()
    elif path == "erase_user":
        user_erase(user=owner, actor="test")
    elif path == "delete_all_mine":
        user_erase_conversations(user=owner, actor=owner)
    else:  # pragma: no cover
        raise AssertionError(path)
    assert not ChatSession.objects.filter(pk=session.pk).exists(), f"{path} did not delete the session"


@pytest.fixture
def deleted(owner, django_capture_on_commit_callbacks) -> Callable[[str], tuple[ChatSession, Any]]:
    """``deleted(path)``: a committed session with messages and a checkpoint, deleted through ``path``;
    returns it and a history object made (and read, so the cache is warm) before the delete."""

    def make(path: str) -> tuple[ChatSession, Any]:
        with django_capture_on_commit_callbacks(execute=True):
            session = make_session(owner, turns=1)
        put_checkpoint(session)
        history = DjangoChatMessageHistory(session.pk)
        assert len(history.get_recent_messages(10)) == 2
        with django_capture_on_commit_callbacks(execute=True):
            _delete(path, session, owner)
        return session, history

    return make


def _nothing_stored(session_id: uuid.UUID) -> None:
    assert not ChatSession.objects.filter(pk=session_id).exists()
    assert not ChatMessage.objects.filter(session_id=session_id).exists()
    thread = str(session_id)
    for model in (Checkpoint, CheckpointBlob, CheckpointWrite, CheckpointThread):
        assert not model.objects.filter(thread_id=thread).exists(), model.__name__


@pytest.mark.parametrize("path", PATHS)
def test_the_delete_leaves_a_tombstone_without_content(path, deleted):
    session, _ = deleted(path)
    tomb = DeletedSession.objects.get(pk=session.pk)
    assert tomb.reason == REASON[path]
    assert timezone.now() - tomb.deleted_at < dt.timedelta(minutes=1)
    assert {f.attname for f in DeletedSession._meta.concrete_fields} == {"session_id", "deleted_at", "reason"}


@pytest.mark.parametrize("path", PATHS)
def test_an_append_from_a_history_made_before_the_delete_is_refused(path, deleted):
    session, history = deleted(path)
    with pytest.raises(SessionGone):
        history.add_messages([HumanMessage("late")])
    with pytest.raises(SessionGone):
        async_to_sync(history.aadd_messages)([HumanMessage("late, async")])
    with pytest.raises(SessionGone):
        history.add_messages_and_get_recent([HumanMessage("late")], 10)
    _nothing_stored(session.pk)


@pytest.mark.parametrize("path", ["service", "erase_user"])
def test_a_late_state_save_is_refused(path, deleted):
    from sessions_app.governance.state import state_save

    session, _ = deleted(path)
    with pytest.raises(SessionGone):
        state_save(session_id=session.pk, state={"late": True})


@pytest.mark.parametrize("path", PATHS)
def test_the_history_factory_does_not_recreate_a_deleted_conversation(path, deleted, owner):
    session, _ = deleted(path)
    if path in ERASING and path == "erase_user":
        owner = UserFactory(username="olivia")  # someone signs up again under the erased name
    with pytest.raises(SessionGone):
        DjangoChatMessageHistory.for_user(user_id=owner.pk, session_id=session.pk)
    with pytest.raises(SessionGone):
        DjangoChatMessageHistory.for_user(user_id=owner.username, session_id=str(session.pk))
    with pytest.raises(SessionGone):  # the async factory (RunnableWithMessageHistory.ainvoke)
        async_to_sync(DjangoChatMessageHistory.afor_user)(user_id=owner.pk, session_id=session.pk)
    with pytest.raises(SessionGone):
        session_create(owner=owner, session_id=session.pk)
    _nothing_stored(session.pk)


def _next_checkpoint(saver: DjangoSaver) -> dict[str, Any]:
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"messages": ["late"], "count": 1}
    checkpoint["channel_versions"] = {"messages": saver.get_next_version(None, None), "count": "1"}
    return checkpoint


@pytest.mark.parametrize("path", PATHS)
def test_a_graph_still_running_on_the_thread_stores_nothing(path, deleted):
    session, _ = deleted(path)
    saver = DjangoSaver()
    config = {"configurable": {"thread_id": str(session.pk), "checkpoint_ns": ""}}
    checkpoint = _next_checkpoint(saver)
    with pytest.raises(ThreadGone):
        saver.put(config, checkpoint, {"source": "loop", "step": 1}, checkpoint["channel_versions"])
    with pytest.raises(ThreadGone):
        saver.put({"configurable": {**config["configurable"], "checkpoint_ns": "child:1"}}, checkpoint,
                  {"source": "loop", "step": 1}, checkpoint["channel_versions"])
    with pytest.raises(ThreadGone):
        saver.put_writes({"configurable": {**config["configurable"], "checkpoint_id": checkpoint["id"]}},
                         [("messages", "late"), ("__error__", "boom")], task_id="t1")
    with pytest.raises(ThreadGone):
        saver.put_writes({"configurable": {**config["configurable"], "checkpoint_id": checkpoint["id"]}},
                         [("__interrupt__", "late")], task_id="t1")
    _nothing_stored(session.pk)


def test_thread_gone_is_a_session_gone_and_maps_to_410():
    err = ThreadGone("x")
    assert isinstance(err, SessionGone) and err.status_code == 410 and err.code == "gone"


def test_threads_that_are_not_conversations_are_not_affected(saver, owner):
    """A thread id that is no conversation's id (any string, or a UUID of no session) is written as before."""
    for thread_id in ("my-thread", str(uuid.uuid4())):
        config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        checkpoint = _next_checkpoint(saver)
        stored = saver.put(config, checkpoint, {"source": "input", "step": 0}, checkpoint["channel_versions"])
        saver.put_writes(stored, [("messages", "x")], task_id="t1")
        assert saver.get_tuple(config).pending_writes == [("t1", "messages", "x")]


def test_a_live_conversation_thread_is_written_as_before(saver, owner):
    session = make_session(owner, turns=0)
    put_checkpoint(session)
    assert Checkpoint.objects.filter(thread_id=str(session.pk)).count() == 1


def _cached_content(session_id: uuid.UUID) -> list[Any]:
    """What the cache still holds about the session beyond its eviction epoch and the deletion marker."""
    alias = settings.CHATMEMORY_CACHE_ALIAS
    store = cache.registry.current_store()
    if type(store).__name__ == "RedisWindowStore":
        from django_redis import get_redis_connection

        client = get_redis_connection(alias)
        found: list[Any] = []
        for key in client.keys(f"*:{session_id}"):
            kind = key.decode().split(":")[-2]
            if kind == "m" and client.hgetall(key) == {b"gone": b"1"} or kind == "e":
                continue
            found.append((key, client.type(key)))
        return found
    return [v for v in [caches[alias].get(f"w:{session_id}")] if v not in (None, {"gone": True})]


@pytest.mark.parametrize("path", PATHS)
def test_a_reader_that_read_before_the_delete_does_not_refill_the_cache(path, owner, deleted,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = make_session(owner, turns=1)
    cache.evict(session.pk)
    before = cache.read_window(session.pk, 10)  # a miss: the epoch the reader will fill under
    rows = list(ChatMessage.objects.filter(session_id=session.pk).order_by("seq").values_list("seq", "message"))
    with django_capture_on_commit_callbacks(execute=True):
        _delete(path, session, owner)
    cache.fill_window(session.pk, epoch=before.epoch, session=session, records=rows)
    assert cache.read_meta(session.pk) is None
    assert _cached_content(session.pk) == []


@pytest.mark.parametrize("path", PATHS)
def test_a_late_after_commit_append_does_not_put_content_back(path, deleted):
    """A writer committed just before the delete; its after-commit cache update runs after the delete's eviction."""
    session, history = deleted(path)
    late = [cache.entry(3, json.dumps(message_to_dict(HumanMessage("committed before the delete"))))]
    cache.append_entries(session.pk, late)
    window = cache.append_entries_and_read(session.pk, late, 10)
    assert window.records is None
    assert cache.read_meta(session.pk) is None
    assert _cached_content(session.pk) == []


def test_a_live_session_still_gets_its_appends_cached(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = make_session(owner, turns=1)
    history = DjangoChatMessageHistory(session.pk)
    history.get_recent_messages(10)  # fill
    with django_capture_on_commit_callbacks(execute=True):
        history.add_messages([HumanMessage("more"), AIMessage("yes")])
    window = cache.read_window(session.pk, 4)
    assert [r["data"]["content"] for r in window.records] == ["question 0", "answer 0", "more", "yes"]


@pytest.mark.parametrize("path", ["service", "delete_all_mine"])
def test_importing_the_deleted_conversation_again_is_refused(path, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = make_session(owner, turns=1)
    document = parse_session_document(json.loads("".join(iter_session_document(session))))
    with django_capture_on_commit_callbacks(execute=True):
        _delete(path, session, owner)
    with pytest.raises(SessionGone):
        session_import(document=document, actor="test", owner=owner)
    _nothing_stored(session.pk)
    fresh = session_import(document=document, actor="test", owner=owner, new_id=True)  # a new id is fine
    assert fresh.pk != session.pk and fresh.message_count == 2


def test_a_bulk_reimport_skips_the_deleted_conversation(owner, django_capture_on_commit_callbacks):
    conversation = ParsedConversation(source_format="sharegpt", source_id="conv-1", index=1, title="t",
                                      messages=[HumanMessage("hi"), AIMessage("hello")])
    assert conversations_import(owner=owner, conversations=[conversation]).imported == 1
    sid = import_session_id(owner_id=owner.pk, source_format="sharegpt", source_id="conv-1")
    with django_capture_on_commit_callbacks(execute=True):
        session_delete(session_id=sid, actor="test")
    summary = conversations_import(owner=owner, conversations=[conversation])
    assert (summary.imported, summary.skipped_existing) == (0, 1)
    _nothing_stored(sid)


def test_a_branch_of_a_deleted_conversation_and_a_fork_onto_its_thread_are_refused(owner, saver,
                                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = make_session(owner, turns=2)
        other = make_session(owner, turns=1)
    put_checkpoint(other)
    with django_capture_on_commit_callbacks(execute=True):
        session_delete(session_id=session.pk, actor="test")
    with pytest.raises(SessionGone):
        session_branch(session=session, before_seq=3)
    with pytest.raises(ThreadGone):
        saver.copy_thread(str(other.pk), str(session.pk))
    _nothing_stored(session.pk)


def test_retention_deletes_tombstones_older_than_the_setting(settings, owner, capsys):
    settings.CHATMEMORY_TOMBSTONE_DAYS = 30
    old, recent = (make_session(owner, turns=0) for _ in range(2))
    session_delete(session_id=old.pk, actor="test")
    session_delete(session_id=recent.pk, actor="test")
    DeletedSession.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - dt.timedelta(days=31))
    call_command("apply_retention", "--dry-run")
    assert "delete_tombstones: would delete 1 tombstones" in capsys.readouterr().out
    assert DeletedSession.objects.count() == 2
    call_command("apply_retention")
    assert "delete_tombstones: deleted 1 tombstones" in capsys.readouterr().out
    assert list(DeletedSession.objects.values_list("pk", flat=True)) == [recent.pk]
    # after that the id is free like an unused one: a new, empty conversation; nothing old comes back
    again = session_create(owner=owner, session_id=old.pk)
    assert again.message_count == 0 and not ChatMessage.objects.filter(session_id=old.pk).exists()
    settings.CHATMEMORY_TOMBSTONE_DAYS = 0  # kept for ever
    DeletedSession.objects.update(deleted_at=timezone.now() - dt.timedelta(days=3650))
    call_command("apply_retention")
    assert DeletedSession.objects.filter(pk=recent.pk).exists()


def test_a_delete_that_bypasses_the_services_still_leaves_a_tombstone(owner):
    """The database trigger (migration 0014): the shell's ``session.delete()``, a raw DELETE, a cascade."""
    by_model, by_sql = make_session(owner, turns=1), make_session(owner, turns=0)
    model_pk = by_model.pk
    by_model.delete()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {ChatSession._meta.db_table} WHERE id = %s",
                    [ChatSession._meta.pk.get_db_prep_value(by_sql.pk, connection)])
    assert set(DeletedSession.objects.values_list("pk", "reason")) == {(model_pk, "delete"), (by_sql.pk, "delete")}
    with pytest.raises(SessionGone):
        session_create(owner=owner, session_id=by_sql.pk)
    survivor = UserFactory(username="cascade")
    cascaded = make_session(survivor, turns=0)
    survivor.delete()
    assert DeletedSession.objects.filter(pk=cascaded.pk).exists()
