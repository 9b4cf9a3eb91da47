"""Share links: ``/api/sessions/{id}/share`` (create, get, revoke) and ``/api/shares`` (my links).

Every link is made from a session fetched through the ownership gate (``caller_session``):
someone else's conversation is a 404 and gets no link. See ``sessions_app.sharing``.
"""
from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Body, Query, Router, Schema
from pydantic import Field

from ..exceptions import InvalidInput, ShareLinkNotFound
from ..models import ShareLink
from ..sharing.selectors import share_link_for_session, share_links_for_user
from ..sharing.services import KEEP, share_link_create, share_link_revoke, share_links_revoke_for_session
from .auth import ApiRequest, caller_session, caller_tenant
from .schemas.common import ErrorOut
from .schemas.sharing import RevokedOut, ShareIn, ShareLinkOut, ShareLinkPageOut

router = Router(tags=["share links"])
links_router = Router(tags=["share links"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def link_out(request: HttpRequest, link: ShareLink) -> dict[str, Any]:
    """The ``ShareLinkOut`` of a link, with its absolute URL."""
    return {
        "id": link.pk, "session_id": link.session_id, "title": link.session.display_title,
        "url": request.build_absolute_uri(reverse("shared_conversation", kwargs={"token": link.token})),
        "token": link.token, "state": link.state, "max_seq": link.max_seq, "created_at": link.created_at,
        "expires_at": link.expires_at, "revoked_at": link.revoked_at, "views": link.views,
        "last_viewed_at": link.last_viewed_at,
    }


@router.post("/{session_id}/share", response={200: ShareLinkOut, 201: ShareLinkOut, 410: ErrorOut, **ERRORS},
             operation_id="share_create", summary="Share a session (read-only link, no login)",
             openapi_extra={"requestBody": {"required": False, "content": {"application/json": {
                 "schema": {"$ref": "#/components/schemas/ShareIn"}}}}})
def share(request: ApiRequest, session_id: uuid.UUID,
          payload: Body[ShareIn | None] = None) -> tuple[int, dict[str, Any]]:
    """The conversation's live share link: 201 with a new one, or 200 with the existing one (its
    expiry replaced when the body names ``expires_at``). Audited (``share``)."""
    session = caller_session(request, session_id)
    expires = payload.expires_at if payload is not None and "expires_at" in payload.model_fields_set else KEEP
    link, created = share_link_create(session=session, actor=request.auth, expires_at=expires)
    link.session = session
    return (201 if created else 200), link_out(request, link)


@router.get("/{session_id}/share", response={200: ShareLinkOut, **ERRORS}, operation_id="share_get",
            summary="Get a session's live share link")
def get_share(request: ApiRequest, session_id: uuid.UUID) -> dict[str, Any]:
    """The live link of the conversation; 404 when it is not shared."""
    session = caller_session(request, session_id)
    link = share_link_for_session(session_id=session.pk)
    if link is None:
        raise ShareLinkNotFound("this conversation is not shared")
    link.session = session
    return link_out(request, link)


@router.delete("/{session_id}/share", response={200: RevokedOut, **ERRORS}, operation_id="share_revoke",
               summary="Stop sharing a session")
def unshare(request: ApiRequest, session_id: uuid.UUID) -> dict[str, int]:
    """Revoke the conversation's link: its page answers 410 from now on. Audited (``unshare``)."""
    session = caller_session(request, session_id)
    return {"revoked": share_links_revoke_for_session(session=session, actor=request.auth)}


class ShareListQuery(Schema):
    state: Literal["live", "all"] = Field("all", description="live: only links that still open.")
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=20, description="`next_cursor` of the previous page.")


@links_router.get("", response={200: ShareLinkPageOut, **ERRORS}, operation_id="share_list",
                  summary="List your share links")
def list_shares(request: ApiRequest, params: Query[ShareListQuery]) -> dict[str, Any]:
    """The caller's links, newest first (revoked and expired ones too unless ``state=live``)."""
    links = share_links_for_user(user=request.auth, tenant=caller_tenant(request)).order_by("-id")
    if params.state == "live":
        links = links & ShareLink.objects.live()
    if params.cursor:
        if not params.cursor.isdigit():
            raise InvalidInput("cursor is not one this API returned")
        links = links.filter(id__lt=int(params.cursor))
    rows = list(links[: params.limit + 1])
    page = rows[: params.limit]
    return {"items": [link_out(request, link) for link in page],
            "next_cursor": str(page[-1].pk) if len(rows) > params.limit else None}


@links_router.delete("/{link_id}", response={200: ShareLinkOut, **ERRORS}, operation_id="share_link_revoke",
                     summary="Revoke one of your share links")
def revoke_link(request: ApiRequest, link_id: int) -> dict[str, Any]:
    """Revoke a link from the list (idempotent); someone else's link id is a 404."""
    link = share_links_for_user(user=request.auth, tenant=caller_tenant(request)).filter(pk=link_id).first()
    if link is None:
        raise ShareLinkNotFound(f"no share link {link_id}")
    share_link_revoke(link=link, actor=request.auth)
    link.refresh_from_db()
    return link_out(request, link)
