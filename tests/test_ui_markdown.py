"""Answers as Markdown in headless Chromium: CommonMark + GFM (tables, task lists, strikethrough,
autolinks), highlighted code with a Copy button, a Copy button per message — and exactly the
same DOM while the answer streams in as after a reload. The user's own messages stay plain text.

The model is our OpenAI-compatible test server (``tests.openai_server``) through the real
``ChatOpenAI`` client: it answers ``"stub saw N messages; last: <the message>"``, so a message
written in Markdown comes back as a Markdown answer, token by token.
"""
from __future__ import annotations

import pytest

from sessions_app.conversations.sessions import session_create
from sessions_app.models import ChatMessage

from .browser_fixtures import needs_chromium, sign_in
from .factories import UserFactory
from .openai_server import OpenAIServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]

MARKDOWN = """

## Plan

Some **bold**, some *italics*, ~~struck~~ and `inline code`, see https://example.com/docs.

| step | owner | done |
|:-----|:-----:|-----:|
| write | ada | yes |
| test | bob | no |

- [x] vendor the libraries
- [ ] ship it

1. first
2. second

> a quote

```python
def greet(name: str) -> str:
    return f"hello {name}"
```
"""


@pytest.fixture
def model(settings):
    with OpenAIServer(tokens_per_s=80) as server:  # about a second per answer, token by token
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_API_KEY = "test"
        yield server


def answer_html(page) -> str:
    return page.locator("li.msg-ai .md").last.inner_html()


def test_markdown_answer_renders_gfm_and_highlighted_code_identically_streamed_and_reloaded(
        page, live_server, model):
    owner = UserFactory(username="ada")
    session = session_create(owner=owner, title="Markdown")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    page.get_by_label("Your message").fill(MARKDOWN)
    page.get_by_label("Your message").press("Enter")
    page.locator('li.msg-ai[data-state="streaming"]').wait_for()  # it streams …
    page.locator('li.msg-ai[data-state="done"]').wait_for()  # … and is stored
    streamed = answer_html(page)
    md = page.locator("li.msg-ai .md").last
    assert md.locator("h2").inner_text() == "Plan"
    assert md.locator("strong").inner_text() == "bold" and md.locator("em").inner_text() == "italics"
    assert md.locator("s").inner_text() == "struck"
    assert md.locator("a[href='https://example.com/docs']").get_attribute("rel") == "noopener noreferrer nofollow ugc"
    assert md.locator("table th").all_inner_texts() == ["step", "owner", "done"]
    assert md.locator("table td.md-align-right").first.inner_text() == "yes"
    checkboxes = md.locator("li.task-list-item input[type=checkbox]")
    assert checkboxes.count() == 2 and checkboxes.nth(0).is_checked() and not checkboxes.nth(1).is_checked()
    assert checkboxes.nth(0).is_disabled()
    assert md.locator("ol li").count() == 2 and md.locator("blockquote").inner_text() == "a quote"
    code = md.locator(".code-block")
    assert code.locator(".code-lang").inner_text() == "python"
    assert code.locator("code .hljs-keyword").first.inner_text() == "def"  # highlighted
    assert 'return f"hello {name}"' in code.locator("code").inner_text()

    # The user's message is plain text with its line breaks, not Markdown.
    human = page.locator("li.msg-human .bubble").last
    assert human.locator("strong, table, h2").count() == 0
    assert "| step | owner | done |" in human.inner_text() and "**bold**" in human.inner_text()

    page.reload()
    assert answer_html(page) == streamed  # the same renderer, the same stored text
    stored = ChatMessage.objects.get(session=session, seq=2).content_text
    assert stored.startswith("stub saw 2 messages; last:") and "```python" in stored


def test_copy_buttons_copy_the_code_and_the_raw_message(page, live_server, model):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    owner = UserFactory(username="ada")
    session = session_create(owner=owner, title="Copying")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    page.get_by_label("Your message").fill(MARKDOWN)
    page.get_by_label("Your message").press("Enter")
    page.locator('li.msg-ai[data-state="done"]').wait_for()

    answer = page.locator("li.msg-ai").last
    answer.get_by_role("button", name="Copy code").click()
    code = 'def greet(name: str) -> str:\n    return f"hello {name}"\n'
    assert page.evaluate("() => navigator.clipboard.readText()") == code
    assert answer.get_by_role("button", name="Copy code").inner_text() == "Copied"

    answer.hover()
    answer.get_by_role("button", name="Copy message").click()
    stored = ChatMessage.objects.get(session=session, seq=2).content_text
    assert page.evaluate("() => navigator.clipboard.readText()") == stored  # the Markdown source

    page.locator("li.msg-human").last.hover()
    page.locator("li.msg-human").last.get_by_role("button", name="Copy message").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == MARKDOWN
