"""Versioned JSON state beside a conversation: the one state module (writes and reads).

Applications keep small structured state next to a chat (a form being filled, an agent's
scratchpad, user preferences …). Every save is a new immutable version; tags name snapshots;
a rollback is a new version equal to an old one, so history is never rewritten::

    from sessions_app.governance import state

    v1 = state.save_state(session_id, {"step": "address", "cart": []})
    v2 = state.save_state(session_id, {"step": "payment", "cart": ["book"]}, tag="checkout")
    state.load_state(session_id)               # -> {"step": "payment", "cart": ["book"]}
    state.load_state(session_id, version=v1)   # -> the first one
    state.diff_versions(session_id, v1, v2)    # -> RFC 6902 JSON Patch from v1 to v2
    state.rollback(session_id, v1)             # -> v3, equal to v1

Every function takes an optional ``user=``: when given, the session must belong to that user
(``selectors.session_get_for_user``: anyone else's id is ``SessionNotFound``, 404). Without it
the caller is trusted server-side code. Errors: ``SessionNotFound`` (404), ``SessionReadOnly``
(409, archived session on a write), ``InvalidInput`` (400: unknown version or tag, state not
JSON, tag taken).

The writes underneath (``state_save``, ``state_rollback``, ``state_prune``: keyword-only, in a
transaction, no ownership gate) are for services that already hold a gated session id;
``state_get`` returns the ``SessionState`` row of a version (the API serializes it).
"""
from __future__ import annotations

import json
import uuid
from typing import Any, TypedDict

import jsonpatch
from django.db import IntegrityError, transaction
from django.db.models import Max

from ..conversations import selectors
from ..exceptions import InvalidInput, SessionNotFound, SessionReadOnly
from ..models import ChatSession, DeletedSession, SessionState

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
        DeletedSession.refuse(session_id)  # deleted (meanwhile): SessionGone, as for messages
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
    the backstop. Raises ``SessionNotFound`` (no such session), ``SessionGone`` (deleted: its
    tombstone; nothing stored), ``SessionReadOnly`` (archived),
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


# -- the public API (reads, and writes behind the optional ownership gate) ------------------------------
class VersionInfo(TypedDict):
    """One row of ``list_versions``: no state payload, just what identifies the version."""

    version: int
    tag: str | None
    source_version: int | None
    created_at: str  # ISO 8601, UTC


def _session_pk(session_id: Any, user: Any) -> uuid.UUID:
    if user is not None:
        return selectors.session_get_for_user(session_id=session_id, user=user).pk
    return selectors.session_get(session_id=session_id).pk


def state_get(pk: uuid.UUID, version: int | str | None) -> SessionState:
    """The ``SessionState`` row of ``version`` (a number or a tag; the latest if ``None``).

    Raises ``InvalidInput`` (400) when the session has no such version or no state at all.
    """
    qs = SessionState.objects.for_session(pk)
    if version is None:
        row = qs.order_by("-version").first()
        if row is None:
            raise InvalidInput(f"session {pk} has no saved state")
        return row
    if isinstance(version, str) and not version.isdigit():
        row = qs.filter(tag=version).first()
        what = f"tag {version!r}"
    else:
        try:
            number = int(version)
        except (TypeError, ValueError):
            raise InvalidInput(f"{version!r} is not a version number or tag") from None
        row = qs.filter(version=number).first()
        what = f"version {number}"
    if row is None:
        raise InvalidInput(f"session {pk} has no state {what}")
    return row


def save_state(session_id: Any, state: Any, tag: str | None = None, *, user: Any = None) -> int:
    """Save ``state`` (any JSON value) as a new version; return its number (1, 2, 3 …).

    ``tag`` names the version as a snapshot (unique per session; not a plain number).
    Concurrent saves on one session never share a number (see ``state_save``).
    """
    pk = _session_pk(session_id, user)
    return state_save(session_id=pk, state=state, tag=tag).version


def load_state(session_id: Any, version: int | str | None = None, *, user: Any = None) -> Any:
    """The state of ``version`` (a number, or a tag name), or of the latest version if ``None``.

    Raises ``InvalidInput`` if there is no such version (or no state at all).
    """
    return state_get(_session_pk(session_id, user), version).state


def list_versions(session_id: Any, *, user: Any = None) -> list[VersionInfo]:
    """Every stored version, oldest first, without the state payloads."""
    pk = _session_pk(session_id, user)
    rows = SessionState.objects.for_session(pk).order_by("version").values(
        "version", "tag", "source_version", "created_at"
    )
    return [
        VersionInfo(
            version=r["version"], tag=r["tag"], source_version=r["source_version"],
            created_at=r["created_at"].isoformat(),
        )
        for r in rows
    ]


def rollback(session_id: Any, version: int | str, *, tag: str | None = None, user: Any = None) -> int:
    """Save a new version equal to ``version`` (a number or tag); return the new number."""
    pk = _session_pk(session_id, user)
    old = state_get(pk, version)
    return state_rollback(session_id=pk, version=old.version, tag=tag).version


def diff_versions(session_id: Any, a: int | str, b: int | str, *, user: Any = None) -> list[dict[str, Any]]:
    """The RFC 6902 JSON Patch turning version ``a`` into version ``b`` (``jsonpatch``).

    A list of operations such as ``{"op": "replace", "path": "/step", "value": "payment"}``;
    empty when the two are equal. ``jsonpatch.apply_patch(load_state(a), patch) == load_state(b)``.
    """
    pk = _session_pk(session_id, user)
    return list(jsonpatch.make_patch(state_get(pk, a).state, state_get(pk, b).state).patch)
