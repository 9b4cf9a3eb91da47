"""PostgreSQL: which way to find a caller's matching messages (``sql.fulltext_postgres(walk=…)``).

Messages carry no owner column, so two access paths compete, and the better one depends on the
word and on the caller (measured at 1,000,000 messages, ``docs/benchmarks-search.md``):

* **index** — the GIN index finds every user's matching messages, then the owner's are kept:
  cost ∝ all matches (a word in 10 % of messages: 100,000 rows, ~90 ms; a rare word: ~1 ms);
* **walk** — the owner's conversations, most recent first, each conversation's messages
  checked against the stored vector until ``candidates`` matches: cost ∝ rows walked (~8 µs each,
  random access), at most the owner's messages.

``choose_walk`` compares the two from the planner's own estimate of the matches (``EXPLAIN``) and
the owner's message count (one index range scan of the owner's conversations). Two cheap queries
(~1 ms each) buy a plan that is never the 1–2 s worst case of the other.

A **phrase** (``"data that"``) is different: the planner estimates it as its words ANDed (here
31,642 messages for 2,260 real ones, 62,694 for 107), and the index must read every one of those
rows from the heap to recheck the word positions (~20–90 µs a row: 1.3–2.9 s for the heavy user of
the benchmark), while how often the phrase occurs among the owner's messages is unknown, so the
walk is bounded by all of them (~2–3.5 µs a row: 210–350 ms for that user's 100,000).
"""
from __future__ import annotations

import json
from typing import Any

from ..db.replicas import read_connection
from .schema import MESSAGE_TABLE, SESSION_TABLE
from .sql import CONFIG
from .types import SearchFilters

ALWAYS_WALK_BELOW = 5_000  # owner messages: walking them all is a few milliseconds
WALK_ROW_COST = 8.0  # a walked row costs about this many GIN-found rows (random index + heap access)
PHRASE_RECHECK_COST = 8.0  # a GIN-found row of a phrase (heap read + position recheck), in walked rows


def owner_messages(owner_id: int, filters: SearchFilters) -> int:
    """The caller's stored messages (sum of ``message_count`` over their conversations in scope)."""
    sql = f"SELECT COALESCE(SUM(message_count), 0) FROM {SESSION_TABLE} WHERE owner_id = %s"
    params: list[Any] = [owner_id]
    if filters.tenant is not None:
        sql += " AND tenant = %s"
        params.append(filters.tenant)
    with read_connection().cursor() as cursor:  # a replica inside a lag-tolerant search
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def estimated_matches(text: str) -> tuple[float, float]:
    """``(matching messages, all messages)`` as the planner estimates them (statistics of ANALYZE)."""
    with read_connection().cursor() as cursor:  # a replica inside a lag-tolerant search
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {MESSAGE_TABLE} "
                       f"WHERE search_vector @@ websearch_to_tsquery('{CONFIG}', %s)", [text])
        raw = cursor.fetchone()[0]
        plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [MESSAGE_TABLE])
        row = cursor.fetchone()
    return float(plan["Plan Rows"]), max(float(row[0]) if row else 0.0, 0.0)


def choose_walk(text: str, *, owner_id: int, filters: SearchFilters, candidates: int, phrase: bool = False) -> bool:
    """Whether walking the owner's conversations is expected to be cheaper than the GIN index.

    ``phrase``: the query holds a quoted phrase of two or more words (see the module docstring)."""
    mine = owner_messages(owner_id, filters)
    if mine <= ALWAYS_WALK_BELOW:
        return True
    matches, total = estimated_matches(text)
    if total <= 0:  # never analysed: no estimate worth trusting; walking is bounded by the owner
        return True
    if phrase:  # index: recheck every row of the words' estimate; walk: at most all of the owner's rows
        return mine < matches * PHRASE_RECHECK_COST
    density = max(matches / total, 1e-9)
    walked = min(float(mine), candidates / density)
    return walked * WALK_ROW_COST < matches
