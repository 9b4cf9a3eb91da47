"""The chat page's details in headless Chromium: timestamps in the reader's time zone, token usage
when the model reports it, the theme toggle (the system's by default), the admin link for staff,
and the "scroll to the latest message" button."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_create
from sessions_app.models import ChatMessage

from .browser_fixtures import needs_chromium, new_page, send, sign_in
from .factories import UserFactory
from .openai_server import OpenAIServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]

LIGHT_BG, DARK_BG = "rgb(247, 247, 248)", "rgb(17, 19, 24)"


def background(page) -> str:
    return page.evaluate("() => getComputedStyle(document.body).backgroundColor")


def test_messages_show_their_time_in_the_readers_time_zone(browser, live_server):
    owner = UserFactory(username="ada")
    session = session_create(owner=owner, title="Times")
    messages_append(session_id=session.pk, messages=[HumanMessage(content="when?"), AIMessage(content="now")])
    when = dt.datetime(2026, 3, 4, 15, 7, tzinfo=dt.UTC)  # an afternoon in UTC, after midnight in Tokyo
    ChatMessage.objects.filter(session=session).update(created_at=when)
    page = new_page(browser, timezone_id="Asia/Tokyo", locale="en-GB")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    time = page.locator("li.msg-human time")
    assert time.get_attribute("datetime") == when.isoformat().replace("+00:00", "Z") or \
        dt.datetime.fromisoformat(time.get_attribute("datetime").replace("Z", "+00:00")) == when
    tokyo = when.astimezone(ZoneInfo("Asia/Tokyo"))
    assert time.inner_text() == f"5 Mar, {tokyo:%H:%M}"  # the reader's day and hour, not the server's
    assert "2026" in time.get_attribute("title")
    send(page, "and this one?")
    assert page.locator("li.msg-human time").last.inner_text().count(":") == 1  # today: just the time
    assert page.js_errors == []
    page.context.close()


def test_token_usage_is_shown_when_the_model_reports_it(page, live_server, settings):
    owner = UserFactory(username="ada")
    session = session_create(owner=owner, title="Usage")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    assert page.locator("[data-role=usage]").count() == 0
    send(page, "offline first")  # the offline model reports none: nothing shown
    assert page.locator("[data-role=usage]").count() == 0
    with OpenAIServer() as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, "test"
        send(page, "count my tokens")
        body = server.requests[-1]["body"]
    assert body["stream"] and body["stream_options"] == {"include_usage": True}
    usage = ChatMessage.objects.get(session=session, seq=4).to_langchain().usage_metadata
    assert usage["output_tokens"] == len("stub saw 4 messages; last: count my tokens".split())
    label = f"{usage['input_tokens']} in · {usage['output_tokens']} out tokens"
    assert page.locator("li.msg-ai [data-role=usage]").inner_text() == label
    page.reload()
    assert page.locator("li.msg-ai [data-role=usage]").inner_text() == label


def test_theme_follows_the_system_until_the_toggle_chooses(browser, live_server):
    owner = UserFactory(username="ada")
    page = new_page(browser, color_scheme="dark")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/")
    assert page.get_by_role("button", name="Theme: system (switch to light)").is_visible()
    toggle = page.locator("[data-role=theme-toggle]")
    assert background(page) == DARK_BG  # the system's choice by default
    toggle.click()
    assert toggle.inner_text() == "Theme: light" and background(page) == LIGHT_BG
    page.reload()
    assert background(page) == LIGHT_BG  # remembered, applied before the first paint
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    page.get_by_role("button", name="Theme: light (switch to dark)").click()
    assert background(page) == DARK_BG
    page.get_by_role("button", name="Theme: dark (switch to system)").click()
    assert background(page) == DARK_BG and page.evaluate("() => localStorage.getItem('chatmemory-theme')") is None
    page.emulate_media(color_scheme="light")
    assert background(page) == LIGHT_BG  # system again
    assert page.js_errors == []
    page.context.close()


def test_admin_link_for_staff_only(page, live_server, staff_user):
    sign_in(page, live_server.url, UserFactory(username="ada"))
    page.goto(f"{live_server.url}/")
    assert page.locator("[data-role=admin-link]").count() == 0
    page.context.clear_cookies()
    sign_in(page, live_server.url, staff_user)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Admin").click()
    page.wait_for_url(f"{live_server.url}/admin/")


def test_scroll_to_bottom_button_appears_when_reading_up_and_takes_you_down(page, live_server):
    owner = UserFactory(username="ada")
    session = session_create(owner=owner, title="Long")
    messages_append(session_id=session.pk, messages=[
        m for i in range(15) for m in (HumanMessage(content=f"question {i}"), AIMessage(content=f"answer {i} " * 40))
    ])
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    button = page.get_by_role("button", name="Scroll to the latest message")
    assert button.is_hidden()  # opened at the bottom
    page.locator("#chat-scroll").evaluate("el => el.scrollTo(0, 0)")
    button.wait_for()
    button.click()
    page.wait_for_function("() => { const el = document.getElementById('chat-scroll');"
                           " return el.scrollHeight - el.scrollTop - el.clientHeight < 5; }")
    assert button.is_hidden()


def test_a_failed_rename_says_why_in_the_menu_and_stays_on_the_conversation(page, live_server):
    owner = UserFactory(username="ada")
    session = session_create(owner=owner, title="Keep me")
    sign_in(page, live_server.url, owner)
    url = f"{live_server.url}/c/{session.pk}/"
    page.goto(url)
    page.get_by_label("Conversation actions").click()
    page.get_by_label("New title").fill("x" * 250)  # no maxlength: nothing is cut silently
    page.get_by_role("button", name="Save").click()
    error = page.locator("[data-role=rename-error]")
    error.wait_for()
    assert "at most 200 characters (it has 250)" in error.inner_text()
    assert page.url == url and page.get_by_role("heading", level=1).inner_text() == "Keep me"
    page.reload()  # still an ordinary page: no POST-only address to land on
    assert page.get_by_role("heading", level=1).inner_text() == "Keep me"
