"""Headless Chromium (Playwright, Debian's /usr/bin/chromium) against pytest-django's ``live_server``.

One browser per test module (``browser``); each test gets a fresh context (``page``: 1280×800,
``phone``: 390×844 with touch). Every page records its JavaScript errors and failed requests; a
test fails at teardown if the page threw (``page.js_errors``). ``sign_in`` logs a user in by
cookie (no login form per test), ``send`` types a message and waits for the stored answer.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}

# Playwright's sync API runs an asyncio loop in this thread; the ORM calls made by the tests
# themselves (fixtures, assertions) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (CI installs Debian's chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _watched(context: Any) -> Any:
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    return page


@pytest.fixture
def browser_context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    page = _watched(browser_context)
    yield page
    assert page.js_errors == [], f"JavaScript errors on {page.url}: {page.js_errors}"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(**PHONE, color_scheme="light")
    context.set_default_timeout(15_000)
    page = _watched(context)
    yield page
    assert page.js_errors == [], f"JavaScript errors on {page.url}: {page.js_errors}"
    context.close()


def sign_in(page: Any, base: str, user: Any) -> None:
    """Log ``user`` in for this page's context with a real session cookie."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])


def new_page(browser: Any, **options: Any) -> Any:
    """Another context (another tab of someone else, or of the same user after ``sign_in``)."""
    context = browser.new_context(**({"viewport": {"width": 1280, "height": 800}} | options))
    context.set_default_timeout(15_000)
    return _watched(context)


def answers_done(page: Any) -> int:
    return page.locator('li.msg-ai[data-state="done"]').count()


def send(page: Any, text: str) -> str:
    """Type ``text``, press Enter, wait until its answer is stored; return the answer's rendered text."""
    before = answers_done(page)
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")
    page.locator('li.msg-ai[data-state="done"]').nth(before).wait_for()
    return page.locator("li.msg-ai .bubble").last.inner_text()
