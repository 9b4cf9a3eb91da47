"""Session lifecycle writes: create, rename, archive, unarchive, delete."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .. import cache
from ..exceptions import InvalidInput, SessionGone
from ..governance.audit import Actor
from ..governance.lifecycle import sessions_archive, sessions_delete, sessions_unarchive
from ..models import TITLE_MAX_LENGTH, ChatSession, DeletedSession

if TYPE_CHECKING:
    from django.contrib.auth.models import User



MIN_CACHE_TTL = 60  # seconds


def _clean_cache_ttl(seconds: int | None) -> int | None:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < MIN_CACHE_TTL:
        raise InvalidInput(f"cache_ttl must be an integer of at least {MIN_CACHE_TTL} seconds")
    return seconds


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if "\x00" in title:
        raise InvalidInput("title must not contain NUL characters")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidInput(f"title is longer than {TITLE_MAX_LENGTH} characters")
    return title


@transaction.atomic
def session_create(
    *,
    owner: User,
    title: str = "",
    tenant: str = "",
    metadata: dict[str, Any] | None = None,
    session_id: uuid.UUID | str | None = None,
    cache_ttl: int | None = None,
    expires_at: datetime | None = None,
) -> ChatSession:
    """Create a conversation owned by ``owner`` and return it.

    ``session_id`` may be given (a UUID or its string) to create a known id; otherwise a random
    UUID4 is used. ``metadata`` is free JSON (``{"channel": "web", "language": "de"}``; the key
    ``keep_state_versions`` opts into state-version retention, see ``governance.retention``).
    ``expires_at`` (timezone-aware) makes the session ephemeral: retention deletes it after
    that instant. ``cache_ttl`` is the session's cache TTL in seconds (at least 60; ``None`` for
    ``CHATMEMORY_CACHE_TTL``). Raises ``InvalidInput`` for a bad id, title, metadata, expiry or TTL,
    and ``SessionGone`` (410) for the id of a deleted conversation (``models.DeletedSession``): a
    deleted conversation is never re-created, e.g. by a ``RunnableWithMessageHistory`` factory
    (``DjangoChatMessageHistory.for_user``) called again with its id.
    """
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object")
    if expires_at is not None and timezone.is_naive(expires_at):
        raise InvalidInput("expires_at must be timezone-aware")
    kwargs: dict[str, Any] = {}
    if session_id is not None:
        try:
            kwargs["id"] = session_id if isinstance(session_id, uuid.UUID) else uuid.UUID(str(session_id))
        except ValueError:
            raise InvalidInput(f"{session_id!r} is not a valid session id (UUID)") from None
    session = ChatSession.objects.create(
        owner=owner,
        title=_clean_title(title),
        tenant=tenant or "",
        metadata=metadata or {},
        cache_ttl=_clean_cache_ttl(cache_ttl),
        expires_at=expires_at,
        **kwargs,
    )
    if kwargs:  # a chosen id: after the INSERT, which waited for a concurrent delete of that id (if any)
        DeletedSession.refuse(session.pk)
    return session


@transaction.atomic
def session_rename(*, session: ChatSession, title: str) -> ChatSession:
    """Set the title (stripped, at most ``TITLE_MAX_LENGTH`` characters). Raises ``InvalidInput``, ``SessionGone``."""
    title = _clean_title(title)
    if not ChatSession.objects.filter(pk=session.pk).update(title=title):
        raise SessionGone()
    session.title = title
    cache.evict_after_commit(session.pk)  # the cached meta carries the title
    return session


@transaction.atomic
def session_set_cache_ttl(*, session: ChatSession, seconds: int | None) -> ChatSession:
    """Set the session's cache TTL in seconds (``None``: back to ``CHATMEMORY_CACHE_TTL``).

    Raises ``InvalidInput`` under 60 seconds (or for a non-integer) and ``SessionGone``. The
    cached entry is evicted after the commit; the next read repopulates it with the new TTL.
    """
    seconds = _clean_cache_ttl(seconds)
    if not ChatSession.objects.filter(pk=session.pk).update(cache_ttl=seconds):
        raise SessionGone()
    session.cache_ttl = seconds
    cache.evict_after_commit(session.pk)
    return session


@transaction.atomic
def session_set_expiry(*, session: ChatSession, expires_at: datetime | None) -> ChatSession:
    """Set (or with ``None`` clear) the instant after which retention deletes the session.

    Raises ``InvalidInput`` for a naive datetime, ``SessionGone`` if the session was deleted.
    """
    if expires_at is not None and timezone.is_naive(expires_at):
        raise InvalidInput("expires_at must be timezone-aware")
    if not ChatSession.objects.filter(pk=session.pk).update(expires_at=expires_at):
        raise SessionGone()
    session.expires_at = expires_at
    return session


@transaction.atomic
def session_archive(*, session: ChatSession, actor: Actor = None) -> ChatSession:
    """Make the session read-only (``status=archived``); audited; idempotent.

    ``actor`` is the user or job doing it (see ``governance.audit.Actor``). Archiving an archived
    session changes nothing and writes no audit entry. Raises ``SessionGone`` if it was deleted.
    """
    if not sessions_archive(session_ids=[session.pk], actor=actor):
        if not ChatSession.objects.filter(pk=session.pk).exists():
            raise SessionGone()
    session.refresh_from_db()
    return session


@transaction.atomic
def session_unarchive(*, session: ChatSession, actor: Actor = None) -> ChatSession:
    """Make an archived session writable again; audited; idempotent. Raises ``SessionGone``."""
    if not sessions_unarchive(session_ids=[session.pk], actor=actor):
        if not ChatSession.objects.filter(pk=session.pk).exists():
            raise SessionGone()
    session.refresh_from_db()
    return session


@transaction.atomic
def session_delete(*, session_id: uuid.UUID, actor: Actor = None) -> int:
    """Hard-delete a session and everything hanging off it; audited; idempotent.

    Deletes its messages, state versions and LangGraph checkpoints, writes an ``AuditLogEntry``
    (action ``delete``) and evicts it from the cache (see ``governance.lifecycle.sessions_delete``).
    Returns the number of deleted messages (0 when the session was already gone).
    """
    return sessions_delete(session_ids=[session_id], actor=actor).messages


@transaction.atomic
def session_set_metadata(*, session: ChatSession, metadata: dict[str, Any]) -> ChatSession:
    """Replace the session's metadata (a JSON object). Raises ``InvalidInput``, ``SessionGone``."""
    if not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object")
    if not ChatSession.objects.filter(pk=session.pk).update(metadata=metadata):
        raise SessionGone()
    session.metadata = metadata
    return session
