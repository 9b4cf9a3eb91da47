"""The audit log in the admin: browsable, filterable by action / actor / date, never editable."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions_app.conversations.sessions import session_archive, session_delete
from sessions_app.governance.audit import audit_record
from sessions_app.models import AuditLogEntry

from .lifecycle_fixtures import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(owner, staff_user):
    a = make_session(owner, turns=1)
    b = make_session(owner, turns=1)
    session_archive(session=a, actor=staff_user)
    session_delete(session_id=b.pk, actor="command:apply_retention")
    old = audit_record(action="export", actor="command:export_session", session_id=a.pk)
    AuditLogEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    return a, b


def _listed(client, **params) -> list[tuple[str, str]]:
    response = client.get(reverse("admin:sessions_app_auditlogentry_changelist"), params)
    assert response.status_code == 200
    return sorted((e.action, e.actor) for e in response.context["cl"].result_list)


def test_changelist_lists_and_filters_by_action_actor_and_date(staff_client, entries):
    everything = [("archive", "stella"), ("delete", "command:apply_retention"), ("export", "command:export_session")]
    assert _listed(staff_client) == everything
    assert _listed(staff_client, action__exact="delete") == [("delete", "command:apply_retention")]
    assert _listed(staff_client, actor="stella") == [("archive", "stella")]
    today = timezone.now().date()
    assert _listed(staff_client, created_at__gte=str(today)) == everything[:2]
    page = staff_client.get(reverse("admin:sessions_app_auditlogentry_changelist")).content.decode()
    assert "command:apply_retention" in page and "Archive" in page


def test_search_by_session_id(staff_client, entries):
    a, b = entries
    assert _listed(staff_client, q=str(b.pk)) == [("delete", "command:apply_retention")]
    assert _listed(staff_client, q=str(a.pk)) == [("archive", "stella"), ("export", "command:export_session")]


def test_entries_can_be_viewed_but_never_added_changed_or_deleted(staff_client, entries):
    entry = AuditLogEntry.objects.get(action="delete")
    change = reverse("admin:sessions_app_auditlogentry_change", args=[entry.pk])
    assert staff_client.get(change).status_code == 200
    assert staff_client.post(change, {"actor": "someone-else"}).status_code == 403
    assert staff_client.get(reverse("admin:sessions_app_auditlogentry_add")).status_code == 403
    delete_url = reverse("admin:sessions_app_auditlogentry_delete", args=[entry.pk])
    assert staff_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = staff_client.post(
        reverse("admin:sessions_app_auditlogentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.actor == "command:apply_retention"
    assert AuditLogEntry.objects.count() == 3
