"""Writes of versioned session state: save, rollback, prune (public API: ``sessions_app.state``)."""
from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from ..exceptions import InvalidInput, SessionNotFound, SessionReadOnly
from ..models import ChatSession, SessionState

MAX_TAG = 100


def _clean_tag(tag: str | None) -> str | None:
    if tag is None:
        return None
    if not isinstance(tag, str) or not tag.strip():
        raise InvalidInput("tag must be a non-empty string")
    tag = tag.strip()
    if len(tag) > MAX_TAG or "\x00" in tag:
        raise InvalidInput(f"tag must be at most {MAX_TAG} characters, without NUL")
    if tag.isdigit():
        raise InvalidInput("tag must not be a plain number (it would read like a version)")
    return tag


def _check_json(state: Any) -> Any:
    try:
        json.dumps(state, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"state is not JSON-serializable: {exc}") from None
    return state


def _lock_writable_session(session_id: uuid.UUID) -> ChatSession:
    """Lock the session row (the version allocator's mutex) and check it takes writes."""
    session = ChatSession.objects.select_for_update().filter(pk=session_id).first()
    if session is None:
        raise SessionNotFound(f"no session {session_id}")
    if session.is_archived:
        raise SessionReadOnly(f"session {session_id} is archived; unarchive it to save state")
    return session


@transaction.atomic
def state_save(
    *, session_id: uuid.UUID, state: Any, tag: str | None = None, source_version: int | None = None
) -> SessionState:
    """Store ``state`` (any JSON value) as the session's next version and return the row.

    Concurrency: the session row is locked (``SELECT … FOR UPDATE``; on SQLite the IMMEDIATE
    transaction holds the write lock) before ``MAX(version) + 1`` is read, so concurrent saves
    on one session queue and get consecutive numbers; ``UniqueConstraint(session, version)`` is
    the backstop. Raises ``SessionNotFound`` (no such session), ``SessionReadOnly`` (archived),
    ``InvalidInput`` (not JSON, bad tag, tag already used in this session).
    """
    tag = _clean_tag(tag)
    _check_json(state)
    _lock_writable_session(session_id)
    if tag is not None and SessionState.objects.filter(session_id=session_id, tag=tag).exists():
        raise InvalidInput(f"tag {tag!r} is already used in this session")
    last = SessionState.objects.filter(session_id=session_id).aggregate(v=Max("version"))["v"] or 0
    try:
        with transaction.atomic():
            return SessionState.objects.create(
                session_id=session_id, version=last + 1, state=state, tag=tag, source_version=source_version
            )
    except IntegrityError:
        # Only reachable if something wrote versions without the lock; never silently renumber.
        raise InvalidInput(f"version {last + 1} or tag {tag!r} was taken concurrently; retry") from None


@transaction.atomic
def state_rollback(*, session_id: uuid.UUID, version: int, tag: str | None = None) -> SessionState:
    """Save a new version equal to ``version``; history is never rewritten.

    Returns the new row (its ``source_version`` is ``version``). Raises ``InvalidInput`` for an
    unknown version, plus whatever ``state_save`` raises.
    """
    _lock_writable_session(session_id)
    old = SessionState.objects.filter(session_id=session_id, version=version).values_list("state", flat=True)
    if not old:
        raise InvalidInput(f"session {session_id} has no state version {version}")
    return state_save(session_id=session_id, state=old[0], tag=tag, source_version=version)


@transaction.atomic
def state_prune(*, session_id: uuid.UUID, keep: int) -> int:
    """Delete the session's untagged versions older than its ``keep`` newest; return how many.

    Tagged versions (named snapshots) are kept whatever their age; the newest version is always
    kept. Version numbers are never reused (the next save still takes ``MAX(version) + 1``).
    """
    if keep < 1:
        raise InvalidInput("keep must be at least 1")
    newest = list(
        SessionState.objects.filter(session_id=session_id).order_by("-version").values_list("version", flat=True)[
            :keep
        ]
    )
    if len(newest) < keep:
        return 0
    deleted, _ = SessionState.objects.filter(
        session_id=session_id, tag__isnull=True, version__lt=newest[-1]
    ).delete()
    return deleted
