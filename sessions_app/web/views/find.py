"""The search page (``/search/?q=…``): the user's conversations matching the words, best first.

The sidebar's search box submits here (a plain GET form: works without JavaScript). Results come
from ``sessions_app.search.conversations_search`` — only the user's own conversations — with the
same filters as the API (archived or not, folder, pinned) and the API's opaque cursor for "More".
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ...conversations.folders import folders_for_user
from ...exceptions import InvalidInput
from ...models import ChatSession
from ...search import SearchFilters, SearchResult, conversations_search
from ...search.cursors import decode_search_cursor, encode_search_cursor
from ..http import AuthenticatedHttpRequest
from .conversations import MESSAGES_PER_PAGE

STATUSES = {"": None, "active": "active", "archived": "archived"}


def result_url(result: SearchResult, last_seq: int) -> str:
    """The conversation at the matching message (its page, scrolled to ``#m-<seq>``)."""
    url = reverse("conversation_detail", kwargs={"session_id": result.session_id})
    if result.seq is None:
        return url
    if last_seq - result.seq < MESSAGES_PER_PAGE // 2:
        return f"{url}#m-{result.seq}"
    return f"{url}?before={result.seq + MESSAGES_PER_PAGE // 2}#m-{result.seq}"


@login_required
@require_GET
def search_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    folder = request.GET.get("folder", "")
    mode = request.GET.get("mode", "auto")
    context: dict[str, Any] = {"q": q, "status": status, "folder": folder, "session": None, "results": [],
                               "folders": list(folders_for_user(user=request.user)), "error": None, "page": None}
    if not q:
        return render(request, "search/results.html", context)
    try:
        after = decode_search_cursor(request.GET["cursor"]) if request.GET.get("cursor") else None
        filters = SearchFilters(status=STATUSES.get(status), folder_id=int(folder) if folder.isdigit() else None)
        page = conversations_search(user=request.user, text=q, filters=filters, after=after,
                                    mode=mode if mode in ("auto", "fulltext", "substring") else "auto")
    except InvalidInput as exc:
        context["error"] = exc.detail
        return render(request, "search/results.html", context, status=400)
    last = dict(ChatSession.objects.filter(pk__in=[r.session_id for r in page.results]).values_list("pk", "last_seq"))
    context.update(page=page, results=[(r, result_url(r, last.get(r.session_id, 0))) for r in page.results],
                   next_cursor=encode_search_cursor(page.next) if page.next else None)
    return render(request, "search/results.html", context)
