"""Full-text search of a user's conversations (titles and message text).

``conversations_search(user=…, text=…, filters=…, limit=…, after=…) -> SearchPage`` is the
only entry point; ``schema`` owns the index's database objects (PostgreSQL generated
``tsvector`` columns + GIN; SQLite FTS5 + triggers), kept in sync by the database on every write.
"""
from .query import QUERY_MAX_LENGTH, ParsedQuery, parse_query
from .service import MAX_LIMIT, conversations_search
from .types import SearchCursor, SearchFilters, SearchPage, SearchResult

__all__ = [
    "MAX_LIMIT",
    "QUERY_MAX_LENGTH",
    "ParsedQuery",
    "SearchCursor",
    "SearchFilters",
    "SearchPage",
    "SearchResult",
    "conversations_search",
    "parse_query",
]
