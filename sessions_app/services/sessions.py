"""Session lifecycle writes: create, rename, archive, unarchive, delete."""
from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..exceptions import InvalidInput, SessionGone
from ..models import ChatSession

MAX_TITLE = 200


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if "\x00" in title:
        raise InvalidInput("title must not contain NUL characters")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title is longer than {MAX_TITLE} characters")
    return title


@transaction.atomic
def session_create(
    *,
    owner: AbstractBaseUser,
    title: str = "",
    tenant: str = "",
    metadata: dict[str, Any] | None = None,
    session_id: uuid.UUID | str | None = None,
    cache_ttl: int | None = None,
) -> ChatSession:
    """Create a conversation owned by ``owner`` and return it.

    ``session_id`` may be given (a UUID or its string) to create a known id; otherwise a random
    UUID4 is used. Raises ``InvalidInput`` for a bad id, title or metadata.
    """
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object")
    kwargs: dict[str, Any] = {}
    if session_id is not None:
        try:
            kwargs["id"] = session_id if isinstance(session_id, uuid.UUID) else uuid.UUID(str(session_id))
        except ValueError:
            raise InvalidInput(f"{session_id!r} is not a valid session id (UUID)") from None
    return ChatSession.objects.create(
        owner=owner,
        title=_clean_title(title),
        tenant=tenant or "",
        metadata=metadata or {},
        cache_ttl=cache_ttl,
        **kwargs,
    )


@transaction.atomic
def session_rename(*, session: ChatSession, title: str) -> ChatSession:
    """Set the title (stripped, at most 200 characters). Raises ``InvalidInput``, ``SessionGone``."""
    title = _clean_title(title)
    if not ChatSession.objects.filter(pk=session.pk).update(title=title):
        raise SessionGone()
    session.title = title
    return session


Actor = Any
"""Who performs a lifecycle change: a ``User`` (admin, UI, API) or a job name such as
``"command:apply_retention"`` or ``"task:apply_retention"``; recorded by the audit log."""


@transaction.atomic
def session_archive(*, session: ChatSession, actor: Actor = None) -> ChatSession:
    """Make the session read-only (``status=archived``); idempotent. Raises ``SessionGone``."""
    now = timezone.now()
    updated = ChatSession.objects.filter(pk=session.pk, status=ChatSession.Status.ACTIVE).update(
        status=ChatSession.Status.ARCHIVED, archived_at=now
    )
    if not updated and not ChatSession.objects.filter(pk=session.pk).exists():
        raise SessionGone()
    session.refresh_from_db()
    return session


@transaction.atomic
def session_unarchive(*, session: ChatSession, actor: Actor = None) -> ChatSession:
    """Make an archived session writable again; idempotent. Raises ``SessionGone``."""
    updated = ChatSession.objects.filter(pk=session.pk, status=ChatSession.Status.ARCHIVED).update(
        status=ChatSession.Status.ACTIVE, archived_at=None, last_active_at=timezone.now()
    )
    if not updated and not ChatSession.objects.filter(pk=session.pk).exists():
        raise SessionGone()
    session.refresh_from_db()
    return session


@transaction.atomic
def session_delete(*, session_id: uuid.UUID, actor: Actor = None) -> int:
    """Delete a session and everything hanging off it (messages cascade in the database).

    Returns the number of deleted messages (0 when the session was already gone: idempotent).
    """
    deleted, per_model = ChatSession.objects.filter(pk=session_id).delete()
    return int(per_model.get("sessions_app.ChatMessage", 0))
