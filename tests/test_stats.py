"""``stats_overview()`` and the admin index panel."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from sessions_app.conversations.sessions import session_archive
from sessions_app.governance import state
from sessions_app.governance.stats import stats_overview
from sessions_app.models import ChatSession

from .conftest import on_redis
from .lifecycle_fixtures import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(owner, other_user):
    a = make_session(owner, turns=2, tenant="acme")
    b = make_session(owner, turns=1, tenant="acme")
    session_archive(session=b, actor=None)
    c = make_session(other_user, turns=0, expires_at=timezone.now() + dt.timedelta(days=1))
    state.save_state(a.pk, {"x": 1})
    ChatSession.objects.filter(pk=c.pk).update(created_at=timezone.now() - dt.timedelta(days=9))
    return a, b, c


def test_overview_counts_sessions_tenants_messages_and_the_oldest(population):
    a, b, c = population
    stats = stats_overview()
    assert stats["sessions"] == {"total": 3, "active": 2, "archived": 1, "expiring": 1}
    assert stats["messages"] == 6 and stats["state_versions"] == 1
    assert stats["tenants"] == [
        {"tenant": "acme", "active": 1, "archived": 1, "messages": 6},
        {"tenant": "", "active": 1, "archived": 0, "messages": 0},
    ]
    assert stats["oldest_active_session"]["id"] == str(c.pk)
    assert stats["storage"]["total_bytes"] > 0


@pytest.mark.postgres
def test_storage_on_postgresql_is_per_table(population):
    storage = stats_overview()["storage"]
    assert storage["vendor"] == "postgresql"
    assert {"sessions_app_chatsession", "sessions_app_chatmessage", "sessions_app_auditlogentry"} <= set(
        storage["tables"]
    )
    assert storage["total_bytes"] == sum(storage["tables"].values())


def test_cache_ratio_comes_from_redis_or_says_unavailable(population):
    cache = caches["chatmemory"]
    cache.set("stats-probe", 1)
    cache.get("stats-probe")
    cache.get("stats-missing")
    info = stats_overview()["cache"]
    if on_redis():
        assert info["source"] == "redis-info" and info["hits"] >= 1 and info["misses"] >= 1
        assert 0 < info["hit_ratio"] < 1
    else:
        assert info == {"source": "unavailable", "hits": None, "misses": None, "hit_ratio": None}


def test_admin_index_shows_the_panel_to_staff(client, staff_user, population, django_assert_max_num_queries):
    client.force_login(staff_user)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("admin:index")).content.decode()
    assert 'id="chatmemory-stats"' in page
    assert "2 active, 1 archived, 1 expiring" in page and "acme" in page
