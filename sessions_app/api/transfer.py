"""``/api/sessions/{id}/export`` (JSON or Markdown) and ``/api/sessions/import``.

Export streams the ``chatmemory.session`` document (``docs/export-format.md``) of one of the
caller's sessions; import validates such a document and writes it, all or nothing, as a new
session **owned by the caller** (never by the user named in the document). Both are audited by
the ``lifecycle`` services they call.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from django.http import StreamingHttpResponse
from ninja import BodyEx, P, Query, Router, Schema
from pydantic import Field

from ..db.replicas import lag_tolerant_iter
from ..exceptions import InvalidInput
from ..models import ChatSession
from ..transfer.native import parse_session_document
from ..transfer.services import session_export_chunks, session_export_markdown_chunks, session_import
from .auth import ApiRequest, caller_session, caller_tenant
from .schemas.common import ErrorOut, check_state
from .schemas.sessions import SessionOut

router = Router(tags=["export / import"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
DOCUMENT_EXAMPLE = {
    "format": "chatmemory.session", "format_version": 1,
    "session": {"id": "6f1c2d4e-8a9b-4c3d-9e7f-0a1b2c3d4e5f", "owner": "olivia", "title": "Trip", "status": "active",
                "tenant": "", "metadata": {}, "created_at": "2026-11-22T03:00:00Z",
                "last_active_at": "2026-11-22T03:05:00Z", "archived_at": None, "expires_at": None,
                "cache_ttl": None, "last_seq": 0},
    "messages": [], "states": [],
}


class ImportQuery(Schema):
    keep_id: bool = Field(False, description="Keep the document's session id (409 if taken); default: a new id.")


class ExportQuery(Schema):
    format: Literal["json", "markdown"] = Field(
        "json", description="json: the chatmemory.session document (re-importable); markdown: for reading.")


@router.get("/{session_id}/export", response={200: dict[str, Any], **ERRORS}, operation_id="session_export",
            summary="Export a session (chatmemory.session JSON, or Markdown)",
            openapi_extra={"responses": {200: {"description": "The chatmemory.session document (or Markdown), streamed",
                                               "content": {"application/json": {"schema": {"type": "object"},
                                                                                "example": DOCUMENT_EXAMPLE},
                                                           "text/markdown": {"schema": {"type": "string"}}}}}})
def export_session(request: ApiRequest, session_id: uuid.UUID, query: Query[ExportQuery]) -> StreamingHttpResponse:
    """Stream the session, its messages and state versions as one JSON document, or its messages as a
    Markdown document (``format=markdown``); audited either way."""
    session = caller_session(request, session_id)
    if query.format == "markdown":
        response = StreamingHttpResponse(
            session_export_markdown_chunks(session=session, actor=request.auth, destination="api"),
            content_type="text/markdown; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="chatmemory-session-{session.pk}.md"'
        return response
    response = StreamingHttpResponse(
        lag_tolerant_iter(session_export_chunks(session=session, actor=request.auth, destination="api"),
                          user_id=request.auth.pk),  # the gate and the audit entry above ran on the primary
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="chatmemory-session-{session.pk}.json"'
    return response


@router.post("/import", response={201: SessionOut, 409: ErrorOut, **ERRORS}, operation_id="session_import",
             summary="Import a session (chatmemory.session JSON)",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"},
                                                                             "example": DOCUMENT_EXAMPLE}}}})
def import_session(request: ApiRequest, query: Query[ImportQuery],
                   document: BodyEx[dict[str, Any], P(examples=[DOCUMENT_EXAMPLE])]) -> tuple[int, ChatSession]:
    """Validate the document and write it as one new session owned by the caller (all or nothing).

    400 names the first bad place of an invalid document; 409 if ``keep_id`` and the id is
    taken, 410 if ``keep_id`` and it is a deleted conversation's id (a deleted conversation never
    comes back; import it without ``keep_id``). A tenant-bound token can only import sessions of its tenant.
    """
    try:
        check_state(document)
    except ValueError as exc:
        raise InvalidInput(f"document {exc}") from None
    parsed = parse_session_document(json.loads(json.dumps(document)))
    bound = caller_tenant(request)
    if bound is not None and parsed.session.get("tenant", "") != bound:
        raise InvalidInput(f"this token is bound to tenant {bound!r}")
    session = session_import(document=parsed, actor=request.auth, owner=request.auth, new_id=not query.keep_id,
                             source="api")
    return 201, session
