"""The active-session cache on Redis: the algorithm of ``local.LocalWindowStore`` as Lua scripts.

Per session three keys (prefixed with the alias' ``KEY_PREFIX`` and version, via ``make_key``):

* ``m:<id>`` a hash: ``ready`` (set by a fill), ``last_seq``, ``lo``, ``meta`` (JSON), ``ttl``;
* ``z:<id>`` a sorted set of ``"<seq>:<message_to_dict JSON>"`` scored by seq (the seq in the
  member keeps two identical messages apart; one member per seq: an add first removes any
  member with that score, since the same record may be spelled differently, e.g. by jsonb);
* ``e:<id>`` the eviction epoch (an integer, kept a day);
* after a delete, ``m:<id>`` holds only ``gone`` (kept a day): a late append or fill writes nothing;

and one for the alias, ``gen``: the cache *generation*, raised by ``failover.guard_connection``
whenever this Redis is a master with another replication history than the one the cache was
written under (a promoted replica, a restart). A window is served only if its hash carries the
current ``gen``; an append to a window of an older generation first drops it; the epoch a read
hands to ``fill`` is ``"<epoch>:<gen>"``, so no fill that read the database before a failover
lands after it. Why: a promoted replica may have missed the master's last appends *and*
evictions, and its hash would then serve a tail that is too short or a cleared conversation.

Each operation is one script, so it is atomic in Redis and one round trip; scripts are sent by
SHA and re-loaded automatically after a Redis restart (``redis-py``'s ``Script``).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.cache import caches
from django_redis import get_redis_connection

from .failover import generation_key
from .types import EPOCH_TTL, CachedWindow, SessionMeta, session_ttl, window_cap

# The window part of a read (Lua, after ``e`` = epoch, ``m`` = the meta hash fields and ``limit``):
# → {epoch, meta, last, first, records}: ``records`` is the JSON array of the range's records, built
# here so the client decodes one string; nil (a miss) if a seq of the range is missing.
_WINDOW = """
local last = tonumber(m[2])
local first = last - limit + 1
if tonumber(m[3]) > first then first = tonumber(m[3]) end
if first > last then return {e, m[4], last, first, '[]'} end
local entries = redis.call('ZRANGEBYSCORE', KEYS[2], first, last)
if #entries ~= last - first + 1 then return {e, m[4], last, first, false} end
local parts = {}
for i, member in ipairs(entries) do
  local colon = string.find(member, ':', 1, true)
  if tonumber(string.sub(member, 1, colon - 1)) ~= first + i - 1 then return {e, m[4], last, first, false} end
  parts[i] = string.sub(member, colon + 1)
end
return {e, m[4], last, first, '[' .. table.concat(parts, ',') .. ']'}
"""

_META = """
local g = redis.call('GET', KEYS[4]) or '0'
local e = (redis.call('GET', KEYS[3]) or '0') .. ':' .. g
local m = redis.call('HMGET', KEYS[1], 'ready', 'last_seq', 'lo', 'meta', 'ttl', 'gen')
if not m[1] or m[6] ~= g then return {e} end
"""

# KEYS (every script): meta, zset, epoch, gen. ARGV: limit, touch (0/1). → {epoch} (not cached) or the window (above).
_READ = _META + """
local limit = tonumber(ARGV[1])
if ARGV[2] == '1' then
  redis.call('EXPIRE', KEYS[1], m[5])
  redis.call('EXPIRE', KEYS[2], m[5])
end
""" + _WINDOW

# ARGV: "epoch:gen", ttl, last_seq, lo, meta, cap, seq1, member1, … → 1 if stored
_FILL = """
local g = redis.call('GET', KEYS[4]) or '0'
if (redis.call('GET', KEYS[3]) or '0') .. ':' .. g ~= ARGV[1] then return 0 end
if redis.call('HEXISTS', KEYS[1], 'gone') == 1 then return 0 end
if redis.call('HGET', KEYS[1], 'gen') ~= g then redis.call('DEL', KEYS[1], KEYS[2]) end
local last = tonumber(ARGV[3])
local cur = tonumber(redis.call('HGET', KEYS[1], 'last_seq') or '0')
if cur > last then last = cur end
redis.call('HSET', KEYS[1], 'ready', '1', 'last_seq', last, 'lo', ARGV[4], 'meta', ARGV[5], 'ttl', ARGV[2], 'gen', g)
for i = 7, #ARGV, 2 do
  redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[i], ARGV[i])
  redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', last - tonumber(ARGV[6]))
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""


def _append_body(first_pair: int) -> str:
    """Lua: add the members ``ARGV[first_pair], ARGV[first_pair + 1], …`` (seq, "seq:json"), raise
    ``last_seq`` to ``ARGV[3]`` if higher, trim below ``last_seq - ARGV[2]`` (the cap), refresh TTLs
    (the session's, or ``ARGV[1]`` if not filled yet). A window of an older generation is dropped first;
    nothing is written for a deleted session (its hash holds ``gone``: see ``evict(gone=True)``)."""
    return f"""
local g = redis.call('GET', KEYS[4]) or '0'
local last = tonumber(ARGV[3])
if redis.call('HEXISTS', KEYS[1], 'gone') == 0 then
  if redis.call('HGET', KEYS[1], 'gen') ~= g then redis.call('DEL', KEYS[1], KEYS[2]) end
  local ttl = redis.call('HGET', KEYS[1], 'ttl') or ARGV[1]
  local cur = tonumber(redis.call('HGET', KEYS[1], 'last_seq') or '0')
  if cur > last then last = cur end
  redis.call('HSET', KEYS[1], 'last_seq', last, 'gen', g)
  for i = {first_pair}, #ARGV, 2 do
    redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[i], ARGV[i])
    redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1])
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', last - tonumber(ARGV[2]))
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end
"""


# ARGV: default ttl, cap, last_seq, seq1, member1, … (a writer after its commit)
_APPEND = _append_body(4) + "return last\n"

# ARGV: default ttl, cap, last_seq, limit, seq1, member1, … — the append,
# then the read of the last ``limit`` in the same script: one round trip, one atomic step.
_APPEND_READ = _append_body(5) + _META + "local limit = tonumber(ARGV[4])\n" + _WINDOW

# → remaining seconds of a filled entry of the current generation, or -2
_TTL = """
local m = redis.call('HMGET', KEYS[1], 'ready', 'gen')
if not m[1] or m[2] ~= (redis.call('GET', KEYS[4]) or '0') then return -2 end
return redis.call('TTL', KEYS[1])
"""


def _members(entries: Sequence[tuple[int, str]]) -> list[Any]:
    """``seq, "seq:json", …`` for the scripts (the seq in the member keeps equal messages apart)."""
    out: list[Any] = []
    for seq, raw in entries:
        out += [seq, f"{seq}:{raw}"]
    return out


def _window(reply: list[Any]) -> CachedWindow:
    """A read script's reply as a ``CachedWindow``."""
    epoch = _text(reply[0])
    if len(reply) == 1:
        return CachedWindow(epoch, None, None)
    records = None if reply[4] is None else json.loads(reply[4])
    return CachedWindow(epoch, SessionMeta.from_json(reply[1]), records, int(reply[2]))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisWindowStore:
    """``sessions_app.cache``'s store on django-redis' raw client (shared by all processes)."""

    def __init__(self, alias: str) -> None:
        self.cache = caches[alias]
        self.client = get_redis_connection(alias)
        self._read = self.client.register_script(_READ)
        self._fill = self.client.register_script(_FILL)
        self._append = self.client.register_script(_APPEND)
        self._append_read = self.client.register_script(_APPEND_READ)
        self._ttl = self.client.register_script(_TTL)
        self._key_memo: dict[uuid.UUID, list[str]] = {}  # make_key is pure for a given alias
        self._gen_key = generation_key(self.cache)

    def _keys(self, session_id: uuid.UUID) -> list[str]:
        keys = self._key_memo.get(session_id)
        if keys is None:
            if len(self._key_memo) >= 10_000:  # bounded: the active sessions of a busy process
                self._key_memo.clear()
            keys = [*(self.cache.make_key(f"{kind}:{session_id}") for kind in ("m", "z", "e")), self._gen_key]
            self._key_memo[session_id] = keys
        return keys

    def read(self, session_id: uuid.UUID, limit: int, *, touch: bool = True) -> CachedWindow:
        return _window(self._read(keys=self._keys(session_id), args=[limit, 1 if touch else 0]))

    def fill(self, session_id: uuid.UUID, *, epoch: str, meta: SessionMeta, last_seq: int, lo: int,
             entries: Sequence[tuple[int, str]]) -> bool:
        args: list[Any] = [epoch, session_ttl(meta.cache_ttl), last_seq, lo, meta.as_json(), window_cap(),
                           *_members(entries)]
        return bool(self._fill(keys=self._keys(session_id), args=args))

    def append(self, session_id: uuid.UUID, entries: Sequence[tuple[int, str]]) -> None:
        self._append(keys=self._keys(session_id), args=[session_ttl(None), window_cap(), max(seq for seq, _ in entries),
                                      *_members(entries)])

    def append_and_read(self, session_id: uuid.UUID, entries: Sequence[tuple[int, str]], limit: int) -> CachedWindow:
        args = [session_ttl(None), window_cap(), max(seq for seq, _ in entries), limit, *_members(entries)]
        return _window(self._append_read(keys=self._keys(session_id), args=args))

    def evict(self, session_ids: Sequence[uuid.UUID], *, gone: bool = False) -> None:
        pipe = self.client.pipeline(transaction=True)
        for session_id in session_ids:
            meta_key, zset_key, epoch_key, _ = self._keys(session_id)
            pipe.delete(meta_key, zset_key)
            if gone:  # a hash with only ``gone``: reads miss, late appends and fills write nothing
                pipe.hset(meta_key, "gone", 1)
                pipe.expire(meta_key, EPOCH_TTL)
            pipe.incr(epoch_key)
            pipe.expire(epoch_key, EPOCH_TTL)
        pipe.execute()

    def ttl_remaining(self, session_id: uuid.UUID) -> int | None:
        seconds = int(self._ttl(keys=self._keys(session_id)))
        return None if seconds < 0 else seconds

    def ping(self) -> None:
        self.client.ping()
