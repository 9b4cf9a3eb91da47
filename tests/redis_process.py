"""A throwaway ``redis-server`` for fault tests: loopback, a free port, no persistence, bounded waits.

``redis_process`` (a fixture, registered by ``tests/conftest.py``) starts one for a test and removes it
afterwards; the test stops it (``stop()``: killed), starts it again (same port, empty) or pauses it.
``redis_cache(url)`` is the django-redis cache a test points at it, with short socket timeouts so
that an outage falls back to the database at once instead of hanging.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .live_server_utils import free_port, stop_process


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


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    """A started throwaway ``redis-server``, closed (stopped, its directory removed) after the test."""
    server = RedisProcess()
    server.start()
    yield server
    server.close()


def redis_cache(url: str, *, prefix: str = "") -> dict[str, Any]:
    """A ``CACHES`` entry for django-redis on ``url`` whose calls give up after 0.5 s."""
    return {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}}
