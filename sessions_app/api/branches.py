"""``/api/sessions/{id}/branches``: fork a conversation before one of its messages; list its branches.

A branch is an ordinary session (``conversations.branches``): chat on it with
``POST /api/sessions/{branch}/chat``; its history and LangGraph thread are its own linear history.
To regenerate the answer at ``seq`` ``s``: branch with ``before_seq = s - 1`` and send the same
question to the branch; to edit your message ``s``: branch with ``before_seq = s`` and send the new text.
"""
from __future__ import annotations

import uuid

from ninja import Router

from ..conversations.branches import branch_list, session_branch
from ..models import ChatSession
from .auth import ApiRequest, caller_session
from .schemas.common import ErrorOut
from .schemas.sessions import BranchIn, SessionOut

router = Router(tags=["branches"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.post("/{session_id}/branches", response={201: SessionOut, **ERRORS, 409: ErrorOut, 410: ErrorOut},
             operation_id="session_branch", summary="Branch a session before one of its messages")
def create_branch(request: ApiRequest, session_id: uuid.UUID, payload: BranchIn) -> tuple[int, ChatSession]:
    """A new session with this session's messages before ``before_seq`` (same seqs, records and
    times), ``parent_id`` this session, ``branched_at_seq`` = ``before_seq``. The session itself is
    not changed. Its LangGraph thread, when it has one, is forked at the checkpoint holding exactly
    those messages. 400 when ``before_seq`` is past ``last_seq + 1``, 409 for an archived session."""
    return 201, session_branch(session=caller_session(request, session_id), before_seq=payload.before_seq).session


@router.get("/{session_id}/branches", response={200: list[SessionOut], **ERRORS}, operation_id="session_branches",
            summary="List the branches made from a session")
def list_branches(request: ApiRequest, session_id: uuid.UUID) -> list[ChatSession]:
    """The sessions branched from this one, oldest first (a session's own ``parent_id`` says where it comes from)."""
    return branch_list(session=caller_session(request, session_id))
