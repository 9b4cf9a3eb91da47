"""``/health`` (database, cache, broker with timings) and the database-fault 503s."""
from __future__ import annotations

import time

import pytest

from .live_server_utils import app_server, child_env, free_port
from .live_server_utils import http_json as http

pytestmark = pytest.mark.django_db


def api_mounted() -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/sessions")
    except Resolver404:
        return False
    return True


def test_health_reports_each_part_with_timings(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    for check in body["checks"].values():
        assert check["ok"] is True
        assert isinstance(check["ms"], float) and check["ms"] >= 0
    assert body["checks"]["broker"]["mode"] == "eager"
    assert response["Cache-Control"].startswith("max-age=0")


def test_cache_down_is_degraded_not_down(client, settings):
    settings.CACHES = {
        **settings.CACHES,
        settings.CHATMEMORY_CACHE_ALIAS: {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    started = time.monotonic()
    response = client.get("/health")
    assert time.monotonic() - started < 3
    body = response.json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["checks"]["cache"]["ok"] is False and "ConnectionError" in body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_broker_checked_for_real_when_configured(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{free_port()}//"  # closed port
    body = client.get("/health").json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == {**body["checks"]["broker"], "ok": False}
    assert "error" in body["checks"]["broker"]


@pytest.mark.slow
def test_broker_up_is_ok_on_the_local_rabbitmq(client, settings):
    import socket

    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=0.5).close()
    except OSError:
        pytest.skip("no RabbitMQ on 127.0.0.1:5672")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    body = client.get("/health").json()
    assert body["checks"]["broker"]["ok"] is True, body
    assert body["checks"]["broker"]["mode"] == "broker"


@pytest.mark.slow
def test_database_unreachable_is_a_fast_503_everywhere():
    """A child server whose DATABASE_URL points at a closed loopback port."""
    env = child_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/nowhere", REDIS_URL="")
    with app_server(env, ready_status=(503,)) as base:
        started = time.monotonic()
        status, headers, body = http("GET", base + "/health")
        assert status == 503 and body["status"] == "down"
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["cache"]["ok"] is True
        # A page that needs the database (the session cookie makes the admin load the user).
        status, headers, body = http("GET", base + "/admin/", headers={"Cookie": "sessionid=" + "a" * 32})
        assert status == 503, body
        assert headers.get("Retry-After") == "5"
        assert "unavailable" in body.lower()
        # The JSON API answers in the contract's shape (once the API is mounted).
        if not api_mounted():
            return
        status, headers, body = http("POST", base + "/api/sessions", body={"title": "x"},
                                     headers={"Authorization": "Bearer nope", "Cookie": "sessionid=" + "a" * 32})
        assert status == 503, body
        assert body["error"] == "unavailable"
        assert time.monotonic() - started < 5  # fail fast: refused, not a 30-second hang
