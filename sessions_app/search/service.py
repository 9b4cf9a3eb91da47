"""``conversations_search``: the one entry point (API, page and benchmark call it)."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction

from ..exceptions import InvalidInput
from ..models import ChatMessage, ChatSession
from . import snippets, sql
from .query import ParsedQuery, parse_query, substring_terms
from .types import Hit, SearchCursor, SearchFilters, SearchPage, SearchResult

MAX_LIMIT = 50


def conversations_search(*, user: Any, text: str, filters: SearchFilters | None = None, limit: int = 20,
                         after: SearchCursor | None = None) -> SearchPage:
    """Search ``user``'s conversations (titles and message text); one page of results, best first.

    Only conversations **owned by ``user``** are ever looked at (``filters.tenant`` narrows them
    further for a tenant-bound token); anonymous users get an empty page. ``text`` is web-search
    syntax (``search.query``). Full text first: PostgreSQL ``tsvector`` / SQLite FTS5, ranked
    (``SearchResult.rank``), one result per conversation with its best message's snippet. When
    full text finds nothing on the first page, the **substring fallback** (``mode="substring"``)
    finds parts of words and CJK text, most recent first, bounded by
    ``CHATMEMORY_SEARCH_FALLBACK_MS`` (an overrun returns what full text found: nothing).
    ``after`` is the previous page's ``next``. Raises ``InvalidInput`` (400) for a bad query or
    ``limit`` outside 1…50.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    filters = filters or SearchFilters()
    query = parse_query(text)
    if query.is_empty or user is None or not getattr(user, "is_authenticated", False):
        return SearchPage()
    owner_id = user.pk
    if after is None or after.mode == "fulltext":
        fulltext = sql.fulltext_postgres if connection.vendor == "postgresql" else sql.fulltext_sqlite
        hits = fulltext(query, owner_id=owner_id, filters=filters, after=after, limit=limit + 1,
                        candidates=settings.CHATMEMORY_SEARCH_CANDIDATES)
        if hits or after is not None:
            return _page(query, hits, limit, "fulltext")
    hits = _bounded(lambda: sql.substring_scan(query, owner_id=owner_id, filters=filters, after=after,
                                               limit=limit + 1))
    return _page(query, hits, limit, "substring")


def _page(query: ParsedQuery, hits: list[Hit], limit: int, mode: Any) -> SearchPage:
    more = len(hits) > limit
    hits = hits[:limit]
    if not hits:
        return SearchPage(mode=mode)
    results = _results(query, hits, mode)
    last = hits[-1]
    following = None
    if more:
        following = SearchCursor(mode=mode, session_id=last.session_id, rank=last.rank,
                                 last_active_at=last.last_active_at)
    return SearchPage(results=results, next=following, mode=mode)


def _results(query: ParsedQuery, hits: list[Hit], mode: str) -> list[SearchResult]:
    sessions = ChatSession.objects.in_bulk([h.session_id for h in hits])
    message_ids = [h.message_id for h in hits if h.message_id is not None]
    messages: dict[int, dict[str, Any]] = {
        m["id"]: dict(m) for m in ChatMessage.objects.filter(pk__in=message_ids)
        .values("id", "seq", "created_at", "content_text")}
    marked = _marked(query, hits, messages, sessions, mode)
    results = []
    for hit in hits:
        session = sessions.get(hit.session_id)
        if session is None:  # deleted between the two statements
            continue
        message = messages.get(hit.message_id) if hit.message_id is not None else None
        results.append(SearchResult(
            session_id=session.pk, title=session.display_title, seq=message["seq"] if message else None,
            snippet=marked.get(hit.session_id, ""), rank=round(hit.rank, 6), match="message" if message else "title",
            status=session.status, tenant=session.tenant, folder_id=session.folder_id,
            pinned=session.pinned_at is not None, last_active_at=session.last_active_at,
            message_at=message["created_at"] if message else None,
        ))
    return results


def _marked(query: ParsedQuery, hits: list[Hit], messages: dict[int, dict[str, Any]],
            sessions: dict[uuid.UUID, ChatSession], mode: str) -> dict[uuid.UUID, str]:
    """The snippet of each hit: the database's own highlighter for full text, ``snippets.around`` otherwise."""
    terms = substring_terms(query)
    out: dict[uuid.UUID, str] = {}
    if mode == "fulltext":
        from .highlight import highlight

        marks = highlight(query, [h.message_id for h in hits if h.message_id is not None])
        for hit in hits:
            if hit.message_id is not None and hit.message_id in marks:
                out[hit.session_id] = snippets.to_html(marks[hit.message_id])
    for hit in hits:
        if hit.session_id in out:
            continue
        message = messages.get(hit.message_id) if hit.message_id is not None else None
        session = sessions.get(hit.session_id)
        source = message["content_text"] if message else (session.display_title if session else "")
        out[hit.session_id] = snippets.around(source, terms)
    return out


def _bounded(run: Callable[[], list[Hit]]) -> list[Hit]:
    """Run the substring scan within ``CHATMEMORY_SEARCH_FALLBACK_MS``; ``[]`` if it overruns."""
    budget_ms = settings.CHATMEMORY_SEARCH_FALLBACK_MS
    if budget_ms <= 0:
        return []
    try:
        with transaction.atomic(), _time_limit(budget_ms):
            return run()
    except OperationalError as exc:
        if _is_timeout(exc):
            return []
        raise


def _is_timeout(exc: OperationalError) -> bool:
    cause = exc.__cause__
    name = type(cause).__name__ if cause is not None else ""
    return name == "QueryCanceled" or "interrupted" in str(exc) or "statement timeout" in str(exc)


@contextmanager
def _time_limit(budget_ms: int) -> Iterator[None]:
    """``statement_timeout`` for the enclosing transaction (PostgreSQL) or a progress-handler
    deadline (SQLite). On an overrun the statement fails and the caller's ``atomic`` rolls back,
    which also drops the local setting; otherwise the previous value is put back (the caller may
    be inside a longer transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout')")
            previous = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{int(budget_ms)}ms"])
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        deadline = time.monotonic() + budget_ms / 1000
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
    else:
        yield
