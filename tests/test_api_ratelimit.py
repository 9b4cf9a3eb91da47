"""Per-user chat rate limit: 429 with Retry-After, counted in the configured cache (Redis in CI)."""
from __future__ import annotations

import pytest

from sessions_app.models import ChatMessage
from sessions_app.ratelimit import chat_rate_limit_retry_after

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_two(settings):
    settings.CHATMEMORY_CHAT_RATE_LIMIT = 2
    settings.CHATMEMORY_CHAT_RATE_WINDOW = 60


def test_third_turn_in_the_window_is_429_with_retry_after(owner_api, chat_session, limit_two):
    url = f"/api/sessions/{chat_session.pk}/chat"
    assert owner_api.post(url, {"message": "one"}).status_code == 200
    assert owner_api.post(url, {"message": "two"}).status_code == 200
    response = owner_api.post(url, {"message": "three"})
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert ChatMessage.objects.count() == 4  # the refused turn stored nothing


def test_limit_is_per_user(owner_api, other_api, owner, other_user, limit_two):
    from sessions_app import services

    mine, theirs = services.session_create(owner=owner), services.session_create(owner=other_user)
    for _ in range(2):
        owner_api.post(f"/api/sessions/{mine.pk}/chat", {"message": "x"})
    assert owner_api.post(f"/api/sessions/{mine.pk}/chat", {"message": "x"}).status_code == 429
    assert other_api.post(f"/api/sessions/{theirs.pk}/chat", {"message": "x"}).status_code == 200


def test_window_resets(limit_two):
    t0 = 1_000_000 * 60.0  # the start of a window
    assert chat_rate_limit_retry_after(user_id=7, now=t0) is None
    assert chat_rate_limit_retry_after(user_id=7, now=t0 + 1) is None
    assert chat_rate_limit_retry_after(user_id=7, now=t0 + 20) == 40
    assert chat_rate_limit_retry_after(user_id=7, now=t0 + 60) is None  # next window


def test_zero_turns_the_limit_off(settings):
    settings.CHATMEMORY_CHAT_RATE_LIMIT = 0
    assert all(chat_rate_limit_retry_after(user_id=1) is None for _ in range(100))


def test_another_users_session_does_not_consume_the_budget(owner_api, other_api, chat_session, limit_two):
    for _ in range(5):
        assert other_api.post(f"/api/sessions/{chat_session.pk}/chat", {"message": "x"}).status_code == 404
