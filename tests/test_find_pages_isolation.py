"""The page routes of search, share links and folders, called by another signed-in user: every one
of the owner's conversations, links and folders is a 404 to them and nothing changes — the same
ownership gate as the API (``tests/test_api_search.py``, ``tests/test_api_sharing.py``), on every
backend."""
from __future__ import annotations

import pytest
from django.test import Client
from langchain_core.messages import HumanMessage

from sessions_app.conversations.folders import folder_create, session_set_folder
from sessions_app.conversations.messages import messages_append
from sessions_app.models import ChatSession, ShareLink
from sessions_app.sharing.services import share_link_create

from .factories import ChatSessionFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owners_world(owner):
    session = ChatSessionFactory(owner=owner, title="Owner's wombat plans")
    messages_append(session_id=session.pk, messages=[HumanMessage("the wombat burrow is under the shed")])
    folder = folder_create(owner=owner, name="Secrets")
    session_set_folder(session=session, folder=folder)
    link, _ = share_link_create(session=session, actor=owner)
    return session, folder, link


def test_the_search_page_never_shows_someone_elses_conversations(owner, other_user, owners_world):
    session, folder, _ = owners_world
    page = signed_in(other_user).get("/search/", {"q": "wombat"})
    html = page.content.decode()
    assert page.status_code == 200 and "wombat plans" not in html and "burrow" not in html
    assert str(session.pk) not in html
    in_folder = signed_in(other_user).get("/search/", {"q": "wombat", "folder": folder.pk})
    assert str(session.pk) not in in_folder.content.decode()
    mine = signed_in(owner).get("/search/", {"q": "wombat"})
    assert str(session.pk) in mine.content.decode() and "burrow" in mine.content.decode()  # found for its owner


def test_someone_elses_conversation_cannot_be_shared_or_unshared_from_the_page(other_user, owners_world):
    session, _, link = owners_world
    client = signed_in(other_user)
    assert client.get(f"/c/{session.pk}/share/").status_code == 404
    assert client.post(f"/c/{session.pk}/share/", {"expires": "never"}).status_code == 404
    assert client.post(f"/c/{session.pk}/share/stop/").status_code == 404
    assert client.post(f"/settings/shares/{link.pk}/revoke/").status_code == 404
    assert ShareLink.objects.filter(session=session).count() == 1  # no second link made for them
    link.refresh_from_db()
    assert link.state == "live"  # and the owner's still works
    assert link.token not in client.get("/settings/shares/").content.decode()


def test_someone_elses_conversation_cannot_be_organized_or_exported_from_the_page(other_user, owners_world):
    session, folder, _ = owners_world
    client = signed_in(other_user)
    for path in ("archive", "unarchive", "pin"):
        assert client.post(f"/c/{session.pk}/{path}/").status_code == 404, path
    assert client.post(f"/c/{session.pk}/move/", {"folder": ""}).status_code == 404
    assert client.get(f"/c/{session.pk}/export/").status_code == 404
    session.refresh_from_db()
    assert (session.status, session.folder_id, session.pinned_at) == ("active", folder.pk, None)


def test_own_conversation_cannot_be_moved_into_someone_elses_folder(owner, other_user):
    theirs = folder_create(owner=other_user, name="Theirs")
    mine = ChatSessionFactory(owner=owner)
    assert signed_in(owner).post(f"/c/{mine.pk}/move/", {"folder": theirs.pk}).status_code == 404
    assert ChatSession.objects.get(pk=mine.pk).folder_id is None
