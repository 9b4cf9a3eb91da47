"""Per-user chat rate limit: a moving window (``limits``), 429 with Retry-After, counted in the
storage that follows the ``default`` cache (Redis in CI, process memory on the embedded default)."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
from types import SimpleNamespace

import limits.storage.memory
import limits.storage.redis
import pytest
from django.conf import settings as django_settings

from sessions_app.conversations import ratelimit
from sessions_app.conversations.ratelimit import chat_rate_limit_retry_after
from sessions_app.conversations.sessions import session_create
from sessions_app.models import ChatMessage

from .live_server_utils import child_env, free_port

pytestmark = pytest.mark.django_db

# A multiple of 60 in the past: the start of a fixed 60-second window, as the old limiter cut them.
BOUNDARY = 28_333_334 * 60.0


class Clock:
    """A settable ``time.time()``: what limits stamps entries with and what Retry-After is measured
    against (limits reads ``time.time()`` in its storage modules, so the fixture swaps the ``time``
    name there and in ours; Redis only stores the timestamps it is given)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock(BOUNDARY)
    for module in (limits.storage.memory, limits.storage.redis, ratelimit):
        monkeypatch.setattr(module, "time", SimpleNamespace(time=fake.time))
    return fake


@pytest.fixture
def limit_two(settings):
    settings.CHATMEMORY_CHAT_RATE_LIMIT = 2
    settings.CHATMEMORY_CHAT_RATE_WINDOW = 60


def turn_at(clock: Clock, t: float, user_id: int = 7) -> int | None:
    clock.now = t
    return chat_rate_limit_retry_after(user_id=user_id)


def test_third_turn_in_the_window_is_429_with_retry_after(owner_api, chat_session, limit_two):
    url = f"/api/sessions/{chat_session.pk}/chat"
    assert owner_api.post(url, {"message": "one"}).status_code == 200
    assert owner_api.post(url, {"message": "two"}).status_code == 200
    response = owner_api.post(url, {"message": "three"})
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60  # exact values: the clock tests below
    assert ChatMessage.objects.count() == 4  # the refused turn stored nothing


def test_limit_is_per_user(owner_api, other_api, owner, other_user, limit_two):

    mine, theirs = session_create(owner=owner), session_create(owner=other_user)
    for _ in range(2):
        owner_api.post(f"/api/sessions/{mine.pk}/chat", {"message": "x"})
    assert owner_api.post(f"/api/sessions/{mine.pk}/chat", {"message": "x"}).status_code == 429
    assert other_api.post(f"/api/sessions/{theirs.pk}/chat", {"message": "x"}).status_code == 200


def test_a_turn_is_accepted_again_once_the_oldest_has_left_the_window(clock, limit_two):
    assert turn_at(clock, BOUNDARY) is None
    assert turn_at(clock, BOUNDARY + 1) is None
    assert turn_at(clock, BOUNDARY + 20.5) == 40  # the first turn leaves after BOUNDARY + 60
    assert turn_at(clock, BOUNDARY + 60.5) is None  # it has: one slot free ...
    assert turn_at(clock, BOUNDARY + 60.7) == 1  # ... and the second leaves after BOUNDARY + 61


def test_no_double_burst_across_a_window_boundary(clock, limit_two):
    # The old fixed window allowed 2 turns just before BOUNDARY and 2 more just after it.
    assert turn_at(clock, BOUNDARY - 1) is None
    assert turn_at(clock, BOUNDARY - 0.5) is None
    assert turn_at(clock, BOUNDARY + 0.5) == 59
    assert turn_at(clock, BOUNDARY + 1) == 59
    assert turn_at(clock, BOUNDARY + 58.9) == 1
    assert turn_at(clock, BOUNDARY + 59.1) is None  # the turn at BOUNDARY - 1 has left


def test_no_window_ever_holds_more_than_the_limit(clock, settings):
    settings.CHATMEMORY_CHAT_RATE_LIMIT, settings.CHATMEMORY_CHAT_RATE_WINDOW = 5, 10
    accepted = []
    for step in range(400):  # a client retrying every 0.25 s for 100 s, across ten window boundaries
        t = BOUNDARY - 3 + step * 0.25
        if turn_at(clock, t) is None:
            accepted.append(t)
    for t in accepted:
        assert sum(1 for u in accepted if t - 10 < u <= t) <= 5
    assert len(accepted) >= 5 * 9  # and the limit is reached, window after window


def test_retry_after_is_exactly_enough(clock, settings):
    settings.CHATMEMORY_CHAT_RATE_LIMIT, settings.CHATMEMORY_CHAT_RATE_WINDOW = 3, 60
    for t in (BOUNDARY, BOUNDARY + 10, BOUNDARY + 20):
        assert turn_at(clock, t) is None
    assert turn_at(clock, BOUNDARY + 30) == 31  # the turn at BOUNDARY leaves once BOUNDARY + 60 is past
    for asked_at in (BOUNDARY + 30.25, BOUNDARY + 45.5, BOUNDARY + 59.99):
        retry_after = turn_at(clock, asked_at)
        assert retry_after == max(1, int(BOUNDARY + 60 - asked_at) + 1)
        assert turn_at(clock, asked_at + retry_after - 1) is not None  # a second early: still refused
    # Refused turns do not count, so waiting Retry-After from the first refusal is enough.
    assert turn_at(clock, BOUNDARY + 30 + 31) is None


def test_zero_turns_the_limit_off(settings):
    settings.CHATMEMORY_CHAT_RATE_LIMIT = 0
    assert all(chat_rate_limit_retry_after(user_id=1) is None for _ in range(100))


def test_another_users_session_does_not_consume_the_budget(owner_api, other_api, chat_session, limit_two):
    for _ in range(5):
        assert other_api.post(f"/api/sessions/{chat_session.pk}/chat", {"message": "x"}).status_code == 404
    for _ in range(2):
        assert owner_api.post(f"/api/sessions/{chat_session.pk}/chat", {"message": "x"}).status_code == 200


@pytest.mark.redis
def test_processes_share_one_count_in_redis(limit_two, settings):
    settings.CHATMEMORY_CHAT_RATE_LIMIT = 4
    assert chat_rate_limit_retry_after(user_id=42) is None
    assert chat_rate_limit_retry_after(user_id=42) is None
    script = (
        "import django; django.setup()\n"
        "from sessions_app.conversations.ratelimit import chat_rate_limit_retry_after as hit\n"
        "import json; print(json.dumps([hit(user_id=42) for _ in range(3)]))\n"
    )
    env = child_env(CHATMEMORY_CHAT_RATE_LIMIT="4", CHATMEMORY_CHAT_RATE_WINDOW="60")
    child = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    first, second, third = json.loads(child.stdout)
    assert (first, second) == (None, None)
    assert third is not None and 1 <= third <= 60
    assert chat_rate_limit_retry_after(user_id=42) is not None  # the child's turns count here too
    assert chat_rate_limit_retry_after(user_id=43) is None

    from django_redis import get_redis_connection

    keys = sorted(key.decode() for key in get_redis_connection("default").keys("cm:ratelimit:*"))
    assert keys == ["cm:ratelimit:chat/42/4/60/second", "cm:ratelimit:chat/43/4/60/second"]


def test_a_redis_outage_lets_the_turn_through_and_is_logged(settings, limit_two, caplog):
    closed = f"redis://127.0.0.1:{free_port()}/3"  # nothing listens there
    settings.CACHES = {
        **django_settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": closed,
            "KEY_PREFIX": "cm",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    with caplog.at_level(logging.WARNING, logger="sessions_app.cache"):
        assert all(chat_rate_limit_retry_after(user_id=7) is None for _ in range(3))
    # Logged once for the outage (sessions_app.cache.outage), not once per turn.
    assert "chat rate limit failed" in caplog.text and "ConnectionError" in caplog.text
    assert len(caplog.records) == 1


def test_a_redis_outage_does_not_fail_the_chat_api(owner_api, chat_session, settings, limit_two):
    settings.CACHES = {
        **django_settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/3",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    for _ in range(3):  # over the limit, but nothing can count it
        assert owner_api.post(f"/api/sessions/{chat_session.pk}/chat", {"message": "x"}).status_code == 200
