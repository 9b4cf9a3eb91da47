"""The cache after a Redis failover: a new master may have missed the old master's last writes.

Redis replicates asynchronously. When Sentinel promotes a replica (or a master restarts, or an
operator repoints ``REDIS_URL``), the new master can lack the last appends *and* the last
evictions the old one acknowledged. For the window cache that would mean a tail that is too short
(a message the model never sees) or a cleared conversation served again — a stale read. Nothing
in a window shows it: its ``last_seq`` is stale along with its entries.

So every connection the app opens to Redis checks, before its first command, that the server is
the master the cache was written under (``guard_connection``, run by the connection classes below
from redis-py's ``on_connect``): it compares the server's ``master_replid`` (``INFO replication``;
a promoted replica gets a new one, a restarted master too) with the one stored in the cache
(``replid``). When they differ, one script raises the cache *generation* (``gen``) and stores the
new replid, atomically, so whichever process connects first does it once. Windows carry the
generation they were written under and a window of an older one is a miss (``cache.redis``): every
session reads the database once and refills. After a failover a process can only reach the new
master through a new connection, so nothing is served from it before the check ran.

Cost: one ``INFO`` and one script per new connection (pools keep connections), nothing per command.
Configured by ``chatmemory.settings_scale`` as ``CONNECTION_POOL_KWARGS["connection_class"]`` of
the django-redis caches (plain and Sentinel pools alike).
"""
from __future__ import annotations

import logging
from typing import Any

from redis.connection import Connection
from redis.sentinel import SentinelManagedConnection

logger = logging.getLogger("sessions_app.cache")

# KEYS: gen, replid. ARGV: the server's master_replid → 1 if the generation was raised.
_GUARD = """
if redis.call('GET', KEYS[2]) == ARGV[1] then return 0 end
redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1])
return 1
"""


def generation_key(cache: Any) -> str:
    """The key of the cache generation for a django-redis cache (``<prefix>:<version>:gen``)."""
    return str(cache.make_key("gen"))


def _replication(conn: Connection) -> dict[str, str]:
    conn.send_command("INFO", "replication", check_health=False)
    raw = conn.read_response()
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def guard_connection(conn: Connection) -> bool:
    """Raise the cache generation if ``conn``'s server is a master with an unknown replication id.

    Returns True if it raised it. On a replica (never used for the cache) it does nothing.
    """
    from django.conf import settings
    from django.core.cache import caches

    info = _replication(conn)
    if info.get("role", "").strip() != "master":
        return False
    replid = info.get("master_replid", "").strip()
    cache = caches[settings.CHATMEMORY_CACHE_ALIAS]
    conn.send_command("EVAL", _GUARD, 2, generation_key(cache), cache.make_key("replid"), replid,
                      check_health=False)
    raised = bool(conn.read_response())
    if raised:
        logger.warning("chatmemory cache: Redis %s:%s is a master with a new replication id (%s); cache "
                       "generation raised, windows written before are read from the database again",
                       conn.host, conn.port, replid)
    return raised


class GuardedConnection(Connection):
    """redis-py's TCP connection, checked by ``guard_connection`` when it connects."""

    def on_connect_check_health(self, check_health: bool = True) -> None:
        super().on_connect_check_health(check_health=check_health)
        guard_connection(self)


class GuardedSentinelConnection(SentinelManagedConnection):
    """The Sentinel-managed connection (master found through Sentinel), checked the same way."""

    def on_connect_check_health(self, check_health: bool = True) -> None:
        super().on_connect_check_health(check_health=check_health)
        guard_connection(self)
