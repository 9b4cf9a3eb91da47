"""The audit log's one writer: every destructive or data-moving service calls ``audit_record``."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from ..models import AuditLogEntry

Actor = Any
"""Who performs a lifecycle change: a ``User`` (admin, UI, API), a job name such as
``"command:apply_retention"`` / ``"task:apply_retention"``, or ``None`` (recorded as
``"system"``)."""

SYSTEM_ACTOR = "system"
MAX_SESSION_IDS = 10_000
"""At most this many ids are listed in one entry; ``details["session_ids_truncated"]`` says so."""


def actor_fields(actor: Actor) -> tuple[Any, str]:
    """``(user or None, actor label)`` for an actor given as a user, a job name or ``None``."""
    if actor is None:
        return None, SYSTEM_ACTOR
    if isinstance(actor, str):
        return None, actor[:150] or SYSTEM_ACTOR
    if isinstance(actor, get_user_model()):
        if not getattr(actor, "is_authenticated", False) or actor.pk is None:
            return None, "anonymous"
        return actor, actor.get_username()[:150]
    raise TypeError(f"actor must be a user, a job name or None, not {type(actor).__name__}")


def audit_record(
    *,
    action: str,
    actor: Actor,
    session_id: uuid.UUID | None = None,
    session_ids: Iterable[uuid.UUID | str] = (),
    target_user_id: int | None = None,
    sessions: int = 0,
    messages: int = 0,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Append one ``AuditLogEntry``; call it inside the transaction of the write it describes.

    ``action`` is one of ``AuditLogEntry.Action``; ``sessions`` / ``messages`` are row counts.
    Raises ``ValueError`` for an unknown action (a programming error, not user input).
    """
    if action not in AuditLogEntry.Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    user, label = actor_fields(actor)
    ids = [str(s) for s in session_ids]
    details = dict(details or {})
    if len(ids) > MAX_SESSION_IDS:
        details["session_ids_truncated"] = len(ids) - MAX_SESSION_IDS
        ids = ids[:MAX_SESSION_IDS]
    return AuditLogEntry.objects.create(
        action=action,
        user=user,
        actor=label,
        session_id=session_id,
        session_ids=ids,
        target_user_id=target_user_id,
        sessions=sessions,
        messages=messages,
        details=details,
    )
