"""The public, read-only page of a share link (``/s/<token>/``): no login, no sidebar, no forms.

It shows the conversation's messages up to the link's ``max_seq`` (as it was when shared), in pages
of ``PAGE_MESSAGES``. Unknown token (or its conversation deleted) → 404; revoked or expired → 410.
Every answer says ``noindex`` to robots, sends no referrer onward and is not cached (so a revoked
link is not served from a cache).
"""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ...exceptions import ShareLinkGone, ShareLinkNotFound
from ...sharing.selectors import PAGE_MESSAGES, share_link_open, shared_messages
from ...sharing.services import share_link_record_view

UNAVAILABLE = {404: "This link does not exist", 410: "This link is no longer shared"}


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store, private"
    return response


@require_GET
def shared_conversation(request: HttpRequest, token: str) -> HttpResponse:
    """GET ``/s/<token>/[?after=<seq>]``: one page of the shared conversation."""
    try:
        link = share_link_open(token=token)
    except (ShareLinkNotFound, ShareLinkGone) as exc:
        context = {"status": exc.status_code, "title": UNAVAILABLE[exc.status_code], "detail": exc.detail}
        return _private(render(request, "share/unavailable.html", context, status=exc.status_code))
    raw = request.GET.get("after", "")
    after = int(raw) if raw.isdigit() and len(raw) < 19 else 0
    rows = shared_messages(link=link, after_seq=after, limit=PAGE_MESSAGES + 1)
    if after == 0:
        share_link_record_view(link=link)
    context = {
        "link": link,
        "session": link.session,
        "chat_messages": rows[:PAGE_MESSAGES],
        "next_after": rows[PAGE_MESSAGES - 1].seq if len(rows) > PAGE_MESSAGES else None,
    }
    return _private(render(request, "share/shared_conversation.html", context))
