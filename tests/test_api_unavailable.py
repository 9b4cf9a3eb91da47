"""The database down is a 503 JSON answer from the API, never a 500 (a real server, a real dead port)."""
from __future__ import annotations

import json
import uuid

import pytest

from .live_server_utils import free_port, gunicorn, http

pytestmark = pytest.mark.slow


def test_database_down_is_503_json():
    dead = free_port()  # nothing listens there: psycopg gets "connection refused"
    env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead}/chatmemory_nowhere", "REDIS_URL": "",
           "DEBUG": "false", "SECRET_KEY": "test-only-secret", "DATABASE_CONNECT_TIMEOUT": "2"}
    token = "cm_abcdefgh_" + "x" * 43
    with gunicorn(env) as base:
        for method, path, body in [
            ("GET", f"/api/sessions/{uuid.uuid4()}", None),
            ("POST", "/api/sessions", b'{"title": "x"}'),
            ("POST", f"/api/sessions/{uuid.uuid4()}/chat", b'{"message": "hi"}'),
        ]:
            status, headers, raw = http(
                method, base + path, body=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            assert status == 503, (path, raw[:500])
            assert headers["Content-Type"].startswith("application/json")
            assert json.loads(raw)["error"] == "unavailable"
