"""``/api/sessions/{id}/state``: versioned JSON state beside a conversation (``sessions_app.governance.state``).

Every operation passes the ownership gate first (``caller_session``), then calls the state
API as trusted code with the gated session's id.
"""
from __future__ import annotations

import uuid
from typing import Any, overload

from ninja import Query, Router, Schema
from pydantic import Field

from ..governance import state
from ..models import SessionState
from .auth import ApiRequest, caller_session
from .schemas.common import ErrorOut, Text
from .schemas.state import StateOut, StateRollbackIn, StateSavedOut, StateSaveIn, StateVersionOut

router = Router(tags=["state"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}


class VersionQuery(Schema):
    version: Text | None = Field(None, max_length=100, description="A version number or a tag; latest if absent.")


class DiffQuery(Schema):
    a: Text = Field(..., max_length=100, description="From this version (number or tag).")
    b: Text = Field(..., max_length=100, description="To this version (number or tag).")


@overload
def _version(raw: str) -> int | str: ...
@overload
def _version(raw: None) -> None: ...
def _version(raw: str | None) -> int | str | None:
    """A version number (all digits) or a tag; ``None`` (the latest) stays ``None``."""
    return int(raw) if raw is not None and raw.isdigit() else raw


@router.post("/{session_id}/state", response={201: StateSavedOut, **WRITE_ERRORS}, operation_id="state_save",
             summary="Save a new state version")
def save(request: ApiRequest, session_id: uuid.UUID, payload: StateSaveIn) -> tuple[int, dict[str, int]]:
    """Store ``state`` as the next version (1, 2, 3 …). 409 if the session is archived, 400 if the tag is taken."""
    session = caller_session(request, session_id)
    return 201, {"version": state.save_state(session.pk, payload.state, tag=payload.tag)}


@router.get("/{session_id}/state", response={200: StateOut, **ERRORS}, operation_id="state_get",
            summary="Read the state (latest, or a version)")
def get(request: ApiRequest, session_id: uuid.UUID, query: Query[VersionQuery]) -> SessionState:
    """The latest version, or ``?version=`` (a number or a tag). 400 if there is no such version."""
    session = caller_session(request, session_id)
    return state.state_get(session.pk, _version(query.version))


@router.get("/{session_id}/state/versions", response={200: list[StateVersionOut], **ERRORS},
            operation_id="state_versions", summary="List the state versions")
def versions(request: ApiRequest, session_id: uuid.UUID) -> list[Any]:
    """Every version, oldest first, without payloads."""
    return list(state.list_versions(caller_session(request, session_id).pk))


@router.post("/{session_id}/state/rollback", response={201: StateSavedOut, **WRITE_ERRORS},
             operation_id="state_rollback", summary="Roll back to an earlier version")
def rollback(request: ApiRequest, session_id: uuid.UUID, payload: StateRollbackIn) -> tuple[int, dict[str, int]]:
    """Save a new version equal to ``version`` (history is never rewritten); returns the new number."""
    session = caller_session(request, session_id)
    version = payload.version if isinstance(payload.version, int) else _version(payload.version)
    return 201, {"version": state.rollback(session.pk, version, tag=payload.tag)}


@router.get("/{session_id}/state/diff", response={200: list[dict[str, Any]], **ERRORS}, operation_id="state_diff",
            summary="JSON Patch between two versions",
            openapi_extra={"responses": {200: {"description": "RFC 6902 operations", "content": {"application/json": {
                "schema": {"type": "array", "items": {"type": "object"}},
                "example": [{"op": "replace", "path": "/step", "value": "payment"}]}}}}})
def diff(request: ApiRequest, session_id: uuid.UUID, query: Query[DiffQuery]) -> list[dict[str, Any]]:
    """The RFC 6902 patch turning version ``a`` into ``b`` (empty when equal)."""
    session = caller_session(request, session_id)
    return state.diff_versions(session.pk, _version(query.a), _version(query.b))
