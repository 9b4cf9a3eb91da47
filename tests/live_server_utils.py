"""Real servers for tests: this app under gunicorn on a free loopback port, and a small HTTP client.

One way to start them (``gunicorn_server``), used by ``gunicorn`` (the test run's environment plus
a few variables) and ``app_server`` (exactly ``child_env``): bind 127.0.0.1 on a free port, log to
a temporary FILE, wait for readiness with a bounded loop, and always stop the process (terminate,
then kill after a timeout). Child servers share the test database (``children_database_url``):
tests using them need ``django_db(transaction=True)`` so the children see committed rows.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc`` and wait for it; kill it if it has not exited after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def accepts_connections(base: str) -> bool:
    """Whether something accepts TCP connections at ``base`` (``http://host:port``)."""
    url = urlsplit(base)
    try:
        with socket.create_connection((url.hostname, url.port or 80), timeout=0.5):
            return True
    except OSError:
        return False


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-3000:]


@contextmanager
def gunicorn_server(
    env: dict[str, str], *, ready: Callable[[str], bool] = accepts_connections, workers: int = 1, threads: int = 4,
    worker_timeout: int = 30, graceful_timeout: int | None = None, start_timeout: float = 20.0, asgi: bool = False,
) -> Iterator[str]:
    """Run ``gunicorn chatmemory.wsgi`` (gthread workers) with exactly ``env`` on a free loopback port;
    with ``asgi=True`` the production web process instead: ``chatmemory.asgi`` under uvicorn workers
    with ``chatmemory/gunicorn.py`` (``threads`` is then unused).

    Yields the base URL once ``ready(base)`` is true; raises ``RuntimeError`` with the end of the
    server's log if it exits first or is not ready within ``start_timeout`` seconds. The server's
    output goes to a temporary file, never to an unread pipe: Django logs every 4xx, and once a
    64 KiB pipe buffer is full every worker thread blocks in logging (the "read timeouts" a long
    fuzz run saw were exactly that). The process is stopped however the block ends.
    """
    port = free_port()
    argv = [
        sys.executable, "-m", "gunicorn", "chatmemory.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
        "--timeout", str(worker_timeout), "--log-level", "warning",
    ]
    if asgi:
        argv = [sys.executable, "-m", "gunicorn", "-c", "python:chatmemory.gunicorn", "chatmemory.asgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", str(worker_timeout),
                "--log-level", "warning", "--access-logfile", "/dev/null"]
    if graceful_timeout is not None:
        argv += ["--graceful-timeout", str(graceful_timeout)]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {proc.returncode}: {_tail(log)}")
                if ready(base):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn was not ready in {start_timeout}s: {_tail(log)}")
                time.sleep(0.1)
            yield base
        finally:
            stop_process(proc)


def gunicorn(env: dict[str, str], *, timeout: float = 20.0) -> AbstractContextManager[str]:
    """One worker with ``env`` on top of ours (see ``server_env_for_test_db``); ready once it accepts
    connections; yields its base URL and stops it."""
    return gunicorn_server({**os.environ, **env}, start_timeout=timeout)


def http(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request with urllib; returns ``(status, headers, body)`` for any status."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def children_database_url() -> str:
    """The URL of the PostgreSQL database this test run uses (``test_<name>``), for child processes."""
    from django.db import connection

    d = connection.settings_dict
    user = d.get("USER") or "postgres"
    password = f":{d['PASSWORD']}" if d.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{d.get('HOST') or '127.0.0.1'}:{d.get('PORT') or 5432}/{d['NAME']}"


def server_env_for_test_db(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a server process sharing this test run's database (and Redis db)."""
    from django.db import connection

    # No collectstatic for test servers: static files come from the source folders (WhiteNoise's finders).
    env = {"DEBUG": "false", "SECRET_KEY": "test-only-secret", "CHATMEMORY_OFFLINE_TOKEN_DELAY_MS": "0",
           "CHATMEMORY_STATIC_MANIFEST": "false"}
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = children_database_url()
    else:
        env["SQLITE_PATH"] = str(connection.settings_dict["NAME"])
    return {**env, **(extra or {})}


def child_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(
        DJANGO_SETTINGS_MODULE="chatmemory.settings",
        DEBUG="false",
        SECRET_KEY="test-secret-key-for-child-servers-only-0123456789",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CHATMEMORY_OFFLINE_TOKEN_DELAY_MS="0",
        CONN_MAX_AGE="0",
        LOG_LEVEL="WARNING",
        CHATMEMORY_STATIC_MANIFEST="false",  # no collectstatic: WhiteNoise serves the source folders
    )
    env.pop("CELERY_BROKER_URL", None)
    env.update(overrides)
    return env


def http_json(method: str, url: str, *, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 30) -> tuple[int, dict[str, str], Any]:
    """One JSON request: ``(status, headers, parsed JSON or text)``; HTTP errors are returned, not raised."""
    status, head, raw = http(
        method, url, body=None if body is None else json.dumps(body).encode(), timeout=timeout,
        headers={"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
    )
    text = raw.decode("utf-8", "replace")
    try:
        return status, head, json.loads(text)
    except ValueError:
        return status, head, text


def app_server(env: dict[str, str], *, workers: int = 2, threads: int = 4, ready_path: str = "/health",
               ready_status: tuple[int, ...] = (200,), timeout: float = 30) -> AbstractContextManager[str]:
    """Run this app under gunicorn with exactly ``env`` (see ``child_env``) on a free loopback port;
    yield its base URL once ``ready_path`` answers with one of ``ready_status``."""

    def ready(base: str) -> bool:
        try:
            return http_json("GET", base + ready_path, timeout=5)[0] in ready_status
        except OSError:
            return False

    return gunicorn_server(env, ready=ready, workers=workers, threads=threads, worker_timeout=60,
                           graceful_timeout=3, start_timeout=timeout)
