"""The production stack end to end: ``make serve`` with ``DEBUG=false`` on PostgreSQL + Redis + RabbitMQ,
driven by Chromium.

``make serve`` (collectstatic, then web = gunicorn + uvicorn workers, a Celery worker and beat via
honcho) runs on this test's database, Redis db and a RabbitMQ vhost of its own, with the model
at our OpenAI-compatible server. In Chromium a user logs in through the form and starts a
conversation: every static asset loads (WhiteNoise's hashed, compressed files; 0 failed
requests), the answer streams and the turn is stored once. A retention run sent to the broker is
done by the real worker, and ``/metrics`` (bearer token) counts the turn and the archived session.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from sessions_app.models import ChatMessage, ChatSession

from .browser_fixtures import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from .factories import UserFactory
from .live_server_utils import ROOT, children_database_url, free_port, http
from .openai_server import OpenAIServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, needs_chromium,
              pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
METRICS_TOKEN = "e2e-metrics-token-" + secrets.token_hex(8)
RABBITMQ = ("127.0.0.1", 5672)


@pytest.fixture
def rabbitmq_vhost() -> Iterator[str]:
    """A RabbitMQ vhost of this test (guest has its permissions), deleted afterwards."""
    ctl = shutil.which("rabbitmqctl")
    try:
        socket.create_connection(RABBITMQ, timeout=2).close()
    except OSError:
        ctl = None
    if ctl is None:
        pytest.skip("needs RabbitMQ on 127.0.0.1:5672 and rabbitmqctl (CI starts rabbitmq-server)")
    vhost = f"hserve-e2e-{secrets.token_hex(4)}"
    subprocess.run([ctl, "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    subprocess.run([ctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True, timeout=60)
    try:
        yield vhost
    finally:
        subprocess.run([ctl, "delete_vhost", vhost], capture_output=True, timeout=60)


@pytest.fixture
def production_stack(rabbitmq_vhost: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """``make serve`` in its own process group; yields ``base``, ``broker`` and ``log`` (path)."""
    model = OpenAIServer(ttft_ms=200, tokens_per_s=40, answer_tokens=40).start()
    port = free_port()
    broker = f"amqp://guest:guest@127.0.0.1:5672/{rabbitmq_vhost}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST", "DJANGO_", "CHATMEMORY_", "CELERY_", "PROMETHEUS_", "DATABASE_"))}
    env.update(
        DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=children_database_url(), REDIS_URL=os.environ["REDIS_URL"], CELERY_BROKER_URL=broker,
        OPENAI_BASE_URL=model.base_url, OPENAI_API_KEY="sk-e2e", CHATMEMORY_MODEL="e2e-model",
        HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2", CHATMEMORY_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"), CHATMEMORY_METRICS_TOKEN=METRICS_TOKEN, CHATMEMORY_LOG_FORMAT="json",
        LOG_LEVEL="INFO", DATABASE_POOL_MAX_SIZE="4",
    )
    (tmp_path / "var").mkdir()
    log_path = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["make", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"make serve exited with {proc.returncode}: {log_path.read_text()[-3000:]}"
            try:
                if http("GET", base + "/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"not ready in 120 s: {log_path.read_text()[-3000:]}"
            time.sleep(0.5)
        yield {"base": base, "broker": broker, "log": str(log_path)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # honcho stops web, worker and beat
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        model.stop()


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            total += float(match.group(2))
    return total


def _scrape(base: str) -> str:
    status, _, body = http("GET", base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    return body.decode()


def test_make_serve_static_streamed_turn_worker_retention_and_metrics(production_stack):
    from playwright.sync_api import sync_playwright

    base = production_stack["base"]
    user = UserFactory(username="petra")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())  # the server's hasher
    user.save(update_fields=["password"])
    idle = ChatSession.objects.create(owner=user, title="idle for a year")
    ChatSession.objects.filter(pk=idle.pk).update(last_active_at=timezone.now() - timedelta(days=400))
    assert http("GET", base + "/metrics")[0] == 401  # no token, no metrics

    failed: list[str] = []
    static: list[tuple[str, int, str]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        page.on("requestfailed", lambda request: failed.append(f"{request.url} {request.failure}"))
        page.on("response", lambda r: static.append((r.url, r.status, r.headers.get("content-encoding", "")))
                if "/static/" in r.url else None)
        js_errors: list[str] = []
        page.on("pageerror", lambda error: js_errors.append(str(error)))
        page.goto(base + "/accounts/login/")
        page.get_by_label("Username").fill("petra")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(base + "/")
        page.get_by_label("Your message").fill("Hello from the production stack")
        page.get_by_label("Your message").press("Enter")
        page.locator('li.msg-ai[data-state="streaming"]').wait_for()
        page.locator('li.msg-ai[data-state="done"]').wait_for()
        answer = page.locator("li.msg-ai .bubble").last.inner_text()
        page.wait_for_load_state("networkidle")  # the stream's response has ended too
        page.reload()  # the stored conversation, from the database
        page.locator("li.msg-ai .bubble").last.wait_for()
        assert page.locator("li.msg-ai .bubble").last.inner_text() == answer
        browser.close()

    # The page itself cancels its stream's reader once ``done`` arrived (static/chatmemory/js/sse.js),
    # which Chromium reports as an aborted request; nothing else may fail.
    assert [f for f in failed if not f.endswith("/c/new/messages/ net::ERR_ABORTED")] == [] and js_errors == []
    assert static and all(status in (200, 304) for _, status, _ in static), static
    assert any(u.endswith(".css") for u, _, _ in static) and any(u.endswith(".js") for u, _, _ in static)
    unhashed = [u for u, _, _ in static if not re.search(r"\.[0-9a-f]{12}\.[a-z0-9]+$", u.split("?")[0])]
    assert unhashed == []  # every asset by its manifest name (cacheable forever)
    assert any(enc in ("br", "gzip") for u, _, enc in static if u.endswith(".css"))  # compressed
    assert answer.startswith("stub saw")

    session = ChatSession.objects.exclude(pk=idle.pk).get(owner=user)
    rows = list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("type", "content_text"))
    assert [kind for kind, _ in rows] == ["human", "ai"]  # stored exactly once
    assert rows[0][1] == "Hello from the production stack" and rows[1][1] == answer

    from celery import Celery

    Celery(broker=production_stack["broker"]).send_task("sessions_app.tasks.apply_retention")
    deadline = time.monotonic() + 60
    while ChatSession.objects.get(pk=idle.pk).status != ChatSession.Status.ARCHIVED:
        assert time.monotonic() < deadline, "the worker did not run the retention task in 60 s"
        time.sleep(0.5)

    metrics = _scrape(base)
    assert _metric(metrics, "chatmemory_turns_total", mode="stream", outcome="stored") == 1
    assert _metric(metrics, "chatmemory_turn_ttft_seconds_count", mode="stream") == 1
    assert _metric(metrics, "chatmemory_http_requests_total", route="conversation_start", status="200") == 1
    assert _metric(metrics, "chatmemory_active_streams") == 0
    deadline = time.monotonic() + 10  # the worker's counter file is written when the task ends
    while _metric(metrics, "chatmemory_retention_actions_total", action="archive_inactive") < 1:
        assert time.monotonic() < deadline, "the worker's retention actions are not in /metrics"
        time.sleep(0.5)
        metrics = _scrape(base)

    log = Path(production_stack["log"]).read_text()
    assert "static files copied" in log and "Listening at: http://127.0.0.1:" in log
    assert "UvicornWorker" in log and "ready." in log and "beat: Starting" in log
    with urllib.request.urlopen(base + "/health", timeout=5) as health:
        assert health.status == 200
