"""``/health``: is each part of chatmemory up? (database, cache, broker), with timings.

Response (``application/json``)::

    {"status": "ok" | "degraded" | "down",
     "checks": {"database": {"ok": bool, "ms": float, "error"?: str},
                "cache":    {"ok": bool, "ms": float, "error"?: str},
                "broker":   {"ok": bool, "ms": float, "mode": "eager" | "broker", "error"?: str}}}

``ms`` is the wall time of the check in milliseconds. The database is the source of truth:
database down → ``"down"`` with HTTP 503. Cache or broker down → ``"degraded"`` with 200 (chat
keeps working from the database; retention jobs wait). No login; nothing secret is shown
(error texts are the exception class and message, never URLs with credentials).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .. import cache


def _timed(check: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    start = time.perf_counter()
    result: dict[str, Any] = {"ok": True}
    try:
        result.update(check() or {})
    except Exception as exc:
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()[:300]}
    result["ms"] = round((time.perf_counter() - start) * 1000, 2)
    return result


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        connection.close()  # do not keep a broken connection for the next request
        raise


def check_cache() -> None:
    cache.ping()


def check_broker() -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager"}
    with current_app.connection_for_write() as conn:  # the project's app (chatmemory/celery.py)
        conn.ensure_connection(max_retries=1, timeout=settings.CHATMEMORY_HEALTH_BROKER_TIMEOUT)
    return {"mode": "broker"}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Check the database, the cache and the broker; 503 only when the database is down."""
    checks = {
        "database": _timed(check_database),
        "cache": _timed(check_cache),
        "broker": _timed(check_broker),
    }
    if not checks["database"]["ok"]:
        status, code = "down", 503
    elif all(c["ok"] for c in checks.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    return JsonResponse({"status": status, "checks": checks}, status=code)
