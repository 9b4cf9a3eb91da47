"""Reads of share links: the owner's list, and the public lookup by token (the only no-login read)."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from ..exceptions import ShareLinkGone, ShareLinkNotFound
from ..models import ChatMessage, ShareLink

PAGE_MESSAGES = 200


def share_links_for_user(*, user: Any, tenant: str | None = None) -> QuerySet[ShareLink]:
    """The user's share links, newest first, with their conversations (``sharelink_owner_recent_idx``);
    ``tenant`` (a tenant-bound token) keeps that tenant's conversations only."""
    links = ShareLink.objects.owned_by(user).select_related("session").order_by("-created_at", "-id")
    return links.filter(session__tenant=tenant) if tenant is not None else links


def share_link_for_session(*, session_id: Any) -> ShareLink | None:
    """The conversation's live link, if any."""
    return ShareLink.objects.live().filter(session_id=session_id).first()


def share_link_open(*, token: str) -> ShareLink:
    """The link for a public visit: ``ShareLinkNotFound`` (404) for an unknown token (also once its
    conversation is deleted: the link went with it), ``ShareLinkGone`` (410) if revoked or expired."""
    if not token or len(token) > 64:
        raise ShareLinkNotFound("no such share link")
    link = ShareLink.objects.select_related("session").filter(token=token).first()
    if link is None:
        raise ShareLinkNotFound("no such share link")
    if link.revoked_at is not None:
        raise ShareLinkGone("this share link was turned off by its owner")
    if link.expires_at is not None and link.expires_at <= timezone.now():
        raise ShareLinkGone("this share link has expired")
    return link


def shared_messages(*, link: ShareLink, after_seq: int = 0, limit: int = PAGE_MESSAGES) -> list[ChatMessage]:
    """The published messages (``seq <= max_seq``) after ``after_seq``, oldest first, at most ``limit``:
    one range scan of ``(session, seq)``. Messages deleted since sharing are simply not there."""
    return list(ChatMessage.objects.filter(session_id=link.session_id, seq__gt=after_seq, seq__lte=link.max_seq)
                .order_by("seq")[:limit])
