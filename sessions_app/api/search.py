"""``GET /api/search``: full-text search of the caller's conversations (thin: ``sessions_app.search``)."""
from __future__ import annotations

from typing import Any

from ninja import Query, Router

from ..db.replicas import run_lag_tolerant
from ..search import SearchFilters, conversations_search
from ..search.cursors import decode_search_cursor, encode_search_cursor
from .auth import ApiRequest, caller_tenant
from .schemas.common import ErrorOut
from .schemas.search import SearchPageOut, SearchQueryIn

router = Router(tags=["search"])


@router.get("", response={200: SearchPageOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
            operation_id="search", summary="Search your conversations")
def search(request: ApiRequest, params: Query[SearchQueryIn]) -> dict[str, Any]:
    """Ranked full-text search over the titles and messages of the caller's own conversations
    (a tenant-bound token: that tenant's only). One result per conversation with a highlighted
    snippet of its best message; ``next`` pages on. Someone else's conversations are never searched."""
    after = decode_search_cursor(params.cursor) if params.cursor else None
    filters = SearchFilters(status=params.status, folder_id=params.folder, pinned=params.pinned,
                            since=params.since, until=params.until, tenant=caller_tenant(request))
    page = run_lag_tolerant(lambda: conversations_search(  # a replica may serve it (a few seconds old at most)
        user=request.auth, text=params.q, filters=filters, limit=params.limit, after=after, mode=params.mode),
        user_id=request.auth.pk)
    return {"results": page.results, "next": encode_search_cursor(page.next) if page.next else None,
            "mode": page.mode, "substring_skipped": page.substring_skipped}
