"""Real servers for the hot-path tests: this app under gunicorn, and a throwaway redis-server.

Everything binds 127.0.0.1 on a free port, waits with a bounded loop, and is stopped by the
test that started it (terminate, then kill after a timeout); gunicorn is started by
``live_server_utils.gunicorn_server``. Child servers share the test database
(``connection.settings_dict["NAME"]``, i.e. ``test_<name>``; ``children_database_url``): tests
using them need ``django_db(transaction=True)`` so the children see committed rows.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import AbstractContextManager
from typing import Any

from .live_server_utils import free_port, gunicorn_server, stop_process
from .live_server_utils import http as raw_http


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
    )
    env.pop("CELERY_BROKER_URL", None)
    env.update(overrides)
    return env


def http(method: str, url: str, *, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 30) -> tuple[int, dict[str, str], Any]:
    """One JSON request: ``(status, headers, parsed JSON or text)``; HTTP errors are returned, not raised."""
    status, head, raw = raw_http(
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
            return http("GET", base + ready_path, timeout=5)[0] in ready_status
        except OSError:
            return False

    return gunicorn_server(env, ready=ready, workers=workers, threads=threads, worker_timeout=60,
                           graceful_timeout=3, start_timeout=timeout)


class RedisProcess:
    """A throwaway ``redis-server`` on a loopback port (no persistence), stoppable and restartable."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cm-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_process(self.proc)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
