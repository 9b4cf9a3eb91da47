"""Screenshots for the README, made with the headless browser against a demo database.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Creates a throw-away embedded-default project state (SQLite in a temporary ``CHATMEMORY_VAR_DIR``,
offline model), seeds a demo user with a few conversations — answers are real offline-model turns
through ``ChatTurn``, except one imported conversation whose answers are Markdown with code (the
offline model answers in plain text; imported ShareGPT/ChatGPT answers and real models' answers
are Markdown) — serves it with ``runserver`` on a free loopback port, and saves with Chromium
(Playwright, ``/usr/bin/chromium``):

* ``chat.png``        a conversation with a Markdown answer (a table, highlighted code), 1280×800
* ``chat-dark.png``   the same in the dark theme
* ``phone.png``       the same conversation on a phone (390×844)
* ``phone-drawer.png`` the conversation list open as a drawer on the phone
* ``branch.png``      a branch made by editing a message ("Branched from …", "‹ 2 / 2 ›")
* ``conversations.png`` the list of conversations
* ``admin.png``       the conversations in the Django admin (staff)
* ``search.png``      the search page: ranked results with highlighted snippets (a pinned conversation in a folder)
* ``share.png``       a conversation's share link (copy, expiry, stop sharing); ``shared.png`` the read-only
                      page it opens, without login; ``data.png`` "Your data" (export, import, the two deletions)

Nothing outside the temporary directory and ``--out`` is touched.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DEMO_USER, DEMO_PASSWORD = "ada", "demo-password-1815"
STAFF_USER, STAFF_PASSWORD = "staff", "staff-password-1815"
SHOTS = ["chat.png", "chat-dark.png", "phone.png", "phone-drawer.png", "branch.png", "conversations.png", "admin.png",
         "search.png", "share.png", "shared.png", "data.png"]

CONVERSATIONS = [
    ("Weekend in Lisbon", ["I'm planning a weekend in Lisbon in May. I love seafood and old trams.",
                           "Which neighbourhood should I stay in?",
                           "What did I say I love?"]),
    ("Birthday gift ideas", ["My sister turns 30 and likes climbing and board games."]),
    ("Reading list 2026", ["Recommend three books about memory."]),
    ("Sourdough troubleshooting", ["My starter smells like acetone. Is it dead?"]),
    ("Tax return 2025", ["Which receipts should I keep for the home office?"]),
]
# Hours since the last activity of each conversation above (the demo spreads them over weeks).
IDLE_HOURS = [5, 30, 80, 200, 600]
ARCHIVED = {"Tax return 2025"}

MARKDOWN_TITLE = "Squashing Django migrations"
MARKDOWN_QUESTION = "How do I squash migrations safely, and what changes on PostgreSQL?"
MARKDOWN_ANSWER = """Squash them **per app**, keep the old files until every database has applied the squashed one,
then delete them.

| step | command | safe to run twice |
|:-----|:--------|:-----------------:|
| squash | `manage.py squashmigrations shop 0001 0042` | yes |
| clean up | delete `0001`…`0042`, drop `replaces` | after every deploy |

On PostgreSQL, watch for operations that lock tables:

```python
class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction
    operations = [
        AddIndexConcurrently("order", Index(fields=["created_at"], name="order_created_idx")),
    ]
```

- [x] squashed migrations are ~~slower~~ faster to apply on a new database
- [ ] run `makemigrations --check` in CI"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_env(var_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {
        "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "SQLITE_PATH"}}
    env.update(CHATMEMORY_VAR_DIR=var_dir, DEBUG="true", CHATMEMORY_OFFLINE_TOKEN_DELAY_MS="0",
               DJANGO_SETTINGS_MODULE="chatmemory.settings")
    return env


def seed() -> tuple[str, str, str]:
    """Create the demo users and conversations; return the ids of the Markdown and the Lisbon conversation,
    and the token of the Lisbon conversation's share link (it is pinned, in the folder "Travel")."""
    import django

    sys.path.insert(0, str(BASE_DIR))
    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from langchain_core.messages import AIMessage, HumanMessage

    from sessions_app.conversations.chat import ChatTurn
    from sessions_app.conversations.folders import folder_create, session_set_folder, session_set_pinned
    from sessions_app.conversations.history import DjangoChatMessageHistory
    from sessions_app.conversations.messages import messages_append
    from sessions_app.conversations.sessions import session_archive, session_create
    from sessions_app.models import ChatSession
    from sessions_app.sharing.services import share_link_create

    users = get_user_model()
    ada = users.objects.create_user(DEMO_USER, password=DEMO_PASSWORD)
    users.objects.create_superuser(STAFF_USER, email="", password=STAFF_PASSWORD)
    now = timezone.now()
    lisbon = ""
    for (title, texts), idle in zip(CONVERSATIONS, IDLE_HOURS, strict=True):
        session = session_create(owner=ada, title=title, metadata={"channel": "web"})
        for text in texts:
            ChatTurn(history=DjangoChatMessageHistory(session.pk, user=ada), text=text).run()
        if title in ARCHIVED:
            session_archive(session=session, actor="script:screenshots")
        # Demo data only: spread the conversations' activity over the past weeks.
        when = now - timedelta(hours=idle)
        ChatSession.objects.filter(pk=session.pk).update(last_active_at=when, created_at=when - timedelta(hours=2))
        lisbon = lisbon or str(session.pk)
    # An imported conversation (its answer is Markdown, as ShareGPT/ChatGPT exports and real models write).
    markdown = session_create(owner=ada, title=MARKDOWN_TITLE, metadata={"channel": "import"})
    messages_append(session_id=markdown.pk, messages=[
        HumanMessage(content=MARKDOWN_QUESTION), AIMessage(content=MARKDOWN_ANSWER),
    ])
    trip = ChatSession.objects.get(pk=lisbon)
    session_set_folder(session=trip, folder=folder_create(owner=ada, name="Travel"))
    session_set_pinned(session=trip, pinned=True)
    link, _ = share_link_create(session=trip, actor=ada, expires_at=now + timedelta(days=7))
    return str(markdown.pk), lisbon, link.token


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer on {url} within {timeout:.0f} s")


def log_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", DEMO_USER)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def shoot(base: str, markdown_id: str, lisbon_id: str, token: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
        page = desktop.new_page()
        log_in(page, base)
        page.goto(f"{base}/c/{markdown_id}/")
        page.locator(".md table").wait_for()
        page.fill("#message-input", "And how do I check that nobody still needs the old files?")
        page.screenshot(path=str(out / "chat.png"))

        dark = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark",
                                   storage_state=desktop.storage_state())
        night = dark.new_page()
        night.goto(f"{base}/c/{markdown_id}/")
        night.locator(".md table").wait_for()
        night.screenshot(path=str(out / "chat-dark.png"))

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                    device_scale_factor=2, color_scheme="light", storage_state=desktop.storage_state())
        mobile = phone.new_page()
        mobile.goto(f"{base}/c/{markdown_id}/")
        mobile.locator(".md .code-block").wait_for()
        mobile.locator(".md .code-block").scroll_into_view_if_needed()
        mobile.screenshot(path=str(out / "phone.png"))
        mobile.get_by_role("button", name="Conversations").click()
        mobile.wait_for_function("() => document.getElementById('sidebar').getBoundingClientRect().x >= 0")
        mobile.screenshot(path=str(out / "phone-drawer.png"))

        # A branch: edit the second question of the Lisbon conversation.
        page.goto(f"{base}/c/{lisbon_id}/")
        question = page.locator("li.msg-human").nth(1)
        question.hover()
        question.get_by_role("button", name="Edit message").click()
        page.get_by_label("Edit your message").fill("Which neighbourhood is best for seafood?")
        question.get_by_role("button", name="Send").click()
        page.locator('li.msg-ai[data-state="done"]').nth(1).wait_for()
        page.wait_for_function(f"() => !location.pathname.includes('{lisbon_id}')")
        page.reload()
        page.locator("[data-role=branch-nav]").wait_for()
        page.locator("li.msg-human").nth(1).hover()
        page.screenshot(path=str(out / "branch.png"))

        page.goto(f"{base}/conversations/")
        page.screenshot(path=str(out / "conversations.png"))
        for name, path in (("search.png", "/search/?q=seafood"), ("share.png", f"/c/{lisbon_id}/share/"),
                           ("data.png", "/settings/data/")):
            page.goto(f"{base}{path}")
            page.screenshot(path=str(out / name))
        anonymous = browser.new_page(viewport={"width": 1280, "height": 800}, color_scheme="light")
        anonymous.goto(f"{base}/s/{token}/")
        anonymous.screenshot(path=str(out / "shared.png"))

        admin = browser.new_page(viewport={"width": 1280, "height": 800}, color_scheme="light")
        admin.goto(f"{base}/admin/login/")
        admin.fill("#id_username", STAFF_USER)
        admin.fill("#id_password", STAFF_PASSWORD)
        admin.click("input[type=submit]")
        admin.wait_for_url(f"{base}/admin/")
        response = admin.goto(f"{base}/admin/sessions_app/chatsession/")
        if response is not None and response.ok:
            admin.screenshot(path=str(out / "admin.png"))
        else:
            print("admin.png skipped: the ChatSession admin is not registered", file=sys.stderr)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(BASE_DIR / "docs" / "screenshots"))
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chatmemory-demo-") as var_dir:
        env = demo_env(var_dir)
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
        os.environ.clear()
        os.environ.update(env)
        markdown_id, lisbon_id, token = seed()
        port = free_port()
        server = subprocess.Popen(
            [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/accounts/login/")
            shoot(base, markdown_id, lisbon_id, token, out)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    for name in SHOTS:
        if (out / name).exists():
            print(out / name)


if __name__ == "__main__":
    main()
