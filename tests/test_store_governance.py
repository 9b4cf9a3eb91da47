"""Store items are governed like conversations: erased with their user, deleted with their
conversation, swept when expired (audited), browsable/searchable/deletable in the admin (audited)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions_app.conversations.sessions import session_delete
from sessions_app.governance.erasure import user_erase, user_erase_preview
from sessions_app.models import AuditLogEntry, StoreItem
from sessions_app.store import DjangoStore, session_namespace, user_namespace
from sessions_app.tasks import sweep_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store() -> DjangoStore:
    return DjangoStore()


def test_erasure_deletes_the_users_items_and_no_one_elses(store, owner, other_user, chat_session) -> None:
    store.put(user_namespace(owner, "memories"), "m1", {"text": "likes tea"})
    store.put(user_namespace(owner, "memories", tenant="acme"), "m2", {"text": "works at acme"})
    store.put(session_namespace(chat_session), "summary", {"text": "we talked"})
    store.put(user_namespace(other_user, "memories"), "m1", {"text": "likes coffee"})
    store.put(("app", "config"), "k", {"v": 1})
    assert user_erase_preview(user=owner).other_rows == {"sessions_app.StoreItem": 3}
    summary = user_erase(user=owner, actor="command:erase_user")
    assert summary.other_rows["sessions_app.StoreItem"] == 3
    left = sorted(StoreItem.objects.values_list("prefix", flat=True))
    assert left == ["app.config", f"users.{other_user.pk}.memories"]
    entry = AuditLogEntry.objects.get(action="erase")
    assert entry.details["other_rows"]["sessions_app.StoreItem"] == 3


def test_deleting_a_conversation_deletes_its_items_only(store, owner, chat_session) -> None:
    store.put(session_namespace(chat_session), "summary", {"text": "we talked"})
    store.put(user_namespace(owner, "memories"), "m1", {"text": "likes tea"})
    session_delete(session_id=chat_session.pk, actor=owner)
    assert list(StoreItem.objects.values_list("key", flat=True)) == ["m1"]
    assert AuditLogEntry.objects.get(action="delete").details["store_items"] == 1


def test_sweep_task_and_command_are_audited(store) -> None:
    store.put(("t",), "a", {"v": 1}, ttl=1)
    store.put(("t",), "b", {"v": 1}, ttl=1)
    StoreItem.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert sweep_store.apply(kwargs={"dry_run": True}).get() == {"store_items": 2}
    assert not AuditLogEntry.objects.exists()
    assert sweep_store.apply().get() == {"store_items": 2}
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.details) == ("store_expire", "task:sweep_store", {"store_items": 2})
    call_command("sweep_store")  # nothing left: no second entry
    assert AuditLogEntry.objects.count() == 1


def test_admin_lists_searches_and_deletes_with_audit(store, staff_client, owner) -> None:
    store.put(user_namespace(owner, "memories"), "m1", {"text": "Biscuit is the dog"})
    store.put(("app", "docs"), "d1", {"text": "release notes"})
    def listed(**query: str) -> set[str]:
        """The keys of the changelist's result rows (not a substring search of the page: its
        random CSRF token can contain "d1")."""
        response = staff_client.get("/admin/sessions_app/storeitem/", query)
        assert response.status_code == 200
        return {item.key for item in response.context["cl"].result_list}

    assert listed() == {"m1", "d1"}
    assert listed(q=f"users.{owner.pk}") == {"m1"}
    assert listed(q="release") == {"d1"}
    item = StoreItem.objects.get(key="m1")
    response = staff_client.post(f"/admin/sessions_app/storeitem/{item.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not StoreItem.objects.filter(key="m1").exists()
    entry = AuditLogEntry.objects.get(action="store_delete")
    assert entry.target_user_id == owner.pk and entry.details["items"] == [f"users.{owner.pk}.memories/m1"]
    assert "text" not in str(entry.details)  # names, never values
    staff_client.post("/admin/sessions_app/storeitem/", {"action": "delete_selected_items",
                                                          "_selected_action": [StoreItem.objects.get().pk]})
    assert not StoreItem.objects.exists() and AuditLogEntry.objects.filter(action="store_delete").count() == 2
