"""``/metrics``: Prometheus text for the bearer of ``CHATMEMORY_METRICS_TOKEN``, counting what happened."""
from __future__ import annotations

import re

import pytest
from django.test import AsyncClient

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def metrics_on(settings):
    settings.CHATMEMORY_METRICS_TOKEN = TOKEN


def scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels…}`` (labels in any order), 0 if absent."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            return float(match.group(2))
    return 0.0


def test_metrics_are_off_without_a_token(client, settings):
    settings.CHATMEMORY_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", TOKEN])
def test_metrics_need_the_bearer_token(client, metrics_on, header):
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_a_turn_is_counted_with_its_latency_and_the_request(client, metrics_on, owner_api, chat_session):
    before = scrape(client)
    response = owner_api.post(f"/api/sessions/{chat_session.pk}/chat", {"message": "count me"})
    assert response.status_code == 200
    after = scrape(client)
    assert value(after, "chatmemory_turns_total", mode="json", outcome="stored") == \
        value(before, "chatmemory_turns_total", mode="json", outcome="stored") + 1
    assert value(after, "chatmemory_turn_duration_seconds_count", mode="json") == \
        value(before, "chatmemory_turn_duration_seconds_count", mode="json") + 1
    assert value(after, "chatmemory_http_requests_total", method="POST", route="api:chat", status="200") >= 1
    for name in ("chatmemory_active_streams", "chatmemory_cache_events_total", "chatmemory_model_errors_total",
                 "chatmemory_checkpoint_op_duration_seconds", "chatmemory_retention_actions_total"):
        assert f"# HELP {name}" in after or f"# HELP {name.removesuffix('_total')}" in after


@pytest.mark.django_db(transaction=True)
def test_an_async_streamed_turn_counts_ttft_and_leaves_no_active_stream(client, metrics_on, owner_token, chat_session):
    async def stream() -> bytes:
        response = await AsyncClient().post(
            f"/api/sessions/{chat_session.pk}/chat", {"message": "stream me"}, content_type="application/json",
            headers={"Authorization": f"Bearer {owner_token}", "Accept": "text/event-stream"})
        return b"".join([chunk async for chunk in response.streaming_content])

    from asgiref.sync import async_to_sync

    before = scrape(client)
    body = async_to_sync(stream)()
    assert b"event: done" in body
    after = scrape(client)
    assert value(after, "chatmemory_turn_ttft_seconds_count", mode="stream") == \
        value(before, "chatmemory_turn_ttft_seconds_count", mode="stream") + 1
    assert value(after, "chatmemory_turns_total", mode="stream", outcome="stored") == \
        value(before, "chatmemory_turns_total", mode="stream", outcome="stored") + 1
    assert value(after, "chatmemory_active_streams") == 0


def test_retention_actions_and_cache_reads_are_counted(client, metrics_on, owner, chat_session):
    from datetime import timedelta

    from django.utils import timezone

    from sessions_app.conversations.history import DjangoChatMessageHistory
    from sessions_app.governance.retention import retention_apply
    from sessions_app.models import ChatSession

    before = scrape(client)
    DjangoChatMessageHistory(chat_session.pk, user=owner).get_recent_messages(10)
    ChatSession.objects.filter(pk=chat_session.pk).update(last_active_at=timezone.now() - timedelta(days=400))
    retention_apply(actor=None)
    after = scrape(client)
    assert value(after, "chatmemory_retention_actions_total", action="archive_inactive") == \
        value(before, "chatmemory_retention_actions_total", action="archive_inactive") + 1
    reads = sum(value(after, "chatmemory_cache_events_total", event=e) - value(before, "chatmemory_cache_events_total",
                                                                                  event=e) for e in ("hit", "miss"))
    assert reads >= 1
