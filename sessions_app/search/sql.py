"""The search statements: ranked full text on PostgreSQL (tsvector) and SQLite (FTS5), and the
portable substring scan. Each returns ``Hit`` rows only; ``service`` loads and decorates them.

Shape of the full-text statement (both backends):

1. ``hits`` — the caller's messages that match, **the most recent ``candidates`` of them**
   (``ORDER BY m.id DESC LIMIT``): a word in half of all messages would otherwise rank hundreds
   of thousands of rows per keystroke (390 ms for "the" on the ShareGPT data, 14 ms capped);
2. ``best`` — each conversation's best message; ``titled`` — conversations whose title matches;
3. ``ranked`` — one row per conversation, ``rank = message rank (0…1) + 1 if the title matches``;
4. the page: ``(rank, session_id) < cursor`` descending, ``LIMIT``.

The owner (and tenant, status, folder, pinned) filters sit on the conversation row joined to
each message, so PostgreSQL can start from the GIN index (rare words, big users) or from the
owner's conversations (``chatsession_owner_recent_idx``; small users, common words).
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from ..models import ChatSession
from .query import ParsedQuery, fts5_match, like_pattern, substring_terms
from .schema import FTS_TABLE, MESSAGE_TABLE, SESSION_TABLE
from .types import Hit, SearchCursor, SearchFilters

# Migration 0009: PostgreSQL's "simple" (lower-case, split on non-letters, no stemming, no stop words:
# language-agnostic) with accents folded by "unaccent".
CONFIG = "chatmemory_simple"
TITLE_BONUS = 1.0


def _pk(value: uuid.UUID) -> Any:
    return ChatSession._meta.pk.get_db_prep_value(value, connection)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def session_where(owner_id: int, filters: SearchFilters, params: dict[str, Any]) -> str:
    """The conversation filters on alias ``s`` (the owner always; then the optional ones)."""
    params["owner"] = owner_id
    parts = ["s.owner_id = %(owner)s"]
    if filters.tenant is not None:
        parts.append("s.tenant = %(tenant)s")
        params["tenant"] = filters.tenant
    if filters.status is not None:
        parts.append("s.status = %(status)s")
        params["status"] = filters.status
    if filters.folder_id is not None:
        parts.append("s.folder_id = %(folder)s")
        params["folder"] = filters.folder_id
    if filters.pinned is not None:
        parts.append("s.pinned_at IS NOT NULL" if filters.pinned else "s.pinned_at IS NULL")
    return " AND ".join(parts)


def date_where(alias: str, filters: SearchFilters, params: dict[str, Any]) -> str:
    parts = []
    adapt = connection.ops.adapt_datetimefield_value
    if filters.since is not None:
        parts.append(f"{alias}.created_at >= %(since)s")
        params["since"] = adapt(filters.since)
    if filters.until is not None:
        parts.append(f"{alias}.created_at < %(until)s")
        params["until"] = adapt(filters.until)
    return "".join(f" AND {p}" for p in parts)


def _ranked_tail(params: dict[str, Any], after: SearchCursor | None, limit: int, rank_type: str) -> str:
    params.update(limit=limit, bonus=TITLE_BONUS)
    cursor = ""
    if after is not None:
        params.update(after_rank=after.rank, after_id=_pk(after.session_id))
        cursor = (f"WHERE rank < CAST(%(after_rank)s AS {rank_type}) OR "
                  f"(rank = CAST(%(after_rank)s AS {rank_type}) AND session_id < %(after_id)s)")
    return f"""
ranked AS (
  SELECT session_id, MAX(id) AS message_id, CAST(SUM(rank) AS {rank_type}) AS rank
  FROM (SELECT session_id, id, rank FROM best
        UNION ALL SELECT session_id, NULL, %(bonus)s FROM titled) AS u
  GROUP BY session_id
)
SELECT session_id, message_id, rank FROM ranked {cursor}
ORDER BY rank DESC, session_id DESC LIMIT %(limit)s"""


def fulltext_postgres(query: ParsedQuery, *, owner_id: int, filters: SearchFilters, after: SearchCursor | None,
                      limit: int, candidates: int, walk: bool = False) -> list[Hit]:
    """``walk=False``: the candidates are the newest matching messages (``ORDER BY id DESC``), found
    through the GIN index — for words that are rare among everyone's messages. ``walk=True``: the
    owner's conversations are walked most recently active first and each one's messages checked
    (``coalesce(…) @@`` keeps the GIN index out of that loop), stopping at ``candidates`` — for
    owners with few messages or words common enough to be found quickly (``plan.choose_walk``)."""
    params: dict[str, Any] = {"q": query.raw, "candidates": candidates}
    where = session_where(owner_id, filters, params)
    tsquery = f"websearch_to_tsquery('{CONFIG}', %(q)s)"  # inline, not a CTE: planned with its value
    if walk:
        hits = f"""
  SELECT h.session_id, h.seq, h.id, h.search_vector FROM {SESSION_TABLE} s CROSS JOIN LATERAL (
    SELECT m.session_id, m.seq, m.id, m.search_vector FROM {MESSAGE_TABLE} m
    WHERE m.session_id = s.id AND coalesce(m.search_vector, '') @@ {tsquery}{date_where("m", filters, params)}
    OFFSET 0) AS h
  WHERE {where} ORDER BY s.last_active_at DESC LIMIT %(candidates)s"""
    else:
        hits = f"""
  SELECT m.session_id, m.seq, m.id, m.search_vector
  FROM {MESSAGE_TABLE} m JOIN {SESSION_TABLE} s ON s.id = m.session_id
  WHERE {where} AND m.search_vector @@ {tsquery}{date_where("m", filters, params)}
  ORDER BY m.id DESC LIMIT %(candidates)s"""
    sql = f"""
WITH hits AS ({hits}
),
best AS (
  SELECT DISTINCT ON (session_id) session_id, id, rank FROM (
    SELECT session_id, seq, id, ts_rank_cd(search_vector, {tsquery}, 32) AS rank FROM hits) AS scored
  ORDER BY session_id, rank DESC, seq DESC
),
titled AS (
  SELECT s.id AS session_id FROM {SESSION_TABLE} s
  WHERE {where} AND s.search_vector @@ {tsquery}{date_where("s", filters, params)}
),{_ranked_tail(params, after, limit, "real")}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(_uuid(sid), mid, float(rank)) for sid, mid, rank in cursor.fetchall()]


def _title_like(alias: str, query: ParsedQuery, params: dict[str, Any], op: str) -> str:
    """Every positive term in the title, no negated one (substring, case-insensitive)."""
    parts = []
    for i, term in enumerate(query.terms):
        params[f"t{i}"] = like_pattern(term.text)
        parts.append(f"{alias}.title {'NOT ' if term.negated else ''}{op} %(t{i})s ESCAPE '\\'")
    return " AND ".join(parts) or "1 = 0"


def fulltext_sqlite(query: ParsedQuery, *, owner_id: int, filters: SearchFilters, after: SearchCursor | None,
                    limit: int, candidates: int) -> list[Hit]:
    match = fts5_match(query)
    if match is None:
        return []
    params: dict[str, Any] = {"match": match, "candidates": candidates}
    where = session_where(owner_id, filters, params)
    # bm25() is negative, lower = better; -bm25 / (1 - bm25) maps it to 0…1 like PostgreSQL's rank.
    sql = f"""
WITH hits AS (
  SELECT m.session_id, m.seq, m.id, (-bm25({FTS_TABLE})) / (1.0 - bm25({FTS_TABLE})) AS rank
  FROM {FTS_TABLE} JOIN {MESSAGE_TABLE} m ON m.id = {FTS_TABLE}.rowid JOIN {SESSION_TABLE} s ON s.id = m.session_id
  WHERE {FTS_TABLE} MATCH %(match)s AND {where}{date_where("m", filters, params)}
  ORDER BY m.id DESC LIMIT %(candidates)s
),
best AS (
  SELECT session_id, id, rank FROM (
    SELECT session_id, id, rank, ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY rank DESC, seq DESC) AS n
    FROM hits) AS numbered WHERE n = 1
),
titled AS (
  SELECT s.id AS session_id FROM {SESSION_TABLE} s
  WHERE {where} AND {_title_like("s", query, params, "LIKE")}{date_where("s", filters, params)}
),{_ranked_tail(params, after, limit, "REAL")}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(_uuid(sid), mid, float(rank)) for sid, mid, rank in cursor.fetchall()]


def substring_scan(query: ParsedQuery, *, owner_id: int, filters: SearchFilters, after: SearchCursor | None,
                   limit: int) -> list[Hit]:
    """Conversations with a message (or a title) containing every term, most recently active first.

    The plain scan: the owner's conversations in ``(last_active_at, id)`` order (an index range
    scan), and per conversation its latest message containing all terms (``ILIKE`` on
    PostgreSQL, ``LIKE`` — ASCII case-insensitive — on SQLite; no index). Finds what full text
    cannot: parts of words, CJK text without spaces, code fragments. Cost grows with the
    owner's messages, so the caller bounds it in time.
    """
    terms = substring_terms(query)
    if not terms:
        return []
    op = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    params: dict[str, Any] = {"limit": limit}
    where = session_where(owner_id, filters, params)
    message_like = []
    for i, term in enumerate(terms):
        params[f"m{i}"] = like_pattern(term)
        message_like.append(f"m.content_text {op} %(m{i})s ESCAPE '\\'")
    title_like = _title_like("s", query, params, op)
    cursor_sql = ""
    if after is not None and after.last_active_at is not None:
        params.update(after_at=connection.ops.adapt_datetimefield_value(after.last_active_at),
                      after_id=_pk(after.session_id))
        cursor_sql = (" AND (s.last_active_at < %(after_at)s OR "
                      "(s.last_active_at = %(after_at)s AND s.id < %(after_id)s))")
    sql = f"""
SELECT session_id, message_id, last_active_at FROM (
  SELECT s.id AS session_id, s.last_active_at,
    (SELECT m.id FROM {MESSAGE_TABLE} m WHERE m.session_id = s.id AND {" AND ".join(message_like)}
       {date_where("m", filters, params)} ORDER BY m.seq DESC LIMIT 1) AS message_id,
    CASE WHEN {title_like}{date_where("s", filters, params)} THEN 1 ELSE 0 END AS title_hit
  FROM {SESSION_TABLE} s WHERE {where}{cursor_sql}
) AS scanned
WHERE message_id IS NOT NULL OR title_hit = 1
ORDER BY last_active_at DESC, session_id DESC LIMIT %(limit)s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [Hit(_uuid(sid), mid, 0.0, _aware(at)) for sid, mid, at in rows]


def _aware(value: Any) -> datetime | None:
    """A raw-SQL timestamp as an aware datetime (SQLite gives naive UTC, or text without converters)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
