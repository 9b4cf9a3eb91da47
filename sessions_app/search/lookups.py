"""Full-text conditions for other querysets (the admin's search boxes): ``pk__in=matching_…(text)``.

Web-search syntax as in ``conversations_search``, but no owner scope: these are for staff, who
see every conversation anyway. ``None`` when the text has nothing to look for.
"""
from __future__ import annotations

from django.db import connection
from django.db.models.expressions import RawSQL

from .query import fts5_match, parse_query
from .schema import FTS_TABLE, MESSAGE_TABLE
from .sql import CONFIG


def matching_message_ids(text: str) -> RawSQL | None:
    """``SELECT id`` of the messages whose text matches ``text`` (GIN / FTS5 index)."""
    query = parse_query(text)
    if query.is_empty:
        return None
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT id FROM {MESSAGE_TABLE} WHERE search_vector @@ websearch_to_tsquery('{CONFIG}', %s)",
                      [query.raw])
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [fts5_match(query)])


def matching_session_ids(text: str) -> RawSQL | None:
    """``SELECT session_id`` of the conversations with a message matching ``text``."""
    query = parse_query(text)
    if query.is_empty:
        return None
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT session_id FROM {MESSAGE_TABLE} "
                      f"WHERE search_vector @@ websearch_to_tsquery('{CONFIG}', %s)", [query.raw])
    return RawSQL(f"SELECT m.session_id FROM {FTS_TABLE} JOIN {MESSAGE_TABLE} m ON m.id = {FTS_TABLE}.rowid "
                  f"WHERE {FTS_TABLE} MATCH %s", [fts5_match(query)])
