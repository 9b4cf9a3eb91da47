"""Retention services and commands: each step, policy switches, dry runs, batching, idempotency."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_archive, session_unarchive
from sessions_app.governance import state
from sessions_app.governance.retention import keep_state_versions, retention_apply
from sessions_app.models import AuditLogEntry, ChatMessage, ChatSession, Checkpoint, SessionState

from .lifecycle_fixtures import make_session, put_checkpoint

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def policy(settings):
    settings.CHATMEMORY_ARCHIVE_AFTER_DAYS = 30
    settings.CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS = 90
    settings.CHATMEMORY_KEEP_STATE_VERSIONS = 2
    settings.CHATMEMORY_RETENTION_BATCH_SIZE = 2
    return settings


def _age(session: ChatSession, *, idle_days: float = 0, archived_days: float | None = None) -> None:
    now = timezone.now()
    fields = {"last_active_at": now - idle_days * DAY}
    if archived_days is not None:
        fields.update(status=ChatSession.Status.ARCHIVED, archived_at=now - archived_days * DAY)
    ChatSession.objects.filter(pk=session.pk).update(**fields)


@pytest.fixture
def population(owner, policy):
    """fresh (active), idle ×3 (archive), old-archived ×3 (purge), recent-archived, expired, pruned-state."""
    fresh = make_session(owner, turns=1)
    idle = [make_session(owner, turns=1) for _ in range(3)]
    for s in idle:
        _age(s, idle_days=45)
    old = [make_session(owner, turns=2, states=1) for _ in range(3)]
    for s in old:
        _age(s, idle_days=400, archived_days=120)
    put_checkpoint(old[0])
    recent_archived = make_session(owner, turns=1)
    _age(recent_archived, idle_days=200, archived_days=10)
    expired = make_session(owner, turns=1, expires_at=timezone.now() + DAY)
    ChatSession.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - DAY)
    stateful = make_session(owner, turns=0, metadata={"keep_state_versions": True})
    for i in range(5):
        state.save_state(stateful.pk, {"i": i}, tag="first" if i == 0 else None)
    return {"fresh": fresh, "idle": idle, "old": old, "recent_archived": recent_archived,
            "expired": expired, "stateful": stateful}


def _status(session: ChatSession) -> str | None:
    return ChatSession.objects.filter(pk=session.pk).values_list("status", flat=True).first()


def test_apply_retention_does_each_step_and_a_second_run_changes_nothing(population):
    p = population
    summary = retention_apply(actor="command:test")
    steps = {s.step: s for s in summary.steps}
    assert (steps["delete_expired"].sessions, steps["delete_expired"].messages) == (1, 2)
    assert (steps["archive_inactive"].sessions, steps["archive_inactive"].messages) == (3, 6)
    assert steps["archive_inactive"].batches == 2  # batch size 2
    purge = steps["purge_archived"]
    assert (purge.sessions, purge.messages, purge.state_versions, purge.checkpoints) == (3, 12, 3, 1)
    assert (steps["prune_state"].sessions, steps["prune_state"].state_versions) == (1, 2)

    assert _status(p["fresh"]) == "active"
    assert all(_status(s) == "archived" for s in p["idle"])
    assert all(_status(s) is None for s in p["old"]) and _status(p["expired"]) is None
    assert not ChatMessage.objects.filter(session_id__in=[s.pk for s in p["old"]]).exists()
    assert not Checkpoint.objects.filter(thread_id=str(p["old"][0].pk)).exists()
    assert _status(p["recent_archived"]) == "archived"
    assert [v["version"] for v in state.list_versions(p["stateful"].pk)] == [1, 4, 5]  # tag "first" kept

    actions = sorted(AuditLogEntry.objects.values_list("action", flat=True))
    assert actions == ["archive", "archive", "expire", "prune_state", "purge", "purge"]
    assert set(AuditLogEntry.objects.values_list("actor", flat=True)) == {"command:test"}
    assert sum(AuditLogEntry.objects.filter(action="purge").values_list("sessions", flat=True)) == 3

    before = (ChatSession.objects.count(), ChatMessage.objects.count(), SessionState.objects.count(),
              AuditLogEntry.objects.count())
    again = retention_apply(actor="command:test")
    assert again.changed == 0 and all(s.sessions == 0 for s in again.steps)
    assert before == (ChatSession.objects.count(), ChatMessage.objects.count(), SessionState.objects.count(),
                      AuditLogEntry.objects.count())


def test_dry_run_counts_the_same_and_changes_nothing(population):
    before = (ChatSession.objects.count(), ChatMessage.objects.count(), SessionState.objects.count())
    dry = {s.step: (s.sessions, s.messages, s.state_versions) for s in retention_apply(actor=None, dry_run=True).steps}
    assert before == (ChatSession.objects.count(), ChatMessage.objects.count(), SessionState.objects.count())
    assert not AuditLogEntry.objects.exists()
    assert dry["delete_expired"][:2] == (1, 2) and dry["archive_inactive"][:2] == (3, 6)
    assert dry["purge_archived"][:2] == (3, 12) and dry["prune_state"] == (1, 0, 2)


def test_unarchived_or_touched_sessions_are_re_checked(owner, policy):
    idle = make_session(owner, turns=1)
    _age(idle, idle_days=45)
    messages_append(session_id=idle.pk, messages=[])  # no-op
    session_archive(session=idle, actor=None)
    session_unarchive(session=idle, actor=None)  # touches last_active_at
    summary = retention_apply(actor=None)
    assert _status(idle) == "active" and summary.changed == 0


def test_policy_zero_switches_steps_off(population, settings):
    settings.CHATMEMORY_ARCHIVE_AFTER_DAYS = 0
    settings.CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS = 0
    steps = {s.step: s for s in retention_apply(actor=None).steps}
    assert steps["archive_inactive"].skipped and steps["purge_archived"].skipped
    assert all(_status(s) == "active" for s in population["idle"])
    assert all(_status(s) == "archived" for s in population["old"])
    assert steps["delete_expired"].sessions == 1  # expiry is per session, always applied


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [({"keep_state_versions": True}, 2), ({"keep_state_versions": 7}, 7), ({"keep_state_versions": 0}, None),
     ({"keep_state_versions": "3"}, None), ({"keep_state_versions": False}, None), ({}, None), (None, None)],
)
def test_keep_state_versions_from_metadata(policy, metadata, expected):
    assert keep_state_versions(metadata) == expected


def test_commands_print_a_summary_and_a_progress_bar(population, capsys):
    call_command("archive_inactive", "--dry-run")
    out, err = capsys.readouterr()
    assert "archive_inactive: would affect 3 sessions, 3 messages" not in out  # 2 messages per turn
    assert "archive_inactive: would affect 3 sessions, 6 messages" in out and "dry run" in out
    assert "archive_inactive" in err and "3/3" in err  # tqdm on stderr
    call_command("archive_inactive", "--days", "40", "--batch-size", "1")
    out, _ = capsys.readouterr()
    assert "archive_inactive: affected 3 sessions, 6 messages in 3 batches" in out
    call_command("purge_archived", "--days", "100")
    out, _ = capsys.readouterr()
    assert "purge_archived: affected 3 sessions, 12 messages, 3 state versions, 1 checkpoints" in out
    call_command("apply_retention")
    out, _ = capsys.readouterr()
    assert "delete_expired: affected 1 sessions, 2 messages" in out
    assert "prune_state: affected 1 sessions, 0 messages, 2 state versions" in out
    assert set(AuditLogEntry.objects.values_list("actor", flat=True)) == {
        "command:archive_inactive", "command:purge_archived", "command:apply_retention",
    }
    call_command("apply_retention")
    out, _ = capsys.readouterr()
    assert "affected 0 sessions" in out and "affected 1" not in out


def test_command_rejects_a_bad_days_value(db):
    with pytest.raises(CommandError, match="--days"):
        call_command("purge_archived", "--days", "0")
    with pytest.raises(CommandError, match="--days"):
        call_command("archive_inactive", "--days", "-3")
