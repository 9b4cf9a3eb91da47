"""``/api/sessions``: the caller's conversations (thin: selectors read, services write)."""
from __future__ import annotations

import uuid
from typing import Literal

from ninja import Query, Router, Schema
from pydantic import Field

from ..conversations import selectors
from ..conversations.folders import folder_get_for_user, session_set_folder, session_set_pinned
from ..conversations.sessions import (
    session_archive,
    session_create,
    session_delete,
    session_rename,
    session_set_cache_ttl,
    session_set_metadata,
    session_unarchive,
)
from ..exceptions import InvalidInput
from ..models import ChatSession
from .auth import ApiRequest, caller_session, caller_tenant
from .pagination import decode_session_cursor, encode_session_cursor
from .schemas.common import ErrorOut, IsoDatetime, Tenant
from .schemas.sessions import CacheTtlIn, DeletedOut, SessionCreateIn, SessionOut, SessionPageOut, SessionUpdateIn

router = Router(tags=["sessions"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {**ERRORS, 409: ErrorOut, 410: ErrorOut}


class SessionFilters(Schema):
    status: Literal["active", "archived"] | None = Field(None, description="Only sessions with this status.")
    tenant: Tenant | None = Field(None, description="Only sessions of this tenant.")
    updated_since: IsoDatetime | None = Field(
        None, description="Only sessions active at or after this instant (ISO 8601 with a time zone)."
    )
    folder: int | None = Field(None, ge=1, description="Only sessions in this folder.")
    pinned: bool | None = Field(None, description="Only pinned (true) or unpinned (false) sessions.")
    limit: int = Field(20, ge=1, le=100, description="Page size.")
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of the previous page.")


# OpenAPI links: what a client (and schemathesis' stateful phase) can do with a created session.
SESSION_LINKS = {
    op: {"operationId": op, "parameters": {"session_id": "$response.body#/session_id"}}
    for op in ["session_get", "session_update", "session_archive", "session_unarchive", "session_set_cache_ttl",
               "session_chat", "messages_list", "messages_clear", "state_save", "state_get", "state_versions",
               "state_rollback", "state_diff", "session_branches", "session_delete"]
}


@router.post("", response={201: SessionOut, **ERRORS}, operation_id="session_create", summary="Create a session",
             openapi_extra={"responses": {201: {"description": "Created", "links": SESSION_LINKS}}})
def create_session(request: ApiRequest, payload: SessionCreateIn) -> tuple[int, ChatSession]:
    """Create a conversation owned by the caller. A token bound to a tenant creates sessions of
    that tenant only (another ``tenant`` in the body is a 400)."""
    bound = caller_tenant(request)
    tenant = payload.tenant if payload.tenant is not None else (bound or "")
    if bound is not None and tenant != bound:
        raise InvalidInput(f"this token is bound to tenant {bound!r}")
    session = session_create(
        owner=request.auth, title=payload.title, tenant=tenant, metadata=payload.metadata, cache_ttl=payload.cache_ttl
    )
    return 201, session


@router.get("", response={200: SessionPageOut, **ERRORS}, operation_id="session_list", summary="List your sessions")
def list_sessions(request: ApiRequest, filters: Query[SessionFilters]) -> dict[str, object]:
    """The caller's sessions, most recently active first, by keyset cursor (no total count).

    Only the caller's own sessions are listed (a tenant-bound token: only that tenant's).
    """
    after = decode_session_cursor(filters.cursor) if filters.cursor else None
    rows = selectors.session_page_for_user(
        user=request.auth, limit=filters.limit + 1, scope_tenant=caller_tenant(request), status=filters.status,
        tenant=filters.tenant, updated_since=filters.updated_since, after=after, folder_id=filters.folder,
        pinned=filters.pinned,
    )
    page = rows[: filters.limit]
    return {"items": page, "next_cursor": encode_session_cursor(page[-1]) if len(rows) > filters.limit else None}


@router.get("/{session_id}", response={200: SessionOut, **ERRORS}, operation_id="session_get", summary="Get a session")
def get_session(request: ApiRequest, session_id: uuid.UUID) -> ChatSession:
    """One of the caller's sessions; anyone else's id is a 404."""
    return caller_session(request, session_id)


@router.patch("/{session_id}", response={200: SessionOut, **WRITE_ERRORS}, operation_id="session_update",
              summary="Rename a session or replace its metadata")
def update_session(request: ApiRequest, session_id: uuid.UUID, payload: SessionUpdateIn) -> ChatSession:
    """Set ``title``, replace ``metadata``, pin/unpin, move to a folder (``folder_id``; null: out of its
    folder); absent fields are unchanged. Allowed on archived sessions (their messages are read-only,
    their labels are not). 404 for someone else's folder, 410 if the session was deleted meanwhile."""
    session = caller_session(request, session_id)
    if payload.title is not None:
        session = session_rename(session=session, title=payload.title)
    if payload.metadata is not None:
        session = session_set_metadata(session=session, metadata=payload.metadata)
    if payload.pinned is not None:
        session = session_set_pinned(session=session, pinned=payload.pinned)
    if "folder_id" in payload.model_fields_set:
        folder = None if payload.folder_id is None else folder_get_for_user(folder_id=payload.folder_id,
                                                                              user=request.auth)
        session = session_set_folder(session=session, folder=folder)
    return session


@router.post("/{session_id}/archive", response={200: SessionOut, **WRITE_ERRORS}, operation_id="session_archive",
             summary="Archive a session (read-only)")
def archive_session(request: ApiRequest, session_id: uuid.UUID) -> ChatSession:
    """Make the session read-only (chat on it is then a 409). Idempotent."""
    return session_archive(session=caller_session(request, session_id), actor=request.auth)


@router.post("/{session_id}/unarchive", response={200: SessionOut, **WRITE_ERRORS}, operation_id="session_unarchive",
             summary="Unarchive a session")
def unarchive_session(request: ApiRequest, session_id: uuid.UUID) -> ChatSession:
    """Make an archived session writable again. Idempotent."""
    return session_unarchive(session=caller_session(request, session_id), actor=request.auth)


@router.delete("/{session_id}", response={200: DeletedOut, **ERRORS}, operation_id="session_delete",
               summary="Delete a session and its messages")
def delete_session(request: ApiRequest, session_id: uuid.UUID) -> dict[str, int]:
    """Delete the session, its messages, state versions and checkpoints. A second delete is a 404."""
    session = caller_session(request, session_id)
    return {"deleted_messages": session_delete(session_id=session.pk, actor=request.auth)}


@router.put("/{session_id}/ttl", response={200: SessionOut, **WRITE_ERRORS}, operation_id="session_set_cache_ttl",
            summary="Set the session's cache TTL")
def set_cache_ttl(request: ApiRequest, session_id: uuid.UUID, payload: CacheTtlIn) -> ChatSession:
    """How long the session's messages stay in the cache after use, in seconds (60 … 2 592 000)."""
    return session_set_cache_ttl(session=caller_session(request, session_id), seconds=payload.seconds)
