"""XSS payloads in titles, message texts, token names and state, rendered by the real pages in
headless Chromium: the chat page (server-rendered history and the streamed answer), the list,
the tokens page, and every admin changelist/change page of our models. No script may run; the
payload must show up as literal text."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.accounts.tokens import api_token_create
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_archive, session_create, session_unarchive
from sessions_app.governance.state import state_save
from sessions_app.models import ChatSession

from .api_fixtures import ApiClient
from .browser_fixtures import CHROMIUM, CHROMIUM_ARGS, needs_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]

MARK = "window.__xss = (window.__xss || 0) + 1"
TITLE = f'"><img src=x onerror="{MARK}"><svg onload="{MARK}">'
MESSAGE = f"<script>{MARK}</script><img src=x onerror=\"{MARK}\"><a href=\"javascript:{MARK}\">x</a>"
TYPED = f"<img src=y onerror=\"{MARK}\">typed"
TOKEN_NAME = f"<script>{MARK}</script>bot"


@pytest.fixture
def browser_page(live_server):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=live_server.url)
            page = context.new_page()
            page.set_default_timeout(15_000)
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.dialogs = dialogs  # type: ignore[attr-defined]
            yield page
        finally:
            browser.close()


def _assert_clean(page, *literals: str) -> None:
    assert page.evaluate("() => window.__xss") is None, f"a payload ran on {page.url}"
    assert page.dialogs == [], page.dialogs
    text = page.evaluate("() => document.body.innerText")
    for literal in literals:
        assert literal in text, f"{literal!r} is not shown literally on {page.url}"


@pytest.mark.django_db(transaction=True)
def test_payloads_are_inert_in_chat_list_tokens_and_admin(browser_page, live_server, staff_user):
    page = browser_page
    # Control: the detector works in this browser (an unescaped payload does run and is seen).
    page.set_content(f"<div>{MESSAGE}</div>")
    page.wait_for_function("() => window.__xss >= 1")
    _token, plaintext = api_token_create(user=staff_user, name=TOKEN_NAME)
    api = ApiClient(plaintext)
    session_id = api.post("/api/sessions", {"title": TITLE, "metadata": {"note": MESSAGE}}).json()["session_id"]
    # The chat view is async: Django's test client runs it with async_to_sync, which cannot run in
    # this thread while Playwright's sync API keeps its event loop here, so the call gets a thread.
    with ThreadPoolExecutor(1) as pool:
        chat = pool.submit(api.post, f"/api/sessions/{session_id}/chat", {"message": MESSAGE}).result()
    assert chat.status_code == 200
    state_save(session_id=ChatSession.objects.get(pk=session_id).pk, state={"html": MESSAGE})
    session_archive(session=ChatSession.objects.get(pk=session_id), actor=staff_user)
    session_unarchive(session=ChatSession.objects.get(pk=session_id), actor=staff_user)

    page.goto(live_server.url + "/accounts/login/")
    client = Client()
    client.force_login(staff_user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    page.goto(live_server.url + reverse("conversation_detail", kwargs={"session_id": session_id}))
    _assert_clean(page, TITLE, MESSAGE)
    # Send the payload through the page itself: the streamed answer is rendered by chat.js.
    done = 'li.msg-ai[data-state="done"]'
    answered = page.locator(done).count()  # the server-rendered history has finished answers already
    page.fill("#message-input", TYPED)
    page.click("#send-button")
    page.wait_for_function(f"n => document.querySelectorAll('{done}').length > n", arg=answered)
    _assert_clean(page, TYPED)
    page.reload()
    _assert_clean(page, TYPED, MESSAGE)

    page.goto(live_server.url + reverse("conversation_list"))
    _assert_clean(page, TITLE)
    page.goto(live_server.url + reverse("api_token_list"))
    _assert_clean(page, TOKEN_NAME)

    visited = 0
    for model, _model_admin in admin.site._registry.items():
        if model._meta.app_label != "sessions_app":
            continue
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        page.goto(live_server.url + reverse(f"admin:{info}_changelist"))
        _assert_clean(page)
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            page.goto(live_server.url + reverse(f"admin:{info}_change", args=[first.pk]))
            _assert_clean(page)
        visited += 1
    assert visited >= 1
    page.goto(live_server.url + reverse("admin:sessions_app_apitoken_changelist"))
    _assert_clean(page, TOKEN_NAME)


# --- Markdown answers (rendered by static/chatmemory/js/markdown.js) --------------------------------

MARKDOWN_PAYLOADS = [
    f"<script>{MARK}</script>",
    f'<img src=x onerror="{MARK}">',
    f'<svg onload="{MARK}"></svg>',
    f'<iframe srcdoc="<script>parent.{MARK}</script>"></iframe>',
    f'<details open ontoggle="{MARK}">x</details>',
    f"<style>body{{background:url(javascript:{MARK})}}</style>",
    f"[plain js](javascript:{MARK})",
    f"[upper js](JAVASCRIPT:{MARK})",
    f"[tab js](java\tscript:{MARK})",
    f"[entity js](javascript&#58;{MARK})",
    f"[angle js](<javascript:{MARK}>)",
    f"<javascript:{MARK}>",
    "[data html](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    f"![data image](data:image/svg+xml,<svg onload='{MARK}'>)",
    f'![alt" onerror="{MARK}](https://example.com/x.png)',
    f'[title attr](https://example.com "t\\" onmouseover=\\"{MARK}")',
    f"[ref js][r]\n\n[r]: javascript:{MARK}",
    f'<a href="javascript:{MARK}">raw anchor</a>',
    f"`<img src=x onerror=\"{MARK}\">` in code",
    f'```html\n<img src=x onerror="{MARK}">\n```',
    f'| a |\n|---|\n| <img src=x onerror="{MARK}"> |',
    f"- [x] <img src=x onerror=\"{MARK}\">",
    f"~~<script>{MARK}</script>~~",
]
MARKDOWN_DOCUMENT = "\n\n" + "\n\n".join(MARKDOWN_PAYLOADS)


def _assert_markdown_inert(page) -> None:
    """No payload ran; nothing active in any rendered answer."""
    assert page.evaluate("() => window.__xss") is None, f"a Markdown payload ran on {page.url}"
    assert page.dialogs == [], page.dialogs
    active = page.evaluate(
        """() => {
            const found = [];
            for (const md of document.querySelectorAll('.md')) {
                for (const el of md.querySelectorAll('*')) {
                    if (/^(script|iframe|img|svg|style|object|embed|form|details|link|meta|base)$/i.test(el.tagName)) {
                        found.push(el.tagName);
                    }
                    for (const attr of el.attributes) {
                        if (/^on/i.test(attr.name) || attr.name === 'style' || attr.name === 'srcdoc') {
                            found.push(el.tagName + '@' + attr.name);
                        }
                    }
                    const href = el.getAttribute('href');
                    if (href !== null && !/^(https?:|mailto:|#|\\/)/i.test(href)) { found.push('href=' + href); }
                }
            }
            return found;
        }"""
    )
    assert active == [], active


@pytest.mark.django_db(transaction=True)
def test_markdown_payloads_are_inert_streamed_and_stored(browser_page, live_server, owner, settings):
    from .openai_server import OpenAIServer

    page = browser_page
    client = Client()
    client.force_login(owner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    session = session_create(owner=owner, title="Markdown payloads")
    # Stored answers (imported, or from another client): rendered from the server's HTML.
    messages_append(session_id=session.pk, messages=[
        HumanMessage(content="show me"), AIMessage(content=MARKDOWN_DOCUMENT),
    ])
    page.goto(live_server.url + reverse("conversation_detail", kwargs={"session_id": session.pk}))
    _assert_markdown_inert(page)
    assert page.locator(".md a[href='https://example.com']").count() == 1  # the safe link survives
    # A streamed answer: the real ChatOpenAI client against our test server, which echoes the message.
    with OpenAIServer(tokens_per_s=300) as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, "test"
        page.fill("#message-input", MARKDOWN_DOCUMENT)
        page.click("#send-button")
        page.wait_for_selector('li.msg-ai[data-state="done"] >> nth=1')
    _assert_markdown_inert(page)
    page.reload()
    _assert_markdown_inert(page)
    # Shown as text, not dropped: the reader sees what the model wrote.
    text = page.locator("li.msg-ai .md").last.inner_text()
    assert "<script>" in text and "javascript:" in text and "Image: data image" not in text

    # The public share page renders answers with the same renderer, logged out.
    from sessions_app.sharing.services import share_link_create

    link, _ = share_link_create(session=ChatSession.objects.get(pk=session.pk), actor=owner)
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/s/{link.token}/")
    assert page.locator(".md a[href='https://example.com']").count() == 2  # both answers rendered, not raw text
    _assert_markdown_inert(page)
