"""README's "JSON API in one minute" runs as pasted: the block is read from README.md and run by bash
against a real gunicorn, with only ``TOKEN`` and ``PORT`` filled in as a reader would."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from sessions_app.accounts.tokens import api_token_create
from sessions_app.models import ChatMessage, ChatSession, ShareLink

from .live_server_utils import gunicorn, server_env_for_test_db

README = Path(__file__).resolve().parent.parent / "README.md"


def api_minute() -> str:
    section = README.read_text().split("## The JSON API in one minute", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_readme_api_minute_runs_as_pasted(owner):
    script = api_minute()
    assert "<session_id>" not in script and "SID=$(" in script and "PORT=" in script
    _, token = api_token_create(user=owner, name="readme")
    with gunicorn(server_env_for_test_db({"CHATMEMORY_CHAT_RATE_LIMIT": "0"})) as base:
        port = base.rsplit(":", 1)[1]
        filled = script.replace("TOKEN=cm_…", f"TOKEN={token}").replace("PORT=8000", f"PORT={port}")
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", filled], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    session = ChatSession.objects.get(owner=owner, title="Support chat")
    assert ChatMessage.objects.filter(session=session).count() == 4  # two turns
    assert "event: token" in done.stdout and "event: done" in done.stdout
    assert '"results"' in done.stdout and "<mark>Ada</mark>" in done.stdout  # the search found the turn
    assert ShareLink.objects.filter(session=session).exists()
    assert "# Support chat" in done.stdout  # the Markdown export
