"""Per-user rate limit on chat turns: a moving window counted by the ``limits`` library.

At most ``CHATMEMORY_CHAT_RATE_LIMIT`` turns are accepted in *any* ``CHATMEMORY_CHAT_RATE_WINDOW``
seconds (0 turns the limit off): ``limits``' ``MovingWindowRateLimiter`` keeps, per user, the
timestamps of the last ``limit`` accepted turns and accepts a new one only once the oldest of them
has left the window. Unlike a fixed window, no burst of 2× the limit fits across a window boundary.

Where the timestamps live follows Django's ``default`` cache:

- a django-redis cache (``REDIS_URL`` set): ``limits``' ``RedisStorage`` on that cache's own
  connection pool (same server, database, socket timeouts), keys under ``<KEY_PREFIX>:ratelimit:``.
  Every process and host shares one count; each turn is one Lua script run (atomic), a refused
  turn one more. The timestamps are the web hosts' clocks (``time.time()``), so keep them in NTP.
- anything else (the embedded default's local-memory cache): ``limits``' ``MemoryStorage``,
  i.e. per process, as the local-memory cache itself is.

A storage failure (Redis down or slow) is counted as a cache outage (``cache.outage``: logged once,
then once per interval) and lets the request through: the limiter protects the model's budget,
it must not take chat down.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from ..cache import outage
from ..exceptions import ChatRateLimited

_limiters: dict[tuple[str, str], MovingWindowRateLimiter] = {}
_limiters_lock = threading.Lock()


def chat_rate_limit_retry_after(*, user_id: Any) -> int | None:
    """Count one chat turn for ``user_id``; return ``None`` if it is allowed, else the whole
    seconds (≥ 1, for ``Retry-After``) until the oldest turn counted in the window leaves it,
    which is when the next turn will be accepted. A refused turn is not counted, so the answer
    holds however often the client asks in between (it cannot get more than the limit through
    by retrying faster, nor lock itself out by retrying)."""
    limit = settings.CHATMEMORY_CHAT_RATE_LIMIT
    if limit <= 0:
        return None
    item = RateLimitItemPerSecond(limit, settings.CHATMEMORY_CHAT_RATE_WINDOW, namespace="chat")
    try:
        limiter = _limiter()
        if limiter.hit(item, str(user_id)):
            return None
        reset_at = limiter.get_window_stats(item, str(user_id)).reset_time
    except StorageError as exc:  # counted and logged once per interval; the request goes through
        outage.failed(DEFAULT_CACHE_ALIAS, "chat rate limit", getattr(exc, "storage_error", exc))
        return None
    outage.succeeded(DEFAULT_CACHE_ALIAS)
    # time.time() is the clock limits stamps entries with. The oldest entry frees its slot once
    # ``reset_at`` is *past* (limits refuses while it is >= now - window), hence floor + 1 rather
    # than ceil; and at least 1, as it may have left the window between the two calls above.
    return max(1, math.floor(reset_at - time.time()) + 1)


def chat_rate_limit_check(*, user_id: Any) -> None:
    """Count one chat turn for ``user_id``; raise ``ChatRateLimited`` (429, ``retry_after`` seconds)
    when it is over the limit (``chat_rate_limit_retry_after``)."""
    retry_after = chat_rate_limit_retry_after(user_id=user_id)
    if retry_after is not None:
        raise ChatRateLimited(retry_after)


def chat_rate_limit_reset() -> None:
    """Forget every counted chat turn (of every user) in the current storage: for tests, and for
    an operator who lowered the limit and wants a clean slate."""
    _limiter().storage.reset()


def _limiter() -> MovingWindowRateLimiter:
    """The process's limiter for the current ``default`` cache (a new one if ``CACHES`` changed,
    as it does in tests that point the cache elsewhere)."""
    config = settings.CACHES["default"]
    key = (str(config["BACKEND"]), str(config.get("LOCATION", "")))
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = MovingWindowRateLimiter(_storage())
    return limiter


def _storage() -> RedisStorage | MemoryStorage:
    cache = caches["default"]
    if settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
        from django_redis import get_redis_connection

        # The cache's own pool: no second pool to configure, the same timeouts. Creating the
        # storage does not connect (its Lua scripts are registered lazily, by SHA).
        pool = get_redis_connection("default").connection_pool
        prefix = f"{cache.key_prefix}:ratelimit" if cache.key_prefix else "chatmemory:ratelimit"
        return RedisStorage("redis://", connection_pool=pool, key_prefix=prefix, wrap_exceptions=True)
    return MemoryStorage(wrap_exceptions=True)
