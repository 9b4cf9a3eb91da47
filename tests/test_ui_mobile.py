"""The chat page on a phone (390×844, touch) in headless Chromium: the header and the composer stay
in view while the messages scroll, and the conversation list is a drawer."""
from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_create

from .browser_fixtures import needs_chromium, send, sign_in
from .factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844 + 0.5


def test_phone_keeps_header_and_composer_in_view_and_lists_conversations_in_a_drawer(phone, live_server):
    owner = UserFactory(username="ada")
    other = session_create(owner=owner, title="Weekend in Lisbon")
    long = session_create(owner=owner, title="A long conversation")
    messages_append(session_id=long.pk, messages=[
        m for i in range(20) for m in (HumanMessage(content=f"question {i}"), AIMessage(content=f"answer {i} " * 30))
    ])
    sign_in(phone, live_server.url, owner)
    phone.goto(f"{live_server.url}/c/{long.pk}/")

    header = phone.locator("header.topbar")
    composer = phone.locator("#composer")
    assert in_view(phone, header) and header.bounding_box()["y"] == 0
    assert in_view(phone, composer)
    assert phone.get_by_text("answer 19").first.is_visible()  # opened at the latest message
    # The page itself does not scroll; the message list does.
    assert phone.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight + 1")
    phone.locator("#chat-scroll").evaluate("el => el.scrollTo(0, 0)")
    assert phone.get_by_text("question 0", exact=True).is_visible()
    assert in_view(phone, header) and in_view(phone, composer)

    sidebar = phone.locator("#sidebar")
    assert not sidebar.is_visible()
    toggle = phone.get_by_role("button", name="Conversations")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert sidebar.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    phone.wait_for_function("() => document.getElementById('sidebar').getBoundingClientRect().x >= 0")  # slid in
    box = sidebar.bounding_box()
    assert box["x"] == 0 and box["width"] <= 330
    phone.keyboard.press("Escape")
    phone.wait_for_function("() => !document.getElementById('shell').classList.contains('drawer-open')")
    toggle.click()
    phone.locator("#sidebar").get_by_role("link", name="Weekend in Lisbon").click()
    phone.wait_for_url(f"{live_server.url}/c/{other.pk}/")
    assert not phone.locator("#sidebar").is_visible()

    answer = send(phone, "Hello from my phone")
    assert "offline model" in answer
    assert in_view(phone, phone.locator("#composer")) and in_view(phone, phone.locator("header.topbar"))
    assert phone.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight + 1")
    phone.get_by_role("button", name="Conversations").click()
    first = phone.locator("#conversation-list li.conv").first  # the drawer's list is live too
    assert "Weekend in Lisbon" in first.inner_text() and "2 messages" in first.inner_text()
