"""``/api/sessions``: the caller's conversations (thin: selectors read, services write)."""
from __future__ import annotations

import uuid

from django.http import HttpRequest
from ninja import Router

from .. import services
from ..exceptions import InvalidInput
from ..models import ChatSession
from .auth import caller_session, caller_tenant
from .schemas.common import ErrorOut
from .schemas.sessions import SessionCreateIn, SessionOut

router = Router(tags=["sessions"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.post("", response={201: SessionOut, **ERRORS}, operation_id="session_create", summary="Create a session")
def create_session(request: HttpRequest, payload: SessionCreateIn) -> tuple[int, ChatSession]:
    """Create a conversation owned by the caller. A token bound to a tenant creates sessions of
    that tenant only (another ``tenant`` in the body is a 400)."""
    bound = caller_tenant(request)
    tenant = payload.tenant if payload.tenant is not None else (bound or "")
    if bound is not None and tenant != bound:
        raise InvalidInput(f"this token is bound to tenant {bound!r}")
    session = services.session_create(
        owner=request.auth, title=payload.title, tenant=tenant, metadata=payload.metadata, cache_ttl=payload.cache_ttl
    )
    return 201, session


@router.get("/{session_id}", response={200: SessionOut, **ERRORS}, operation_id="session_get", summary="Get a session")
def get_session(request: HttpRequest, session_id: uuid.UUID) -> ChatSession:
    """One of the caller's sessions; anyone else's id is a 404."""
    return caller_session(request, session_id)
