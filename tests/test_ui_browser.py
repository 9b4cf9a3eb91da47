"""The chat page's core flow in headless Chromium: sign up, start by typing, stream, remember, reload.

Also: another user's conversation is a 404, payloads in messages and titles stay inert, and a
failing model leaves nothing stored and the message back in the box. (Markdown, the composer,
branches, phones and the details have their own test_ui_* files.)
"""
from __future__ import annotations

import re

import pytest

from sessions_app.conversations.sessions import session_create
from sessions_app.models import ChatMessage, ChatSession

from .browser_fixtures import needs_chromium, send, sign_in
from .conftest import PASSWORD
from .factories import UserFactory
from .live_server_utils import free_port

XSS = "<img src=x onerror=window.__xss=1>"
CONVERSATION_URL = re.compile(r".*/c/[0-9a-f-]{36}/$")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture
def streaming_model(settings):
    settings.CHATMEMORY_OFFLINE_TOKEN_DELAY_MS = 25  # milliseconds between words


def test_sign_up_start_by_typing_streams_remembers_and_survives_reload(page, live_server, streaming_model):
    base = live_server.url
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/accounts/login/")  # login required
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", name="What's on your mind?").is_visible()
    assert not ChatSession.objects.exists()  # no conversation before the first message

    # Record every length the answer goes through while it streams in.
    page.evaluate(
        """() => {
            window.__lengths = [];
            new MutationObserver(() => {
                const answer = document.querySelector('li.msg-ai:last-child .bubble');
                if (answer) window.__lengths.push(answer.textContent.length);
            }).observe(document.getElementById('messages'), {subtree: true, childList: true, characterData: true});
        }"""
    )
    page.get_by_label("Your message").fill("My favourite colour is teal.")
    page.get_by_role("button", name="Send message").click()
    streaming = page.locator('li.msg-ai[data-state="streaming"]')
    streaming.wait_for()
    partial = len(streaming.locator(".bubble").inner_text())
    page.wait_for_url(CONVERSATION_URL)  # the conversation exists now: the address is its own
    page.locator('li.msg-ai[data-state="done"]').wait_for()
    first_answer = page.locator("li.msg-ai .bubble").last.inner_text()
    lengths = page.evaluate("window.__lengths")
    assert 0 < partial < len(first_answer)
    assert len(set(lengths)) > 5 and lengths == sorted(lengths)  # it grew, token by token
    assert "offline model" in first_answer
    assert page.get_by_label("Your message").input_value() == ""  # sent: box cleared
    session_url = page.url

    second_answer = send(page, "What is my favourite colour?")
    assert "2 earlier messages" in second_answer
    assert '"My favourite colour is teal."' in second_answer  # answered from memory

    page.reload()
    bubbles = page.locator("li.msg .bubble").all_inner_texts()
    assert bubbles == ["My favourite colour is teal.", first_answer, "What is my favourite colour?", second_answer]
    assert page.url == session_url
    session = ChatSession.objects.get(owner__username="ada")
    assert session.title == "My favourite colour is teal."  # made from the first message
    assert list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("type", flat=True)) == [
        "human", "ai", "human", "ai"
    ]


def test_second_user_cannot_open_the_first_users_conversation(page, live_server):
    owner = UserFactory(username="olivia")
    session = session_create(owner=owner, title="Olivia's secret plans")
    sign_in(page, live_server.url, UserFactory(username="mallory"))
    response = page.goto(f"{live_server.url}/c/{session.pk}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Conversation not found").is_visible()
    assert "Olivia's secret plans" not in page.content()
    assert page.goto(f"{live_server.url}/c/{session.pk}/delete/").status == 404
    assert page.goto(f"{live_server.url}/c/{session.pk}/updates/?after=0").status == 404
    assert ChatSession.objects.filter(pk=session.pk).exists()


def test_xss_in_messages_and_titles_does_not_execute(page, live_server):
    sign_in(page, live_server.url, UserFactory(username="olivia"))
    page.goto(f"{live_server.url}/")
    answer = send(page, XSS)  # the title is made from it, the answer quotes it
    page.wait_for_url(CONVERSATION_URL)
    assert XSS in answer
    page.get_by_label("Conversation actions").click()
    page.get_by_label("New title").fill(XSS + " renamed")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", level=1, name=XSS + " renamed").wait_for()
    page.reload()  # server-rendered history, title and sidebar
    assert page.locator("li.msg-human .bubble").first.inner_text() == XSS
    assert page.get_by_role("heading", level=1).inner_text() == XSS + " renamed"
    page.goto(f"{live_server.url}/conversations/")
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"


def test_model_failure_shows_an_error_stores_nothing_and_gives_the_text_back(page, live_server, settings):
    # A loopback port where nothing listens: the model is unreachable.
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.OPENAI_API_KEY = "test"
    owner = UserFactory(username="olivia")
    session = session_create(owner=owner, title="Offline today")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    page.get_by_label("Your message").fill("Are you there?")
    page.get_by_label("Your message").press("Enter")
    error = page.locator("#chat-error")
    error.wait_for()
    assert "The model failed to answer" in error.inner_text()
    assert "Your message is back in the box." in error.inner_text()
    assert page.get_by_label("Your message").input_value() == "Are you there?"
    assert page.locator("li.msg").count() == 0
    assert not ChatMessage.objects.filter(session=session).exists()
