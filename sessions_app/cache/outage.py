"""A cache outage logged once, then counted: not a traceback per cache call.

Every turn makes several cache calls (the window read, the append after the commit, the rate
limit, the live answer); during a Redis outage each of them fails and falls back. Logged one by
one with a traceback that was ~11,000 lines per process in 5 s. Here, per Redis server (the cache
alias's ``LOCATION``, password removed), the process logs:

* the first failure: one WARNING with the operation and the error (no traceback);
* then at most one WARNING per ``CHATMEMORY_CACHE_OUTAGE_LOG_INTERVAL`` seconds (default 60):
  ``Redis unavailable: N cache operations degraded in the last 60 s`` (written by the first failure
  after the interval has passed, so a quiet process logs nothing);
* on the first success after that: one WARNING ``Redis available again after … s`` with the total.

No thread, no timer: the cost on the hot path is one dict lookup and a lock when something failed.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger("sessions_app.cache")


@dataclass
class _Outage:
    started: float
    line_at: float  # when the last line was logged
    since_line: int = 0  # failures since that line
    total: int = 1


_outages: dict[str, _Outage] = {}
_lock = threading.Lock()


def server_of(alias: str) -> str:
    """``host:port/db`` of a cache alias (no credentials), or the alias for non-URL locations."""
    location = settings.CACHES[alias].get("LOCATION", alias)
    if isinstance(location, list | tuple):
        location = location[0] if location else alias
    parts = urlsplit(str(location))
    if not parts.hostname:
        return str(location)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname}{port}{parts.path}"


def interval() -> float:
    return float(settings.CHATMEMORY_CACHE_OUTAGE_LOG_INTERVAL)


def failed(alias: str, operation: str, exc: BaseException) -> None:
    """Count one cache operation of ``alias`` that failed and fell back; log as described above."""
    server, now = server_of(alias), time.monotonic()
    with _lock:
        outage = _outages.get(server)
        if outage is None:
            _outages[server] = _Outage(started=now, line_at=now)
            first = True
        else:
            first = False
            outage.total += 1
            outage.since_line += 1
            elapsed = now - outage.line_at
            if elapsed < interval():
                return
            count, outage.since_line, outage.line_at = outage.since_line, 0, now
    if first:
        logger.warning("Redis unavailable (%s): %s failed (%s: %s); cache operations fall back to the "
                       "database, counted and logged once per %g s until it answers",
                       server, operation, type(exc).__name__, exc, interval())
    else:
        logger.warning("Redis unavailable (%s): %d cache operations degraded in the last %.0f s",
                       server, count, elapsed)


def succeeded(alias: str) -> None:
    """A cache operation of ``alias`` worked: end its outage, if one was logged, with one line."""
    if not _outages:
        return
    server = server_of(alias)
    with _lock:
        outage = _outages.pop(server, None)
    if outage is not None:
        logger.warning("Redis available again (%s) after %.1f s; %d cache operations degraded in all",
                       server, time.monotonic() - outage.started, outage.total)


def reset() -> None:
    """Forget every outage (tests)."""
    with _lock:
        _outages.clear()
