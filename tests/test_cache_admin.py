"""The conversation admin shows the remaining cache TTL and evicts on edits."""
from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from sessions_app import cache
from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.models import ChatSession

pytestmark = pytest.mark.django_db


def change_url(session: ChatSession) -> str:
    return reverse("admin:sessions_app_chatsession_change", args=[session.pk])


def test_change_page_shows_the_remaining_cache_ttl(client, staff_user, chat_session):
    client.force_login(staff_user)
    assert "not cached" in client.get(change_url(chat_session)).content.decode()
    DjangoChatMessageHistory(chat_session.pk).get_recent_messages(5)
    page = client.get(change_url(chat_session)).content.decode()
    assert "cache ttl remaining" in page.lower()
    assert any(f"{s} s" in page for s in range(1790, 1801))


def test_saving_the_change_form_evicts(rf, staff_user, chat_session, django_capture_on_commit_callbacks):
    DjangoChatMessageHistory(chat_session.pk).get_recent_messages(5)
    assert cache.read_meta(chat_session.pk) is not None
    model_admin = admin.site._registry[ChatSession]
    request = rf.post(change_url(chat_session))
    request.user = staff_user
    chat_session.title = "Edited in the admin"
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.save_model(request, chat_session, form=None, change=True)
    assert cache.read_meta(chat_session.pk) is None
    DjangoChatMessageHistory(chat_session.pk).get_recent_messages(5)
    assert cache.read_meta(chat_session.pk).title == "Edited in the admin"
