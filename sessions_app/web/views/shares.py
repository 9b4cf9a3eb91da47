"""Share links from the page: share a conversation (with an expiry), copy or stop sharing it, and the
list of all one's links (``/settings/shares/``). Every POST answers with a redirect (PRG)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ...conversations import selectors
from ...sharing.selectors import share_link_for_session, share_links_for_user
from ...sharing.services import share_link_create, share_link_revoke, share_links_revoke_for_session
from ..forms import ShareForm
from ..http import AuthenticatedHttpRequest
from .errors import domain_errors


def share_url(request: AuthenticatedHttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("shared_conversation", kwargs={"token": token}))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def conversation_share(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """GET: the conversation's link (or the form to make one). POST: share, or change the expiry."""
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    if request.method == "POST":
        form = ShareForm(request.POST)
        if form.is_valid():
            days = ShareForm.EXPIRY_DAYS[form.cleaned_data["expires"]]
            expires = timezone.now() + timedelta(days=days) if days else None
            _, created = share_link_create(session=session, actor=request.user, expires_at=expires)
            messages.success(request, "Link created: anyone with it can read this conversation as it is now."
                             if created else "Link updated.")
        return redirect("conversation_share", session_id=session.pk)
    link = share_link_for_session(session_id=session.pk)
    context = {"session": session, "link": link, "url": share_url(request, link.token) if link else None,
               "form": ShareForm()}
    return render(request, "share/manage.html", context)


@login_required
@require_POST
@domain_errors
def conversation_unshare(request: AuthenticatedHttpRequest, session_id: uuid.UUID) -> HttpResponse:
    session = selectors.session_get_for_user(session_id=session_id, user=request.user)
    if share_links_revoke_for_session(session=session, actor=request.user):
        messages.success(request, "Sharing stopped: the link no longer opens.")
    return redirect("conversation_share", session_id=session.pk)


@login_required
@require_GET
def share_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All the user's links, newest first (at most 200), live ones with their URL to copy."""
    links = list(share_links_for_user(user=request.user)[:200])
    rows = [(link, share_url(request, link.token) if link.state == "live" else None) for link in links]
    return render(request, "share/list.html", {"rows": rows, "session": None})


@login_required
@require_POST
def share_revoke(request: AuthenticatedHttpRequest, link_id: int) -> HttpResponse:
    link = share_links_for_user(user=request.user).filter(pk=link_id).first()
    if link is None:
        raise Http404("no such share link")
    if share_link_revoke(link=link, actor=request.user):
        messages.success(request, f"Sharing of “{link.session.display_title}” stopped.")
    return redirect("share_list")
