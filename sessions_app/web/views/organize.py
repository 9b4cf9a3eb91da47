"""Organizing from the page: archive / unarchive, pin, folders, export one conversation.

Each action is a POST from the conversation's "⋯" menu (or the conversations list) that answers
with a redirect back (Post/Redirect/Get) and a message; the session comes through the ownership
gate first (someone else's id is a 404), a folder through ``folder_get_for_user``.
"""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ...conversations import selectors
from ...conversations.folders import (
    folder_create,
    folder_delete,
    folder_get_for_user,
    folder_rename,
    folders_for_user,
    session_set_folder,
    session_set_pinned,
)
from ...conversations.sessions import session_archive, session_unarchive
from ...exceptions import InvalidInput, NameTaken
from ...transfer.services import session_export_chunks, session_export_markdown_chunks
from ..forms import FolderForm
from ..http import AuthenticatedHttpRequest
from .errors import domain_errors


def _back(request: AuthenticatedHttpRequest, session_id: uuid.UUID | None = None) -> HttpResponseRedirect:
    """Where the action came from (``next``, same site only), else the conversation or the list."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    if session_id is not None:
        return redirect("conversation_detail", session_id=session_id)
    return redirect("conversation_list")


@login_required
@require_POST
@domain_errors
def conversation_archive(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    session_archive(session=session, actor=request.user)
    messages.success(request, f"Archived “{session.display_title}”: it is read-only until you unarchive it.")
    return _back(request, session.pk)


@login_required
@require_POST
@domain_errors
def conversation_unarchive(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    session_unarchive(session=session, actor=request.user)
    messages.success(request, f"Unarchived “{session.display_title}”.")
    return _back(request, session.pk)


@login_required
@require_POST
@domain_errors
def conversation_pin(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """Pin (``pinned=1``) or unpin (``pinned=0``)."""
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    pinned = request.POST.get("pinned", "1") == "1"
    session_set_pinned(session=session, pinned=pinned)
    messages.success(request, f"{'Pinned' if pinned else 'Unpinned'} “{session.display_title}”.")
    return _back(request, session.pk)


@login_required
@require_POST
@domain_errors
def conversation_move(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """File the conversation: ``folder`` = a folder id, ``""`` for none, or ``new`` with ``name``."""
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    choice = request.POST.get("folder", "")
    if choice == "new":
        try:
            folder = folder_create(owner=request.user, name=request.POST.get("name", ""))
        except (InvalidInput, NameTaken) as exc:
            messages.error(request, f"The conversation was not moved: {exc.detail}")
            return _back(request, session.pk)
    elif choice:
        folder = folder_get_for_user(folder_id=choice, user=request.user)
    else:
        folder = None
    session_set_folder(session=session, folder=folder)
    messages.success(request, f"Moved to “{folder.name}”." if folder else "Taken out of its folder.")
    return _back(request, session.pk)


@login_required
@require_GET
@domain_errors
def conversation_export(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> StreamingHttpResponse:
    """Download one conversation: ``?format=json`` (``chatmemory.session``, re-importable) or
    ``markdown`` (for reading); audited."""
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    fmt = request.GET.get("format", "json")
    if fmt == "markdown":
        response = StreamingHttpResponse(
            session_export_markdown_chunks(session=session, actor=request.user, destination="page"),
            content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="chatmemory-session-{session.pk}.md"'
        return response
    if fmt != "json":
        raise InvalidInput("format must be json or markdown")
    response = StreamingHttpResponse(session_export_chunks(session=session, actor=request.user, destination="page"),
                                     content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="chatmemory-session-{session.pk}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def folder_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the user's folders. POST: ``action`` create (``name``), rename (``folder``, ``name``) or
    delete (``folder``; its conversations stay); then back here (PRG)."""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                folder = folder_create(owner=request.user, name=request.POST.get("name", ""))
                messages.success(request, f"Folder “{folder.name}” created.")
            elif action == "rename":
                folder = folder_get_for_user(folder_id=request.POST.get("folder"), user=request.user)
                folder_rename(folder=folder, name=request.POST.get("name", ""))
                messages.success(request, f"Folder renamed to “{folder.name}”.")
            elif action == "delete":
                folder = folder_get_for_user(folder_id=request.POST.get("folder"), user=request.user)
                moved = folder_delete(folder=folder)
                messages.success(request, f"Folder “{folder.name}” deleted; its {moved} conversation(s) are kept.")
            else:
                raise InvalidInput("unknown action")
        except (InvalidInput, NameTaken) as exc:
            messages.error(request, exc.detail)
        return redirect("folder_list")
    folders = folders_for_user(user=request.user).annotate(conversations=Count("sessions"))
    return render(request, "organize/folders.html", {"folders": folders, "form": FolderForm(), "session": None})
