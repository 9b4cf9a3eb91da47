"""Conversation pages: new chat (``/``), the list, a conversation, its updates, rename, delete.

Every view that takes a ``session_id`` fetches the session through
``selectors.session_get_for_user`` first, so someone else's conversation is a 404 (mapped by
``@domain_errors``), whatever the method.
"""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ...conversations import selectors
from ...conversations.branches import branch_versions
from ...conversations.folders import folders_for_user
from ...conversations.live import turn_pending
from ...conversations.llm import model_label
from ...conversations.sessions import session_delete, session_rename
from ...exceptions import InvalidInput, SessionReadOnly
from ...models import ChatSession
from ..forms import RenameForm
from ..http import AuthenticatedHttpRequest
from ..presenters import branch_origin, chat_config, decorate_messages, message_json, session_json
from .errors import domain_errors, wants_json

CONVERSATIONS_PER_PAGE = 20
MESSAGES_PER_PAGE = 50
UPDATES_MAX_MESSAGES = 100
PLACEHOLDER_ID = uuid.UUID(int=0)  # the new-chat page's menu template, filled in by chat.js


def conversation_url(session: ChatSession) -> str:
    return reverse("conversation_detail", kwargs={"session_id": session.pk})


@login_required
@require_GET
def chat_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """New chat: an empty conversation page; the first message sent creates the conversation."""
    placeholder = ChatSession(id=PLACEHOLDER_ID)
    context = {"session": None, "chat_config": chat_config(None), "model_label": model_label(),
               "placeholder_session": placeholder, "placeholder_id": str(PLACEHOLDER_ID), "rename_form": RenameForm()}
    return render(request, "chat/home.html", context)


@login_required
@require_GET
def conversation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All the user's conversations, most recently active first, ``CONVERSATIONS_PER_PAGE`` a page;
    ``?pinned=1``, ``?archived=1`` or ``?folder=<id>`` (one of the user's folders) narrow the list."""
    sessions = selectors.session_list_for_user(user=request.user)
    folders = list(folders_for_user(user=request.user))
    current = {"pinned": request.GET.get("pinned") == "1", "archived": request.GET.get("archived") == "1",
               "folder": next((f for f in folders if str(f.pk) == request.GET.get("folder")), None)}
    if current["pinned"]:
        sessions = sessions.filter(pinned_at__isnull=False)
    if current["archived"]:
        sessions = sessions.filter(status=ChatSession.Status.ARCHIVED)
    if current["folder"] is not None:
        sessions = sessions.filter(folder=current["folder"])
    paginator = Paginator(sessions, CONVERSATIONS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    filters = urlencode({k: v for k, v in request.GET.items() if k in ("pinned", "archived", "folder")})
    return render(request, "chat/conversation_list.html", {"page": page, "folders": folders, "current": current,
                                                           "filters": filters})


def _seq_param(raw: str | None, name: str, *, minimum: int) -> int | None:
    """A ``?before=`` / ``?after=`` cursor: an integer ≥ ``minimum`` or nothing; ``InvalidInput`` otherwise."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < minimum:
        raise InvalidInput(f"'{name}' must be a message number (an integer of at least {minimum})")
    return int(raw)


def _detail_context(session: ChatSession, *, before: int | None) -> dict[str, Any]:
    """The conversation page: one keyset page of ``MESSAGES_PER_PAGE`` messages ending before ``before``,
    and the turn being answered right now (``conversations.live``) when showing the latest messages."""
    rows = list(
        selectors.messages_page(
            session_id=session.pk, limit=MESSAGES_PER_PAGE + 1, before_seq=before, newest_first=True
        )
    )
    has_earlier = len(rows) > MESSAGES_PER_PAGE
    rows = rows[:MESSAGES_PER_PAGE]
    rows.reverse()
    latest = before is None
    pending = turn_pending(session_id=session.pk) if latest and not session.is_archived else None
    can_branch = latest and not session.is_archived
    return {
        "session": session,
        "chat_messages": decorate_messages(rows, versions=branch_versions(session=session)),
        "pending": pending,
        "branch_origin": branch_origin(session),
        "earlier_cursor": rows[0].seq if has_earlier and rows else None,
        "viewing_latest": latest,
        "rename_form": RenameForm(initial={"title": session.title}),
        "model_label": model_label(),
        "can_branch": can_branch,
        "chat_config": chat_config(session, pending=pending, after_seq=rows[-1].seq if rows else 0,
                                   can_branch=can_branch),
    }


@login_required
@require_GET
@domain_errors
def conversation_detail(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """The conversation: the latest page of its history (or the page before ``?before=<seq>``) and the message box."""
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    context = _detail_context(session, before=_seq_param(request.GET.get("before"), "before", minimum=1))
    return render(request, "chat/conversation_detail.html", context)


@never_cache
@login_required
@require_GET
@domain_errors
def conversation_updates(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> JsonResponse:
    """What changed, as JSON: ``{"session": {…}, "pending": {"turn", "text", "partial", "started_at"} | null,
    "messages": [{"seq", "type", "text", "created_at", "stopped", "usage"}, …]}``.

    ``messages`` are the stored ones after ``?after=<seq>`` (at most ``UPDATES_MAX_MESSAGES``;
    none without ``after``). The page polls this while an answer it did not stream is being
    written, and for the title made after the first exchange.
    """
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    after = _seq_param(request.GET.get("after"), "after", minimum=0)
    rows = [] if after is None else list(
        selectors.messages_page(session_id=session.pk, limit=UPDATES_MAX_MESSAGES, after_seq=after)
    )
    return JsonResponse({
        "session": session_json(session),
        "pending": turn_pending(session_id=session.pk),
        "messages": [message_json(row) for row in rows],
    })


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def conversation_rename(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """Rename one's own, active conversation.

    The page's ``fetch`` (``Accept: application/json``) gets the session as JSON, or a 400 JSON
    error. A plain form post is answered with a redirect to the conversation either way (the
    error as a message there), so the browser never stays on this POST-only address; a GET here
    redirects too.
    """
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    if request.method == "GET":
        return redirect(conversation_url(session))
    if session.is_archived:
        raise SessionReadOnly("archived conversations cannot be renamed")
    form = RenameForm(request.POST)
    if not form.is_valid():
        problem = " ".join(str(error) for error in form.errors.get("title", ["The title is not valid."]))
        if wants_json(request):
            raise InvalidInput(problem)
        messages.error(request, f"The conversation was not renamed: {problem}")
        return redirect(conversation_url(session))
    session = session_rename(session=session, title=form.cleaned_data["title"])
    if wants_json(request):
        return JsonResponse(session_json(session))
    messages.success(request, "Conversation renamed.")
    return redirect(conversation_url(session))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def conversation_delete(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """GET: ask for confirmation. POST: delete the conversation and its messages for good."""
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    if request.method == "POST":
        session_delete(session_id=session.pk, actor=request.user)
        messages.success(request, f"Deleted “{session.display_title}”.")
        return redirect("chat_home")
    return render(request, "chat/conversation_confirm_delete.html", {"session": session})
