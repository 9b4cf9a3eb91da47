"""The Memory page in headless Chromium: "remember …" in a chat shows up there, and the user edits,
adds and forgets memories; another conversation's prompt sees them.

``CHATMEMORY_SCREENSHOT_DIR=docs/screenshots`` saves ``memory.png`` (the page as a user sees it).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sessions_app.conversations.sessions import session_create
from sessions_app.memory.user import memories_list

from .browser_fixtures import needs_chromium, send, sign_in
from .factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


def test_remember_in_chat_then_edit_add_and_forget_on_the_memory_page(page: Any, live_server: Any) -> None:
    user = UserFactory(username="ada")
    base = live_server.url
    sign_in(page, base, user)
    page.goto(f"{base}/c/{session_create(owner=user, title='Food').pk}/")
    send(page, "Remember that I am vegetarian and allergic to peanuts")
    assert [m["text"] for m in memories_list(user=user)] == ["I am vegetarian and allergic to peanuts"]

    page.get_by_role("link", name="Memory", exact=True).click()
    page.wait_for_url(f"{base}/settings/memory/")
    rows = page.get_by_test_id("memory-row")
    assert rows.count() == 1
    assert rows.first.get_by_label("Memory text").input_value() == "I am vegetarian and allergic to peanuts"

    page.get_by_label("New memory").fill("My sister Clara lives in Lisbon")
    page.get_by_role("button", name="Remember").click()
    page.wait_for_url(f"{base}/settings/memory/")
    assert page.get_by_test_id("memory-row").count() == 2

    edit = page.get_by_test_id("memory-row").filter(has=page.locator('input[value*="vegetarian"]'))
    edit.get_by_label("Memory text").fill("I am vegan")
    edit.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/settings/memory/")
    assert {m["text"] for m in memories_list(user=user)} == {"I am vegan", "My sister Clara lives in Lisbon"}
    if shots := os.environ.get("CHATMEMORY_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(shots) / "memory.png"), full_page=True)

    page.get_by_test_id("memory-row").filter(has=page.locator('input[value="I am vegan"]')).get_by_role(
        "button", name="Forget").click()
    page.wait_for_url(f"{base}/settings/memory/")
    assert [m["text"] for m in memories_list(user=user)] == ["My sister Clara lives in Lisbon"]

    # Another conversation is told: the offline model quotes the memory closest to the question.
    page.goto(f"{base}/c/{session_create(owner=user, title='Travel').pk}/")
    assert "My sister Clara lives in Lisbon" in send(page, "Where does my sister live?")
