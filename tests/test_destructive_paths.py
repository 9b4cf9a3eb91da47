"""Every destructive path, one by one: it writes the audit log AND evicts the session from the cache.

Paths: admin single delete, admin bulk delete, admin bulk archive, the ``purge_archived`` and
``erase_user`` commands, and the Celery task ``apply_retention``. Each test warms the cache
through the history class first, checks the entry is there, runs the path (with on-commit
callbacks executed: eviction happens once the write commits), then checks the audit entry and
that ``sessions_app.cache`` no longer has the session.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sessions_app import cache, tasks
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.models import AuditLogEntry, ChatSession

from .lifecycle_fixtures import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed_session(owner, django_capture_on_commit_callbacks):
    """Make a session with messages as if committed (the cache's after-commit hooks run)."""

    def make(turns: int = 1) -> ChatSession:
        with django_capture_on_commit_callbacks(execute=True):
            return make_session(owner, turns=turns)

    return make


def _warm(session: ChatSession) -> None:
    DjangoChatMessageHistory(session.pk).get_recent_messages(10)
    assert cache.read_meta(session.pk) is not None, "the history read should have filled the cache"


def test_admin_single_delete(staff_client, committed_session, django_capture_on_commit_callbacks):
    session = committed_session(2)
    _warm(session)
    with django_capture_on_commit_callbacks(execute=True):
        delete_url = reverse("admin:sessions_app_chatsession_delete", args=[session.pk])
        response = staff_client.post(delete_url, {"post": "yes"})
    assert response.status_code == 302 and not ChatSession.objects.filter(pk=session.pk).exists()
    entry = AuditLogEntry.objects.get(action="delete")
    assert (entry.actor, entry.session_id, entry.messages) == ("stella", session.pk, 4)
    assert cache.read_meta(session.pk) is None


def test_admin_bulk_delete(staff_client, committed_session, django_capture_on_commit_callbacks):
    sessions = [committed_session(1) for _ in range(3)]
    for s in sessions:
        _warm(s)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:sessions_app_chatsession_changelist"),
            {"action": "delete_selected", "_selected_action": [str(s.pk) for s in sessions], "post": "yes"},
        )
    assert response.status_code == 302 and not ChatSession.objects.exists()
    entries = AuditLogEntry.objects.filter(action="delete")
    assert sum(entries.values_list("sessions", flat=True)) == 3
    assert set(entries.values_list("actor", flat=True)) == {"stella"}
    assert all(cache.read_meta(s.pk) is None for s in sessions)


def test_admin_bulk_archive(staff_client, committed_session, django_capture_on_commit_callbacks):
    sessions = [committed_session(1) for _ in range(2)]
    for s in sessions:
        _warm(s)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:sessions_app_chatsession_changelist"),
            {"action": "archive", "_selected_action": [str(s.pk) for s in sessions]},
        )
    assert set(ChatSession.objects.values_list("status", flat=True)) == {"archived"}
    assert sum(AuditLogEntry.objects.filter(action="archive").values_list("sessions", flat=True)) == 2
    assert all(cache.read_meta(s.pk) is None for s in sessions)


def test_purge_command(committed_session, django_capture_on_commit_callbacks):
    session = committed_session(1)
    _warm(session)
    ChatSession.objects.filter(pk=session.pk).update(
        status="archived", archived_at=timezone.now() - dt.timedelta(days=9)
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_archived", "--days", "5", verbosity=0)
    entry = AuditLogEntry.objects.get(action="purge")
    assert (entry.actor, entry.session_id) == ("command:purge_archived", session.pk)
    assert cache.read_meta(session.pk) is None


def test_erase_user_command(committed_session, django_capture_on_commit_callbacks):
    session = committed_session(1)
    _warm(session)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("erase_user", "olivia", verbosity=0)
    assert AuditLogEntry.objects.get(action="erase").actor == "command:erase_user"
    assert cache.read_meta(session.pk) is None


def test_retention_task(committed_session, settings, django_capture_on_commit_callbacks):
    settings.CHATMEMORY_ARCHIVE_AFTER_DAYS = 3
    session = committed_session(1)
    _warm(session)
    ChatSession.objects.filter(pk=session.pk).update(last_active_at=timezone.now() - dt.timedelta(days=4))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.apply_retention.apply().get()
    entry = AuditLogEntry.objects.get(action="archive")
    assert (entry.actor, entry.session_id) == ("task:apply_retention", session.pk)
    assert cache.read_meta(session.pk) is None


@pytest.mark.parametrize("path,prefix", [("/settings/data/delete-conversations/", "erase"),
                                         ("/settings/data/delete-account/", "account")])
def test_self_service_deletions_from_the_page(client, owner, committed_session, django_capture_on_commit_callbacks,
                                              path, prefix):
    """"Delete all my conversations" and "Delete my account" (``/settings/data/``) go through the
    erasure services of ``erase_user``: audited, the cache evicted, checkpoints, share links and
    the search index entries gone."""
    from sessions_app.models import Checkpoint, ShareLink
    from sessions_app.search import conversations_search
    from sessions_app.sharing.services import share_link_create

    from .lifecycle_fixtures import put_checkpoint

    session = committed_session(2)
    _warm(session)
    put_checkpoint(session)
    link, _ = share_link_create(session=session, actor=owner)
    assert conversations_search(user=owner, text="question").results  # make_session's words, indexed
    client.force_login(owner)
    refused = client.post(path, {f"{prefix}-password": "not the password"})
    assert refused.status_code == 400 and ChatSession.objects.filter(pk=session.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {f"{prefix}-password": "correct horse battery staple"})
    assert response.status_code in (200, 302) and not ChatSession.objects.filter(pk=session.pk).exists()
    entry = AuditLogEntry.objects.get(action="erase")
    assert entry.session_id == session.pk or str(session.pk) in [str(i) for i in entry.session_ids or []]
    assert cache.read_meta(session.pk) is None
    assert not Checkpoint.objects.filter(thread_id=str(session.pk)).exists()
    assert not ShareLink.objects.filter(pk=link.pk).exists() and client.get(f"/s/{link.token}/").status_code == 404
    if prefix == "erase":  # the account stays: its search finds nothing any more
        assert not conversations_search(user=owner, text="question").results
