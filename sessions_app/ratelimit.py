"""Per-user rate limit on chat turns: a fixed window counted in Django's ``default`` cache.

With ``REDIS_URL`` the counter lives in Redis (``cache.add`` + ``cache.incr`` are atomic there,
so every process and host shares one count); on the embedded default it is the process's
local-memory cache, i.e. per process. Settings: ``CHATMEMORY_CHAT_RATE_LIMIT`` turns per
``CHATMEMORY_CHAT_RATE_WINDOW`` seconds (0 turns the limit off). A cache outage is logged and
lets the request through: the limiter protects the model's budget, it must not take chat down.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger("sessions_app.ratelimit")


def chat_rate_limit_retry_after(*, user_id: Any, now: float | None = None) -> int | None:
    """Count one chat turn for ``user_id``; return ``None`` if allowed, else the seconds until the
    window resets (for ``Retry-After``). A refused turn still counts (a client hammering the API
    does not get through by retrying faster)."""
    limit = settings.CHATMEMORY_CHAT_RATE_LIMIT
    if limit <= 0:
        return None
    window = settings.CHATMEMORY_CHAT_RATE_WINDOW
    now = time.time() if now is None else now
    slot = int(now // window)
    key = f"ratelimit:chat:{user_id}:{slot}"
    cache = caches["default"]
    try:
        cache.add(key, 0, timeout=window + 5)
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: this is the first hit of a window
        count = 1
    except Exception:  # noqa: BLE001 - any cache backend failure
        logger.warning("rate limit cache unavailable; letting the request through", exc_info=True)
        return None
    if count <= limit:
        return None
    return max(1, int((slot + 1) * window - now + 0.999))
