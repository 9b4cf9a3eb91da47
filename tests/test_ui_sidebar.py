"""The sidebar in headless Chromium: live after every turn (count, order, title), a conversation
started by typing appears at once, and the title made from the first exchange arrives without
a reload — from the first line, or from the configured model through Celery."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sessions_app.conversations.sessions import session_create
from sessions_app.models import ChatSession

from .browser_fixtures import needs_chromium, send, sign_in
from .factories import UserFactory
from .openai_server import OpenAIServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


def sidebar(page) -> list[tuple[str, str]]:
    items = page.locator("#conversation-list li.conv")
    return [(item.locator("[data-role=title]").inner_text(), item.locator("[data-role=count]").inner_text())
            for item in items.all()]


def test_a_turn_moves_the_conversation_to_the_top_with_its_new_count(page, live_server):
    owner = UserFactory(username="ada")
    older = session_create(owner=owner, title="Older one")
    newer = session_create(owner=owner, title="Newer one")
    ChatSession.objects.filter(pk=older.pk).update(last_active_at=timezone.now() - dt.timedelta(days=2))
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{older.pk}/")
    assert sidebar(page) == [("Newer one", "0 messages"), ("Older one", "0 messages")]
    send(page, "bump me")
    assert sidebar(page) == [("Older one", "2 messages"), ("Newer one", "0 messages")]
    current = page.locator("#conversation-list .conv-link.is-current")
    assert current.get_attribute("aria-current") == "page" and "Older one" in current.inner_text()
    assert page.locator("#conversation-list li.conv").first.locator("time").inner_text() == "just now"
    assert page.locator("[data-role=message-count]").inner_text() == "2 messages"
    send(page, "again")
    assert sidebar(page)[0] == ("Older one", "4 messages")
    page.reload()
    assert sidebar(page) == [("Older one", "4 messages"), ("Newer one", "0 messages")]  # the server agrees
    assert newer.pk  # untouched


def test_typing_on_the_new_chat_page_starts_a_conversation_and_its_title_arrives_live(page, live_server):
    owner = UserFactory(username="ada")
    session_create(owner=owner, title="Something else")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "New chat"
    send(page, "Sourdough starter smells like acetone\nIs it dead?")
    page.wait_for_function("() => document.querySelector('h1').textContent.startsWith('Sourdough')")
    session = ChatSession.objects.get(owner=owner, title__startswith="Sourdough")
    assert page.url == f"{live_server.url}/c/{session.pk}/"
    assert page.get_by_role("heading", level=1).inner_text() == "Sourdough starter smells like acetone"
    assert page.title() == "Sourdough starter smells like acetone · chatmemory"
    assert sidebar(page)[0] == ("Sourdough starter smells like acetone", "2 messages")
    # The new conversation's menu is there without a reload (rename, delete).
    page.get_by_label("Conversation actions").click()
    page.get_by_label("New title").fill("Bread")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", level=1, name="Bread").wait_for()
    assert sidebar(page)[0][0] == "Bread"
    session.refresh_from_db()
    assert session.title == "Bread"
    send(page, "and now?")  # the next message goes to the same conversation
    assert ChatSession.objects.filter(owner=owner).count() == 2
    page.go_back()  # the history entry of the new-chat page
    page.wait_for_url(f"{live_server.url}/")


def test_the_configured_model_titles_a_new_conversation(page, live_server, settings):
    owner = UserFactory(username="ada")
    sign_in(page, live_server.url, owner)
    with OpenAIServer() as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, "test"
        page.goto(f"{live_server.url}/")
        send(page, "Ideas for a birthday gift")
        page.wait_for_function("() => document.querySelector('h1').textContent.startsWith('stub saw')")
        titled = [r["body"] for r in server.requests if not r["body"].get("stream")]
    title = ChatSession.objects.get(owner=owner).title
    assert title.startswith("stub saw 2 messages; last: User: Ideas for a birthday gift")
    assert sidebar(page)[0][0] == title and len(titled) == 1  # one small call for the title


def test_a_failed_first_message_leaves_the_new_chat_page_ready_for_the_next(page, live_server, settings):
    from .live_server_utils import free_port

    owner = UserFactory(username="ada")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/")
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = f"http://127.0.0.1:{free_port()}/v1", "test"  # model down
    page.get_by_label("Your message").fill("first try")
    page.get_by_label("Your message").press("Enter")
    page.locator("#chat-error").wait_for()
    assert page.url == f"{live_server.url}/" and page.title() == "New chat · chatmemory"
    assert not ChatSession.objects.exists() and page.locator("#conversation-list li.conv").count() == 0
    assert page.get_by_label("Your message").input_value() == "first try"
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = "", ""  # the offline model again
    send(page, "second try")
    page.get_by_label("Conversation actions").click()  # its menu is there
    assert page.get_by_label("New title").is_visible()
    assert ChatSession.objects.count() == 1


def test_a_pinned_conversation_is_listed_once_and_stays_pinned_after_a_turn(page, live_server):
    """Before: a pinned conversation was listed twice, under "Pinned" and again under "Recent"."""
    from sessions_app.conversations.folders import session_set_pinned

    owner = UserFactory(username="ada")
    session_create(owner=owner, title="Other one")
    pinned = session_set_pinned(session=session_create(owner=owner, title="Pinned one"), pinned=True)
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{pinned.pk}/")
    pins = page.locator("[data-role=pinned-list] li.conv")
    assert [t.inner_text() for t in pins.locator("[data-role=title]").all()] == ["Pinned one"]
    assert sidebar(page) == [("Other one", "0 messages")]  # not a second time under Recent
    assert "is-current" in (pins.first.locator(".conv-link").get_attribute("class") or "")
    send(page, "still pinned?")
    assert sidebar(page) == [("Other one", "0 messages")]  # the live update keeps it in Pinned …
    assert pins.count() == 1 and pins.first.locator("[data-role=count]").inner_text() == "2 messages"
    assert page.locator("#sidebar li.conv").count() == 2  # … listed once
    page.reload()
    assert sidebar(page) == [("Other one", "0 messages")] and pins.count() == 1  # the server agrees
