"""Lifecycle services: archive / unarchive / delete / expiry, each audited, delete takes everything."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from langchain_core.messages import HumanMessage

from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import (
    session_archive,
    session_create,
    session_delete,
    session_set_expiry,
    session_unarchive,
)
from sessions_app.exceptions import InvalidInput, SessionGone, SessionReadOnly
from sessions_app.governance.audit import audit_record
from sessions_app.governance.lifecycle import sessions_delete
from sessions_app.governance.state import state_save
from sessions_app.models import (
    AuditLogEntry,
    ChatMessage,
    ChatSession,
    Checkpoint,
    CheckpointBlob,
    CheckpointWrite,
    SessionState,
)

from .lifecycle_fixtures import make_session, put_checkpoint

pytestmark = pytest.mark.django_db


def test_archive_is_audited_with_the_acting_user_and_read_only_after(owner, staff_user):
    session = make_session(owner, turns=2)
    session_archive(session=session, actor=staff_user)
    assert session.status == ChatSession.Status.ARCHIVED and session.archived_at is not None
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.user, entry.actor) == ("archive", staff_user, "stella")
    assert (entry.session_id, entry.sessions, entry.messages) == (session.pk, 1, 4)
    with pytest.raises(SessionReadOnly):
        messages_append(session_id=session.pk, messages=[HumanMessage("late")])
    with pytest.raises(SessionReadOnly):
        state_save(session_id=session.pk, state={"x": 1})


def test_archive_twice_changes_nothing_the_second_time(owner):
    session = make_session(owner, turns=0)
    session_archive(session=session, actor="command:test")
    first_archived_at = session.archived_at
    session_archive(session=session, actor="command:test")
    assert session.archived_at == first_archived_at
    assert AuditLogEntry.objects.count() == 1
    assert AuditLogEntry.objects.get().actor == "command:test"


def test_unarchive_is_audited_and_makes_it_writable(owner):
    session = make_session(owner, turns=1)
    session_archive(session=session, actor=owner)
    session_unarchive(session=session, actor=owner)
    assert session.status == ChatSession.Status.ACTIVE and session.archived_at is None
    messages_append(session_id=session.pk, messages=[HumanMessage("back")])
    assert list(AuditLogEntry.objects.order_by("id").values_list("action", "actor")) == [
        ("archive", "olivia"),
        ("unarchive", "olivia"),
    ]


def test_archive_of_a_deleted_session_is_gone(owner):
    session = make_session(owner, turns=0)
    session_delete(session_id=session.pk, actor=None)
    with pytest.raises(SessionGone):
        session_archive(session=session, actor=None)
    with pytest.raises(SessionGone):
        session_unarchive(session=session, actor=None)


def test_delete_takes_messages_and_state_and_leaves_other_sessions(owner):
    doomed = make_session(owner, turns=3, states=2)
    kept = make_session(owner, turns=1, states=1)
    assert session_delete(session_id=doomed.pk, actor="command:test") == 6
    assert not ChatSession.objects.filter(pk=doomed.pk).exists()
    assert not ChatMessage.objects.filter(session_id=doomed.pk).exists()
    assert not SessionState.objects.filter(session_id=doomed.pk).exists()
    assert ChatMessage.objects.filter(session_id=kept.pk).count() == 2
    assert SessionState.objects.filter(session_id=kept.pk).count() == 1
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.session_id, entry.sessions, entry.messages) == (
        "delete", "command:test", doomed.pk, 1, 6,
    )
    assert entry.details["state_versions"] == 2


def test_delete_takes_the_sessions_langgraph_thread_too(owner):
    doomed, kept = make_session(owner, turns=1), make_session(owner, turns=1)
    put_checkpoint(doomed)
    put_checkpoint(doomed, ns="child")
    put_checkpoint(kept)
    assert Checkpoint.objects.filter(thread_id=str(doomed.pk)).count() == 2
    session_delete(session_id=doomed.pk, actor=None)
    for model in (Checkpoint, CheckpointBlob, CheckpointWrite):
        assert not model.objects.filter(thread_id=str(doomed.pk)).exists()
        assert model.objects.filter(thread_id=str(kept.pk)).exists()
    assert AuditLogEntry.objects.get().details["checkpoints"] == 2


def test_delete_is_idempotent_and_audits_only_real_deletes(owner):
    session = make_session(owner, turns=1)
    session_delete(session_id=session.pk, actor=None)
    assert session_delete(session_id=session.pk, actor=None) == 0
    assert AuditLogEntry.objects.filter(action="delete").count() == 1
    assert AuditLogEntry.objects.get().actor == "system"
    with pytest.raises(SessionGone):
        messages_append(session_id=session.pk, messages=[HumanMessage("resurrect?")])
    assert not ChatSession.objects.filter(pk=session.pk).exists()


def test_bulk_delete_writes_one_entry_listing_the_sessions(owner, staff_user):
    sessions = [make_session(owner, turns=1) for _ in range(3)]
    result = sessions_delete(session_ids=[s.pk for s in sessions], actor=staff_user)
    assert (result.sessions, result.messages) == (3, 6)
    entry = AuditLogEntry.objects.get()
    assert entry.session_id is None
    assert sorted(entry.session_ids) == sorted(str(s.pk) for s in sessions)
    assert (entry.sessions, entry.messages, entry.user) == (3, 6, staff_user)


def test_expiry_must_be_aware_and_can_be_set_and_cleared(owner):
    when = timezone.now() + dt.timedelta(hours=1)
    session = session_create(owner=owner, expires_at=when, metadata={"channel": "web"})
    assert ChatSession.objects.get(pk=session.pk).expires_at == when
    assert ChatSession.objects.expired(now=when).filter(pk=session.pk).exists()
    session_set_expiry(session=session, expires_at=None)
    assert ChatSession.objects.get(pk=session.pk).expires_at is None
    with pytest.raises(InvalidInput):
        session_create(owner=owner, expires_at=dt.datetime(2030, 1, 1))  # noqa: DTZ001
    with pytest.raises(InvalidInput):
        session_set_expiry(session=session, expires_at=dt.datetime(2030, 1, 1))  # noqa: DTZ001


def test_audit_rejects_an_unknown_action_and_a_strange_actor(owner):
    with pytest.raises(ValueError):
        audit_record(action="vaporize", actor=None)
    with pytest.raises(TypeError):
        audit_record(action="delete", actor=42)
    assert not AuditLogEntry.objects.exists()
