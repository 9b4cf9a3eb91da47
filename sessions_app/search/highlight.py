"""Match markers from the database's own highlighter: ``ts_headline`` (PostgreSQL), ``snippet()`` (FTS5).

Both mark the matches with ``snippets.START``/``STOP``; ``snippets.to_html`` makes HTML of them.
Run for the page's messages only (at most ``MAX_LIMIT`` rows): highlighting re-reads the text.
"""
from __future__ import annotations

from django.db import connection

from ..db.replicas import read_connection
from .query import ParsedQuery, fts5_match
from .schema import FTS_TABLE, MESSAGE_TABLE
from .snippets import LT, START, STOP
from .sql import CONFIG

HEADLINE_OPTIONS = (f'StartSel={START}, StopSel={STOP}, MaxWords=32, MinWords=12, ShortWord=2, '
                    f'MaxFragments=2, FragmentDelimiter=" … "')
SNIPPET_TOKENS = 24


def highlight(query: ParsedQuery, message_ids: list[int]) -> dict[int, str]:
    """``{message id: text with the matches between START and STOP}`` for the given messages."""
    if not message_ids:
        return {}
    with read_connection().cursor() as cursor:  # a replica inside a lag-tolerant search
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT m.id, ts_headline('{CONFIG}', replace(translate(left(m.content_text, 100000), %s, ''), "
                f"'<', %s), websearch_to_tsquery('{CONFIG}', %s), %s) FROM {MESSAGE_TABLE} m WHERE m.id = ANY(%s)",
                [START + STOP + LT, LT, query.raw, HEADLINE_OPTIONS, list(message_ids)],
            )
        else:
            match = fts5_match(query)
            if match is None:
                return {}
            marks = ", ".join(["%s"] * len(message_ids))
            cursor.execute(
                f"SELECT rowid, snippet({FTS_TABLE}, 0, %s, %s, '…', {SNIPPET_TOKENS}) FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({marks})",
                [START, STOP, match, *message_ids],
            )
        return {int(mid): text for mid, text in cursor.fetchall()}
