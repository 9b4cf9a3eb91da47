"""Operator statistics: ``stats_overview()`` (a selector) for the admin index and ``/api/stats``.

Every figure is cheap on 100,000 sessions / 1,000,000 messages: counts come from grouped
aggregates over sessions (``message_count`` is maintained by ``messages_append``, so messages
are summed, not ``COUNT(*)``-ed), storage from the catalog, the oldest active session from the
``(created_at)`` index.
"""
from __future__ import annotations

import logging
from typing import TypedDict

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..models import ChatSession, SessionState

logger = logging.getLogger(__name__)
TOP_TENANTS = 20


class TenantRow(TypedDict):
    tenant: str  # "" = no tenant
    active: int
    archived: int
    messages: int


class StorageInfo(TypedDict):
    vendor: str  # "postgresql" | "sqlite"
    total_bytes: int
    tables: dict[str, int]  # table name → bytes (PostgreSQL: pg_total_relation_size, with indexes and TOAST)


class CacheInfo(TypedDict):
    source: str  # "redis-info" (server-wide counters) | "unavailable"
    hits: int | None
    misses: int | None
    hit_ratio: float | None  # hits / (hits + misses), 0..1


class OldestSession(TypedDict):
    id: str
    created_at: str
    last_active_at: str


class StatsOverview(TypedDict):
    generated_at: str
    sessions: dict[str, int]  # total, active, archived, expiring (with expires_at set)
    tenants: list[TenantRow]  # the TOP_TENANTS biggest by sessions
    messages: int
    state_versions: int
    storage: StorageInfo
    cache: CacheInfo
    oldest_active_session: OldestSession | None


def _our_tables() -> list[str]:
    return sorted({m._meta.db_table for m in apps.get_app_config("sessions_app").get_models()})


def storage_used() -> StorageInfo:
    """Bytes used by chatmemory's tables (PostgreSQL) or by the database file (SQLite)."""
    tables = _our_tables()
    sizes: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname = ANY(%s)",
                [tables],
            )
            sizes = {name: int(size) for name, size in cursor.fetchall()}
            return StorageInfo(vendor="postgresql", total_bytes=sum(sizes.values()), tables=sizes)
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        page_size = cursor.fetchone()[0]
        try:  # per-table sizes need SQLite's optional dbstat table
            cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
            sizes = {name: int(size) for name, size in cursor.fetchall() if name in tables}
        except Exception:  # noqa: BLE001 - dbstat not compiled in: the file total is still right
            sizes = {}
        return StorageInfo(vendor=connection.vendor, total_bytes=int(pages) * int(page_size), tables=sizes)


def cache_hit_ratio() -> CacheInfo:
    """Hits and misses of the cache layer: Redis' ``INFO stats`` when on Redis, else unavailable.

    Redis counts per server (all databases, since its last restart or ``CONFIG RESETSTAT``), so
    on a shared Redis the ratio includes other users of that server. A Redis error is logged and
    reported as unavailable, never raised.
    """
    if settings.REDIS_URL:
        try:
            from django_redis import get_redis_connection

            info = get_redis_connection(settings.CHATMEMORY_CACHE_ALIAS).info("stats")
            hits, misses = int(info.get("keyspace_hits", 0)), int(info.get("keyspace_misses", 0))
            ratio = hits / (hits + misses) if hits + misses else None
            return CacheInfo(source="redis-info", hits=hits, misses=misses, hit_ratio=ratio)
        except Exception:  # noqa: BLE001 - the stats page must not fail with the cache
            logger.warning("cache statistics unavailable", exc_info=True)
    return CacheInfo(source="unavailable", hits=None, misses=None, hit_ratio=None)


def stats_overview() -> StatsOverview:
    """Sessions by status and tenant, messages, state versions, storage, cache hit ratio, oldest active session.

    Staff-only data (callers check): the admin index shows it and ``/api/stats`` returns it as JSON.
    Times are ISO 8601 UTC strings; sizes are bytes.
    """
    totals = ChatSession.objects.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(status=ChatSession.Status.ACTIVE)),
        archived=Count("pk", filter=Q(status=ChatSession.Status.ARCHIVED)),
        expiring=Count("pk", filter=Q(expires_at__isnull=False)),
        messages=Sum("message_count"),
    )
    tenants = (
        ChatSession.objects.values("tenant")
        .annotate(
            sessions=Count("pk"),
            active=Count("pk", filter=Q(status=ChatSession.Status.ACTIVE)),
            archived=Count("pk", filter=Q(status=ChatSession.Status.ARCHIVED)),
            total_messages=Sum("message_count"),  # not "messages": that is ChatSession's reverse relation
        )
        .order_by("-sessions", "tenant")[:TOP_TENANTS]
    )
    oldest = (
        ChatSession.objects.active().order_by("created_at").values("id", "created_at", "last_active_at").first()
    )
    return StatsOverview(
        generated_at=timezone.now().isoformat(),
        sessions={k: int(totals[k] or 0) for k in ("total", "active", "archived", "expiring")},
        tenants=[
            TenantRow(
                tenant=t["tenant"], active=t["active"], archived=t["archived"], messages=int(t["total_messages"] or 0)
            )
            for t in tenants
        ],
        messages=int(totals["messages"] or 0),
        state_versions=SessionState.objects.count(),
        storage=storage_used(),
        cache=cache_hit_ratio(),
        oldest_active_session=None if oldest is None else OldestSession(
            id=str(oldest["id"]), created_at=oldest["created_at"].isoformat(),
            last_active_at=oldest["last_active_at"].isoformat(),
        ),
    )
