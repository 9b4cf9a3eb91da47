"""Screenshots for the README, made with the headless browser against a demo database.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Creates a throw-away embedded-default project state (SQLite in a temporary ``CHATMEMORY_VAR_DIR``,
offline model), seeds a demo user with a few conversations (answers are real offline-model turns
through ``ChatTurn``), serves it with ``runserver`` on a free loopback port, and saves
``chat.png``, ``conversations.png`` and ``admin.png`` with Chromium (Playwright,
``/usr/bin/chromium``). Nothing outside the temporary directory and ``--out`` is touched.
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

from sessions_app.conversations.sessions import session_archive, session_create

BASE_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DEMO_USER, DEMO_PASSWORD = "ada", "demo-password-1815"
STAFF_USER, STAFF_PASSWORD = "staff", "staff-password-1815"

CONVERSATIONS = [
    ("Weekend in Lisbon", ["I'm planning a weekend in Lisbon in May. I love seafood and old trams.",
                           "Which neighbourhood should I stay in?",
                           "What did I say I love?"]),
    ("Django migration questions", ["How do I squash migrations safely?", "And on PostgreSQL?"]),
    ("Birthday gift ideas", ["My sister turns 30 and likes climbing and board games."]),
    ("Reading list 2026", ["Recommend three books about memory."]),
    ("Sourdough troubleshooting", ["My starter smells like acetone. Is it dead?"]),
    ("Tax return 2025", ["Which receipts should I keep for the home office?"]),
]
# Hours since the last activity of each conversation above (the demo spreads them over weeks).
IDLE_HOURS = [0, 5, 30, 80, 200, 600]
ARCHIVED = {"Tax return 2025"}


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


def seed() -> str:
    """Create the demo users and conversations; return the id of the conversation to show."""
    import django

    sys.path.insert(0, str(BASE_DIR))
    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from sessions_app.conversations.chat import ChatTurn
    from sessions_app.conversations.history import DjangoChatMessageHistory
    from sessions_app.models import ChatSession

    users = get_user_model()
    ada = users.objects.create_user(DEMO_USER, password=DEMO_PASSWORD)
    users.objects.create_superuser(STAFF_USER, email="", password=STAFF_PASSWORD)
    now = timezone.now()
    shown = ""
    for (title, texts), idle in zip(CONVERSATIONS, IDLE_HOURS, strict=True):
        session = session_create(owner=ada, title=title, metadata={"channel": "web"})
        for text in texts:
            ChatTurn(history=DjangoChatMessageHistory(session.pk, user=ada), text=text).run()
        if title in ARCHIVED:
            session_archive(session=session, actor="script:screenshots")
        # Demo data only: spread the conversations' activity over the past weeks.
        when = now - timedelta(hours=idle)
        ChatSession.objects.filter(pk=session.pk).update(last_active_at=when, created_at=when - timedelta(hours=2))
        shown = shown or str(session.pk)
    return shown  # "Weekend in Lisbon", the most recently active


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer on {url} within {timeout:.0f} s")


def shoot(base: str, session_id: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800}, color_scheme="light")
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", DEMO_USER)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.screenshot(path=str(out / "conversations.png"))

        page.goto(f"{base}/c/{session_id}/")
        page.fill("#message-input", "Thanks! Remind me: when am I going?")
        page.screenshot(path=str(out / "chat.png"))

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
        session_id = seed()
        port = free_port()
        server = subprocess.Popen(
            [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/accounts/login/")
            shoot(base, session_id, out)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    for name in ("chat.png", "conversations.png", "admin.png"):
        if (out / name).exists():
            print(out / name)


if __name__ == "__main__":
    main()
