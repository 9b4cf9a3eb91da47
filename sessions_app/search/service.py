"""``conversations_search``: the one entry point (API, page and benchmark call it)."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Sum

from ..exceptions import InvalidInput
from ..models import ChatMessage, ChatSession
from . import plan, snippets, sql
from .query import ParsedQuery, parse_query, substring_terms
from .types import Hit, SearchCursor, SearchFilters, SearchPage, SearchResult

MAX_LIMIT = 50
MODES = ("auto", "fulltext", "substring")


def conversations_search(*, user: Any, text: str, filters: SearchFilters | None = None, limit: int = 20,
                         after: SearchCursor | None = None, mode: str = "auto") -> SearchPage:
    """Search ``user``'s conversations (titles and message text); one page of results, best first.

    Only conversations **owned by ``user``** are ever looked at (``filters.tenant`` narrows them
    further for a tenant-bound token); anonymous users get an empty page. ``text`` is web-search
    syntax (``search.query``). ``mode``:

    * ``"fulltext"`` — PostgreSQL ``tsvector`` / SQLite FTS5, ranked (``SearchResult.rank``), one
      result per conversation with its best message's snippet;
    * ``"substring"`` — parts of words and CJK text (``ILIKE``), most recently active first, bounded
      by ``CHATMEMORY_SEARCH_FALLBACK_MS`` (an overrun returns no results);
    * ``"auto"`` (default) — full text; when that finds nothing on the first page, the substring
      search, but only for callers with at most ``CHATMEMORY_SEARCH_FALLBACK_MAX_MESSAGES``
      messages (a scan of theirs stays fast); for bigger ones ``substring_skipped`` says a
      ``mode="substring"`` search could be asked for.

    ``after`` is the previous page's ``next`` (it carries its mode). Raises ``InvalidInput`` (400)
    for a bad query, mode or ``limit`` outside 1…50.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}")
    filters = filters or SearchFilters()
    query = parse_query(text)
    if query.is_empty or user is None or not getattr(user, "is_authenticated", False):
        return SearchPage()
    owner_id = user.pk
    if after is not None:
        mode = after.mode
    if mode in ("auto", "fulltext"):
        candidates = settings.CHATMEMORY_SEARCH_CANDIDATES
        if connection.vendor == "postgresql":
            phrase = any(t.phrase and " " in t.text.strip() for t in query.positive)
            walk = plan.choose_walk(query.raw, owner_id=owner_id, filters=filters, candidates=candidates,
                                    phrase=phrase)
            hits = sql.fulltext_postgres(query, owner_id=owner_id, filters=filters, after=after, limit=limit + 1,
                                         candidates=candidates, walk=walk)
        else:
            hits = sql.fulltext_sqlite(query, owner_id=owner_id, filters=filters, after=after, limit=limit + 1,
                                       candidates=candidates)
        if hits or after is not None or mode == "fulltext":
            return _page(query, hits, limit, "fulltext")
        if not _small_enough(owner_id, filters):
            return SearchPage(substring_skipped=True)
    hits = _bounded(lambda: sql.substring_scan(query, owner_id=owner_id, filters=filters, after=after,
                                               limit=limit + 1))
    return _page(query, hits, limit, "substring")


def _small_enough(owner_id: int, filters: SearchFilters) -> bool:
    """Whether the caller's messages are few enough for an automatic substring scan (one index range scan)."""
    sessions = ChatSession.objects.filter(owner_id=owner_id)
    if filters.tenant is not None:
        sessions = sessions.filter(tenant=filters.tenant)
    total = sessions.aggregate(n=Sum("message_count"))["n"] or 0
    return total <= settings.CHATMEMORY_SEARCH_FALLBACK_MAX_MESSAGES


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
