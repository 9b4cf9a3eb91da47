"""Versioned JSON state beside a conversation: the public API.

Applications keep small structured state next to a chat (a form being filled, an agent's
scratchpad, user preferences …). Every save is a new immutable version; tags name snapshots;
a rollback is a new version equal to an old one, so history is never rewritten::

    from sessions_app import state

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
"""
from __future__ import annotations

import uuid
from typing import Any, TypedDict

import jsonpatch

from . import selectors
from .exceptions import InvalidInput
from .models import SessionState
from .services.state import state_rollback, state_save


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


def _get_version(pk: uuid.UUID, version: int | str | None) -> SessionState:
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
    Concurrent saves on one session never share a number (see ``services.state_save``).
    """
    pk = _session_pk(session_id, user)
    return state_save(session_id=pk, state=state, tag=tag).version


def load_state(session_id: Any, version: int | str | None = None, *, user: Any = None) -> Any:
    """The state of ``version`` (a number, or a tag name), or of the latest version if ``None``.

    Raises ``InvalidInput`` if there is no such version (or no state at all).
    """
    return _get_version(_session_pk(session_id, user), version).state


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
    old = _get_version(pk, version)
    return state_rollback(session_id=pk, version=old.version, tag=tag).version


def diff_versions(session_id: Any, a: int | str, b: int | str, *, user: Any = None) -> list[dict[str, Any]]:
    """The RFC 6902 JSON Patch turning version ``a`` into version ``b`` (``jsonpatch``).

    A list of operations such as ``{"op": "replace", "path": "/step", "value": "payment"}``;
    empty when the two are equal. ``jsonpatch.apply_patch(load_state(a), patch) == load_state(b)``.
    """
    pk = _session_pk(session_id, user)
    return list(jsonpatch.make_patch(_get_version(pk, a).state, _get_version(pk, b).state).patch)
