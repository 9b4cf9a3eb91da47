"""The composer in headless Chromium: Enter / Shift+Enter, cleared on send, Stop, coming back
mid-answer, long pastes, and what the page says when the server or the network is gone."""
from __future__ import annotations

import pytest

from sessions_app.conversations.sessions import session_create
from sessions_app.models import ChatMessage

from .browser_fixtures import needs_chromium, new_page, sign_in
from .factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture
def conversation(page, live_server):
    owner = UserFactory(username="ada")
    session = session_create(owner=owner, title="Composer")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    return session


@pytest.fixture
def slow_model(settings):
    settings.CHATMEMORY_OFFLINE_TOKEN_DELAY_MS = 80  # about 3 s per answer


def box(page):
    return page.get_by_label("Your message")


def test_enter_sends_shift_enter_breaks_the_line_and_the_box_is_free_while_it_answers(
        page, conversation, slow_model):
    box(page).click()
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert box(page).input_value() == "first line\nsecond line"  # Shift+Enter: a new line, not sent
    page.keyboard.press("Enter")
    page.locator('li.msg-ai[data-state="streaming"]').wait_for()
    assert box(page).input_value() == ""  # cleared as soon as it was sent
    assert page.get_by_role("button", name="Stop answering").is_visible()
    page.keyboard.type("typed while it answers")
    page.keyboard.press("Enter")  # one answer at a time: refused with a word, the text kept
    assert "still answering" in page.locator("#chat-error").inner_text()
    page.locator('li.msg-ai[data-state="done"]').wait_for()
    assert box(page).input_value() == "typed while it answers"  # not wiped when the answer ends
    assert page.locator("li.msg-human .bubble").first.inner_text() == "first line\nsecond line"
    assert page.get_by_role("button", name="Send message").is_visible()
    assert ChatMessage.objects.filter(session=conversation).count() == 2


def test_stop_keeps_the_partial_answer_marked_stopped_also_after_reload(page, conversation, slow_model):
    box(page).fill("Tell me a long story.")
    box(page).press("Enter")
    answer = page.locator("li.msg-ai").last
    page.wait_for_function("() => document.querySelector('li.msg-ai .md').textContent.split(' ').length > 4")
    page.get_by_role("button", name="Stop answering").click()
    page.locator('li.msg-ai[data-state="done"]').wait_for()
    assert answer.locator("[data-role=stopped]").inner_text() == "Stopped"
    shown = answer.locator(".md").inner_text()
    rows = list(ChatMessage.objects.filter(session=conversation).order_by("seq"))
    assert [r.type for r in rows] == ["human", "ai"]  # the turn, still one atomic pair
    assert rows[1].to_langchain().response_metadata["stopped"] is True
    assert rows[1].content_text.strip() == shown.strip()
    assert not rows[1].content_text.endswith('"Tell me a long story.".')  # cut short
    assert page.get_by_role("button", name="Send message").is_visible()
    page.reload()
    assert page.locator("li.msg-ai [data-role=stopped]").count() == 1
    assert page.locator("li.msg-ai .md").inner_text().strip() == shown.strip()


def test_coming_back_mid_answer_shows_the_question_still_answering_then_the_answer(
        page, browser, live_server, conversation, slow_model):
    box(page).fill("Where were we?")
    box(page).press("Enter")
    page.wait_for_function("() => document.querySelector('li.msg-ai .md').textContent.length > 10")
    url = page.url
    page.goto(f"{live_server.url}/conversations/")  # leave mid-answer
    page.goto(url)  # … and come back
    question = page.locator("[data-role=pending-human]")
    assert question.inner_text().endswith("Where were we?")
    pending = page.locator("[data-role=pending-ai]")
    assert "still answering" in pending.inner_text()
    assert page.get_by_role("button", name="Stop answering").is_visible()
    # A second tab follows it too, and sees the answer grow.
    other = new_page(browser)
    other.context.add_cookies(page.context.cookies())
    other.goto(url)
    grown = other.locator("[data-role=pending-ai] .md")
    first = len(grown.inner_text())
    other.wait_for_function(f"() => {{ const el = document.querySelector('[data-role=pending-ai] .md');"
                            f" return !el || el.textContent.length > {first}; }}")
    for tab in (page, other):
        tab.locator("[data-role=pending-ai]").wait_for(state="detached", timeout=20_000)
        texts = tab.locator("li.msg .bubble").all_inner_texts()
        assert texts[0] == "Where were we?" and "offline model" in texts[1] and len(texts) == 2
    stored = ChatMessage.objects.get(session=conversation, seq=2).content_text
    assert page.locator("li.msg-ai .md").inner_text().strip() == stored.strip()
    assert other.js_errors == []
    other.context.close()


def test_a_paste_over_the_limit_gets_a_clear_message_and_nothing_is_cut(page, conversation, settings):
    settings.CHATMEMORY_MAX_MESSAGE_CHARS = 1000
    page.reload()  # the page reads the limit from the server
    text = "0123456789" * 150  # 1,500 characters
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.url.split("/c/")[0])
    page.evaluate("(text) => navigator.clipboard.writeText(text)", text)
    box(page).focus()
    page.keyboard.press("Control+V")  # a real paste from the clipboard
    error = page.locator("#chat-error")
    error.wait_for()
    assert "1,500 characters long; the limit is 1,000" in error.inner_text()
    assert "Shorten it by 500 characters" in error.inner_text()
    assert box(page).input_value() == text  # nothing cut silently
    assert page.locator("#composer-count").inner_text() == "1,500 / 1,000"
    box(page).press("Enter")
    assert page.locator("li.msg").count() == 0 and not ChatMessage.objects.exists()
    box(page).fill("short enough")
    assert page.locator("#composer-count").inner_text() == ""
    box(page).press("Enter")
    page.locator('li.msg-ai[data-state="done"]').wait_for()


def test_server_down_proxy_errors_and_offline_get_clear_messages_and_keep_the_message(page, conversation):
    stream = f"**/c/{conversation.pk}/messages/"
    page.route(stream, lambda route: route.abort("connectionrefused"))  # the server is down
    box(page).fill("hello?")
    box(page).press("Enter")
    error = page.locator("#chat-error")
    error.wait_for()
    assert "server is not responding" in error.inner_text() and "Failed to fetch" not in error.inner_text()
    assert "Your message is back in the box." in error.inner_text()
    assert box(page).input_value() == "hello?" and page.locator("li.msg").count() == 0

    page.unroute(stream)
    page.route(stream, lambda route: route.fulfill(status=502, body="<h1>Bad Gateway</h1>", content_type="text/html"))
    box(page).press("Enter")
    page.wait_for_function("() => document.getElementById('chat-error').textContent.includes('HTTP 502')")
    assert "unavailable right now (HTTP 502)" in error.inner_text()
    page.unroute(stream)

    page.context.set_offline(True)
    banner = page.locator("[data-role=offline-banner]")
    banner.wait_for()
    assert "You are offline" in banner.inner_text()
    box(page).press("Enter")
    page.wait_for_function("() => document.getElementById('chat-error').textContent.startsWith('You are offline')")
    assert box(page).input_value() == "hello?"
    page.context.set_offline(False)
    banner.wait_for(state="detached")
    box(page).press("Enter")
    page.locator('li.msg-ai[data-state="done"]').wait_for()
    assert error.is_hidden()
    assert ChatMessage.objects.filter(session=conversation).count() == 2
