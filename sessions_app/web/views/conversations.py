"""Conversation pages: the list, new, the conversation itself (history + message box), rename, delete.

Every view that takes a ``session_id`` fetches the session through
``selectors.session_get_for_user`` first, so someone else's conversation is a 404 (mapped by
``@domain_errors``), whatever the method.
"""
from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ...conversations import selectors
from ...conversations.llm import model_label
from ...conversations.sessions import session_create, session_delete, session_rename
from ...exceptions import InvalidInput, SessionReadOnly
from ...models import ChatSession
from ..forms import RenameForm, TitleForm
from ..http import AuthenticatedHttpRequest
from .errors import domain_errors

CONVERSATIONS_PER_PAGE = 20
MESSAGES_PER_PAGE = 50


def conversation_url(session: ChatSession) -> str:
    return reverse("conversation_detail", kwargs={"session_id": session.pk})


@login_required
@require_GET
def conversation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's conversations, most recently active first, ``CONVERSATIONS_PER_PAGE`` a page."""
    paginator = Paginator(selectors.session_list_for_user(user=request.user), CONVERSATIONS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "chat/conversation_list.html", {"page": page, "form": TitleForm()})


@login_required
@require_POST
@domain_errors
def conversation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a conversation (optional title) and open it."""
    form = TitleForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(" ".join(str(error) for error in form.errors["title"]))
    session = session_create(owner=request.user, title=form.cleaned_data["title"], metadata={"channel": "web"})
    return redirect(conversation_url(session))


def _before_cursor(raw: str | None) -> int | None:
    """The ``?before=<seq>`` cursor: a positive integer or nothing; ``InvalidInput`` otherwise."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInput("'before' must be a positive message number")
    return int(raw)


def _detail_context(
    session: ChatSession, *, before: int | None, rename_form: RenameForm | None = None
) -> dict[str, Any]:
    """The conversation page: one keyset page of ``MESSAGES_PER_PAGE`` messages ending before ``before``."""
    rows = list(
        selectors.messages_page(
            session_id=session.pk, limit=MESSAGES_PER_PAGE + 1, before_seq=before, newest_first=True
        )
    )
    has_earlier = len(rows) > MESSAGES_PER_PAGE
    rows = rows[:MESSAGES_PER_PAGE]
    rows.reverse()
    return {
        "session": session,
        "chat_messages": rows,
        "earlier_cursor": rows[0].seq if has_earlier and rows else None,
        "viewing_latest": before is None,
        "rename_form": rename_form or RenameForm(initial={"title": session.title}),
        "max_message_chars": settings.CHATMEMORY_MAX_MESSAGE_CHARS,
        "model_label": model_label(),
    }


@login_required
@require_GET
@domain_errors
def conversation_detail(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """The conversation: the latest page of its history (or the page before ``?before=<seq>``) and the message box."""
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    context = _detail_context(session, before=_before_cursor(request.GET.get("before")))
    return render(request, "chat/conversation_detail.html", context)


@login_required
@require_POST
@domain_errors
def conversation_rename(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """Rename one's own, active conversation. An invalid title re-renders the page with a 400."""
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    if session.is_archived:
        raise SessionReadOnly("archived conversations cannot be renamed")
    form = RenameForm(request.POST)
    if not form.is_valid():
        context = _detail_context(session, before=None, rename_form=form)
        return render(request, "chat/conversation_detail.html", context, status=400)
    session_rename(session=session, title=form.cleaned_data["title"])
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
        return redirect("conversation_list")
    return render(request, "chat/conversation_confirm_delete.html", {"session": session})
