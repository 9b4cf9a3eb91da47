"""Recall: the older messages of a conversation most relevant to the new message.

Full-text search *within the conversation*, over messages older than the recent window
(``seq < before_seq``), ranked, then added best first while they fit a token budget and shown
in conversation order. The query is the new message's content words (``store.fts.query_terms``:
function words dropped, each word also matched as a prefix of longer ones — "live" finds
"lives", "dogs" finds "dog"), OR-ed.

The index is the conversation search index of ``sessions_app.search`` (issue 13) when it is
installed — PostgreSQL's ``search_vector`` column (GIN) on messages, SQLite's FTS5 table
``sessions_app_chatmessage_fts`` — detected once per database. Without it recall still works:
on PostgreSQL ``to_tsvector('simple', content_text)`` is computed per candidate row (the
session's older messages: O(conversation) per turn), on SQLite the words are matched in Python
over the session's older messages. Only the index makes long conversations cheap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from langchain_core.messages.utils import count_tokens_approximately

from ..db import pg_fetchall
from ..models import ChatMessage
from ..store import fts

MSG = ChatMessage._meta.db_table
_FTS_TABLE = f"{MSG}_fts"
_index_by_db: dict[str, bool] = {}
MAX_CHARS = 2000  # a recalled message longer than this is cut (with "…")


@dataclass(frozen=True)
class Recalled:
    """One recalled message: its ``seq``, LangChain ``type`` (``human``/``ai``/…) and text."""

    seq: int
    type: str
    text: str
    rank: float

    @property
    def tokens(self) -> int:
        return count_tokens_approximately([self.text]) + 4


def has_search_index() -> bool:
    """Whether the conversation search index (``sessions_app.search``) exists in this database."""
    name = str(connection.settings_dict["NAME"])
    if name not in _index_by_db:
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(
                    "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = 'search_vector'",
                    [MSG],
                )
            else:
                cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [_FTS_TABLE])
            _index_by_db[name] = cur.fetchone() is not None
    return _index_by_db[name]


def recall(*, session_id: Any, text: str, max_tokens: int, before_seq: int | None = None,
           keep_last: int | None = None, limit: int = 20) -> list[Recalled]:
    """Messages of the session older than ``before_seq`` — or than its last ``keep_last`` messages
    (found in the same query) — matching ``text``, best first, that fit ``max_tokens`` together;
    returned in conversation order (ascending ``seq``)."""
    terms = fts.query_terms(text)
    if not terms or (before_seq is not None and before_seq <= 1):
        return []
    found = _search(session_id, terms, before_seq, keep_last or 0, limit)
    chosen: list[Recalled] = []
    used = 0
    for r in found:
        if used + r.tokens > max_tokens:
            continue
        chosen.append(r)
        used += r.tokens
    return sorted(chosen, key=lambda r: r.seq)


# The cutoff: ``before_seq`` if given (> 0), else the seq of the ``keep_last``-th newest message
# (0 when the session has fewer: everything is in the window), else (keep_last 0) no cutoff.
_CUTOFF = (
    f"CASE WHEN %s > 0 THEN %s WHEN %s > 0 THEN COALESCE((SELECT w.seq FROM {MSG} w WHERE w.session_id = %s "
    "ORDER BY w.seq DESC LIMIT 1 OFFSET %s), 0) ELSE 9223372036854775807 END"
)


def _search(session_id: Any, terms: list[str], before_seq: int | None, keep_last: int, limit: int
            ) -> list[Recalled]:
    sid = session_id if connection.vendor == "postgresql" else str(session_id).replace("-", "")
    cutoff = [before_seq or 0, before_seq or 0, keep_last, sid, max(0, keep_last - 1)]
    if connection.vendor == "postgresql":
        indexed = has_search_index()
        vector = "m.search_vector" if indexed else "to_tsvector('simple', m.content_text)"
        config = "chatmemory_simple" if indexed else "simple"  # the index's own configuration (accents folded)
        sql = (
            f"SELECT m.seq, m.type, left(m.content_text, {MAX_CHARS + 1}), ts_rank_cd({vector}, q) AS rank "
            f"FROM {MSG} m, to_tsquery('{config}', %s) q WHERE m.session_id = %s AND m.seq < ({_CUTOFF}) "
            f"AND {vector} @@ q ORDER BY rank DESC, m.seq DESC LIMIT %s"
        )
        rows = pg_fetchall(sql, [fts.pg_tsquery(terms, prefix=True), session_id, *cutoff, limit], prepare=True)
    elif has_search_index():
        sql = (
            f"SELECT m.seq, m.type, substr(m.content_text, 1, {MAX_CHARS + 1}), -bm25({_FTS_TABLE}) AS rank "
            f"FROM {_FTS_TABLE} JOIN {MSG} m ON m.id = {_FTS_TABLE}.rowid WHERE {_FTS_TABLE} MATCH %s "
            f"AND m.session_id = %s AND m.seq < ({_CUTOFF}) ORDER BY rank DESC, m.seq DESC LIMIT %s"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [fts.fts5_query(terms, prefix=True), sid, *cutoff, limit])
            rows = cur.fetchall()
    else:
        return _search_python(session_id, terms, before_seq, keep_last, limit)
    return [Recalled(seq=int(s), type=t, text=_cut(x), rank=float(r)) for s, t, x, r in rows]


def _search_python(session_id: Any, terms: list[str], before_seq: int | None, keep_last: int, limit: int
                   ) -> list[Recalled]:
    """SQLite without the search index: count term (prefix) hits per message, in Python."""
    if not before_seq:
        newest = list(ChatMessage.objects.filter(session_id=session_id).order_by("-seq")
                      .values_list("seq", flat=True)[max(0, keep_last - 1): keep_last]) if keep_last else [1 << 62]
        before_seq = newest[0] if newest else 0
    patterns = [re.compile(r"\b" + re.escape(fts.stem(t)), re.IGNORECASE) for t in terms]
    scored = []
    rows = ChatMessage.objects.filter(session_id=session_id, seq__lt=before_seq).values_list("seq", "type",
                                                                                             "content_text")
    for seq, type_, text in rows.iterator(chunk_size=2000):
        hits = sum(1 for p in patterns if p.search(text))
        if hits:
            scored.append(Recalled(seq=seq, type=type_, text=_cut(text), rank=hits / (1 + len(text) / 500)))
    scored.sort(key=lambda r: (-r.rank, -r.seq))
    return scored[:limit]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
