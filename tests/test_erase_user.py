"""Erasure of one user: the service, the command (with --dry-run) and the admin paths."""
from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from sessions_app.accounts.tokens import api_token_create
from sessions_app.models import ApiToken, AuditLogEntry, ChatMessage, ChatSession, Checkpoint, SessionState

from .lifecycle_fixtures import make_session, put_checkpoint

pytestmark = pytest.mark.django_db
User = get_user_model()


def _owned_rows(user_id: int) -> tuple[int, int, int]:
    return (
        ChatSession.objects.filter(owner_id=user_id).count(),
        ChatMessage.objects.filter(session__owner_id=user_id).count(),
        SessionState.objects.filter(session__owner_id=user_id).count(),
    )


def test_dry_run_counts_and_deletes_nothing(owner, capsys):
    make_session(owner, turns=2, states=1)
    make_session(owner, turns=1)
    call_command("erase_user", "olivia", "--dry-run")
    out = capsys.readouterr().out
    assert "Would erase user 'olivia'" in out and "2 sessions, 6 messages, 1 state versions" in out
    assert _owned_rows(owner.pk) == (2, 6, 1)
    assert not AuditLogEntry.objects.exists()


def test_command_erases_everything_of_that_user_only(owner, other_user, capsys):
    first = make_session(owner, turns=2, states=2)
    make_session(owner, turns=1)
    kept = make_session(other_user, turns=1, states=1)
    put_checkpoint(first)
    put_checkpoint(kept)
    api_token_create(user=owner, name="laptop")
    api_token_create(user=other_user, name="phone")
    user_id = owner.pk
    call_command("erase_user", "olivia")
    assert "Erased user 'olivia'" in capsys.readouterr().out
    assert not User.objects.filter(pk=user_id).exists()
    assert _owned_rows(user_id) == (0, 0, 0)
    assert _owned_rows(other_user.pk) == (1, 2, 1) and ChatSession.objects.filter(pk=kept.pk).exists()
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.user, entry.target_user_id) == (
        "erase", "command:erase_user", None, user_id
    )
    assert (entry.sessions, entry.messages, len(entry.session_ids)) == (2, 6, 2)
    assert entry.details["state_versions"] == 2 and entry.details["checkpoints"] == 1
    assert not Checkpoint.objects.filter(thread_id=str(first.pk)).exists()
    assert Checkpoint.objects.filter(thread_id=str(kept.pk)).exists()
    assert "olivia" not in str(entry.details)
    assert entry.details["other_rows"] == {"sessions_app.ApiToken": 1}
    assert not ApiToken.objects.filter(user_id=user_id).exists()
    assert ApiToken.objects.filter(user=other_user).exists()


def test_command_unknown_user_is_a_clear_error():
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("erase_user", "nobody")


def test_admin_erase_action(admin_client_for_staff, owner, other_user):
    make_session(owner, turns=1, states=1)
    make_session(other_user, turns=1)
    url = reverse("admin:auth_user_changelist")
    response = admin_client_for_staff.post(
        url, {"action": "erase_users", "_selected_action": [owner.pk, other_user.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "Erased user #" in response.content.decode()
    assert not User.objects.filter(pk__in=[owner.pk, other_user.pk]).exists()
    assert ChatSession.objects.count() == 0
    entries = AuditLogEntry.objects.filter(action="erase")
    assert sorted(entries.values_list("target_user_id", flat=True)) == sorted([owner.pk, other_user.pk])
    assert set(entries.values_list("actor", flat=True)) == {"stella"}


def test_admin_delete_of_a_user_goes_through_erasure(admin_client_for_staff, owner):
    session = make_session(owner, turns=2)
    url = reverse("admin:auth_user_delete", args=[owner.pk])
    response = admin_client_for_staff.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not ChatSession.objects.filter(pk=session.pk).exists()
    entry = AuditLogEntry.objects.get(action="erase")
    assert (entry.sessions, entry.messages, entry.actor) == (1, 4, "stella")
    assert LogEntry.objects.filter(object_id=str(owner.pk)).exists()  # Django's own admin log too


@pytest.fixture
def admin_client_for_staff(client, staff_user):
    client.force_login(staff_user)
    return client
