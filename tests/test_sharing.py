"""Share links: the services, the public page, and what kills a link (revoke, expiry, delete, erasure)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.messages import messages_append, messages_clear
from sessions_app.conversations.sessions import session_create, session_delete
from sessions_app.exceptions import InvalidInput, SessionGone, ShareLinkGone, ShareLinkNotFound
from sessions_app.governance.erasure import user_erase, user_erase_conversations
from sessions_app.governance.retention import retention_purge_archived
from sessions_app.models import AuditLogEntry, ShareLink
from sessions_app.sharing.selectors import share_link_open
from sessions_app.sharing.services import share_link_create, share_link_revoke, share_links_revoke_for_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(owner):
    session = session_create(owner=owner, title="Lisbon trip")
    messages_append(session_id=session.pk, messages=[HumanMessage("Which train?"), AIMessage("The <b>Alfa</b>.")])
    link, created = share_link_create(session=session, actor=owner)
    assert created
    return session, link


def page(link, **params):
    return Client().get(f"/s/{link.token}/", params)


def test_a_link_is_unguessable_and_one_per_conversation(owner, shared):
    session, link = shared
    assert len(link.token) >= 43 and link.max_seq == 2 and link.state == "live"
    again, created = share_link_create(session=session, actor=owner)
    assert (again.pk, created) == (link.pk, False)
    other = share_link_create(session=session_create(owner=owner), actor=owner)[0]
    assert other.token != link.token


def test_the_public_page_needs_no_login_and_shows_the_conversation_as_shared(owner, shared):
    session, link = shared
    messages_append(session_id=session.pk, messages=[HumanMessage("a later, private question")])
    response = page(link)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Lisbon trip" in body and "Which train?" in body and "&lt;b&gt;Alfa&lt;/b&gt;" in body
    assert "private question" not in body  # written after sharing: not published
    assert response["X-Robots-Tag"] == "noindex, nofollow" and response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert 'name="csrfmiddlewaretoken"' not in body and "/accounts/logout" not in body
    link.refresh_from_db()
    assert link.views == 1 and link.last_viewed_at is not None


def test_revoked_and_expired_links_are_410_unknown_are_404(owner, shared):
    session, link = shared
    assert page(link).status_code == 200
    assert share_link_revoke(link=link, actor=owner) is True
    assert share_link_revoke(link=link, actor=owner) is False  # idempotent
    assert page(link).status_code == 410
    with pytest.raises(ShareLinkGone):
        share_link_open(token=link.token)
    assert Client().get("/s/not-a-real-token/").status_code == 404
    fresh, created = share_link_create(session=session, actor=owner, expires_at=timezone.now() + timedelta(hours=1))
    assert created and fresh.token != link.token  # a revoked link never comes back
    ShareLink.objects.filter(pk=fresh.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert page(fresh).status_code == 410
    renewed, created = share_link_create(session=session, actor=owner)  # an expired link frees the slot
    assert created and page(renewed).status_code == 200


def test_expiry_rules(owner, shared):
    session, link = shared
    now = timezone.now()
    for bad in (now - timedelta(days=1), now + timedelta(days=366), now.replace(tzinfo=None) + timedelta(days=1)):
        with pytest.raises(InvalidInput):
            share_link_create(session=session, actor=owner, expires_at=bad)
    changed, created = share_link_create(session=session, actor=owner, expires_at=now + timedelta(days=7))
    assert not created and changed.pk == link.pk and changed.expires_at is not None
    cleared, _ = share_link_create(session=session, actor=owner, expires_at=None)
    assert cleared.expires_at is None and cleared.token == link.token


def test_sharing_is_audited(owner, shared):
    session, link = shared
    share_links_revoke_for_session(session=session, actor=owner)
    actions = list(AuditLogEntry.objects.filter(session_id=session.pk).order_by("id").values_list("action", "actor"))
    assert actions == [("share", "olivia"), ("unshare", "olivia")]


def test_deleting_the_conversation_kills_its_links(owner, shared):
    session, link = shared
    session_delete(session_id=session.pk, actor=owner)
    assert not ShareLink.objects.filter(pk=link.pk).exists()
    assert page(link).status_code == 404
    assert AuditLogEntry.objects.filter(action="delete").get().details["share_links"] == 1
    with pytest.raises(SessionGone):
        share_link_create(session=session, actor=owner)


def test_purge_kills_links(owner, shared):
    session, link = shared
    session.status = "archived"
    session.archived_at = timezone.now() - timedelta(days=400)
    session.save()
    retention_purge_archived(actor="test", days=365)
    assert page(link).status_code == 404


def test_erasure_kills_links(owner, shared):
    _, link = shared
    summary = user_erase(user=owner, actor="test")
    assert summary.sessions == 1 and page(link).status_code == 404
    assert AuditLogEntry.objects.get(action="erase").details["share_links"] == 1


def test_self_service_erasure_of_conversations_kills_links(owner, shared):
    _, link = shared
    summary = user_erase_conversations(user=owner, actor=owner)
    assert summary.sessions == 1 and summary.messages == 2 and page(link).status_code == 404
    entry = AuditLogEntry.objects.get(action="erase")
    assert entry.details["scope"] == "conversations" and entry.details["share_links"] == 1


def test_deleted_messages_disappear_from_the_shared_page(owner, shared):
    session, link = shared
    messages_clear(session_id=session.pk)
    body = page(link).content.decode()
    assert "Which train?" not in body and "No messages." in body


def test_unknown_and_absurd_tokens_are_404():
    with pytest.raises(ShareLinkNotFound):
        share_link_open(token="x" * 65)
    assert Client().get("/s/" + "x" * 300 + "/").status_code == 404
