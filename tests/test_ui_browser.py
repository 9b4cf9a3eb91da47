"""The real chat page in headless Chromium (Playwright) against pytest-django's ``live_server``.

One browser per module; each test gets a fresh context (cookies). The offline model streams with
a small per-token delay here so the answer visibly arrives token by token.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sessions_app.conversations.sessions import session_create
from sessions_app.models import ChatMessage, ChatSession

from .conftest import PASSWORD
from .factories import UserFactory
from .live_server_utils import free_port

# Playwright's sync API runs an asyncio loop in this thread; the ORM calls made by the tests
# themselves (fixtures, assertions) are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
XSS = "<img src=x onerror=window.__xss=1>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (CI installs Debian's chromium)"),
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def streaming_model(settings: Any) -> None:
    settings.CHATMEMORY_OFFLINE_TOKEN_DELAY_MS = 25  # milliseconds between words


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def send(page: Any, text: str) -> str:
    """Type and send a message; wait for the streamed answer to finish; return its text."""
    done_before = page.locator('.msg-ai[data-state="done"]').count()
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")
    page.locator('.msg-ai[data-state="done"]').nth(done_before).wait_for()
    return page.locator(".msg-ai .bubble").last.text_content()


def test_sign_up_chat_streams_remembers_and_survives_reload(page, live_server, streaming_model):
    base = live_server.url
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/accounts/login/")  # login required
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_text("No conversations yet").first.is_visible()

    page.get_by_label("Start a new conversation").fill("Colours")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/c/[0-9a-f-]{36}/$"))
    session_url = page.url

    # Record every length the answer bubble goes through while it streams in.
    page.evaluate(
        """() => {
            window.__lengths = [];
            new MutationObserver(() => {
                const bubble = document.querySelector('.msg-ai:last-child .bubble');
                if (bubble) window.__lengths.push(bubble.textContent.length);
            }).observe(document.getElementById('messages'), {subtree: true, childList: true, characterData: true});
        }"""
    )
    page.get_by_label("Your message").fill("My favourite colour is teal.")
    page.get_by_role("button", name="Send message").click()
    streaming = page.locator('.msg-ai[data-state="streaming"]')
    streaming.wait_for()
    partial = len(streaming.locator(".bubble").text_content())
    page.locator('.msg-ai[data-state="done"]').wait_for()
    first_answer = page.locator(".msg-ai .bubble").last.text_content()
    lengths = page.evaluate("window.__lengths")
    assert 0 < partial < len(first_answer)
    assert len(set(lengths)) > 5 and lengths == sorted(lengths)  # it grew, token by token
    assert "offline model" in first_answer
    assert page.get_by_label("Your message").input_value() == ""  # sent and stored: box cleared

    second_answer = send(page, "What is my favourite colour?")
    assert "2 earlier messages" in second_answer
    assert '"My favourite colour is teal."' in second_answer  # answered from memory

    page.reload()
    bubbles = page.locator(".msg .bubble").all_text_contents()
    assert bubbles == ["My favourite colour is teal.", first_answer, "What is my favourite colour?", second_answer]
    assert page.url == session_url
    session = ChatSession.objects.get(owner__username="ada")
    assert list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("type", flat=True)) == [
        "human", "ai", "human", "ai"
    ]


def test_second_user_cannot_open_the_first_users_conversation(page, live_server):
    owner = UserFactory(username="olivia")
    UserFactory(username="mallory")
    session = session_create(owner=owner, title="Olivia's secret plans")
    log_in(page, live_server.url, "mallory")
    response = page.goto(f"{live_server.url}/c/{session.pk}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Conversation not found").is_visible()
    assert "Olivia's secret plans" not in page.content()
    delete_page = page.goto(f"{live_server.url}/c/{session.pk}/delete/")
    assert delete_page.status == 404
    assert ChatSession.objects.filter(pk=session.pk).exists()


def test_xss_in_messages_and_titles_does_not_execute(page, live_server):
    UserFactory(username="olivia")
    log_in(page, live_server.url, "olivia")
    page.get_by_label("Start a new conversation").fill(XSS)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/c/[0-9a-f-]{36}/$"))
    answer = send(page, XSS)  # streamed in through textContent
    assert XSS in answer
    page.get_by_text("Rename").click()
    page.get_by_label("New title").fill(XSS + " renamed")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    page.reload()  # server-rendered history, title and sidebar
    assert page.locator(".msg-human .bubble").first.text_content() == XSS
    assert page.get_by_role("heading", level=1).text_content() == XSS + " renamed"
    page.goto(f"{live_server.url}/")
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"


def test_model_failure_shows_an_error_and_keeps_the_text(page, live_server, settings):
    # A loopback port where nothing listens: the model is unreachable.
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.OPENAI_API_KEY = "test"
    owner = UserFactory(username="olivia")
    session = session_create(owner=owner, title="Offline today")
    log_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/c/{session.pk}/")
    page.get_by_label("Your message").fill("Are you there?")
    page.get_by_label("Your message").press("Enter")
    error = page.get_by_role("alert")
    error.wait_for()
    assert "The model failed to answer" in error.text_content()
    assert page.get_by_label("Your message").input_value() == "Are you there?"
    assert page.locator(".msg").count() == 0
    assert not ChatMessage.objects.filter(session=session).exists()
