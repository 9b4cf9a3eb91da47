"""Batch lifecycle writes shared by every path: UI, admin single/bulk, commands, Celery tasks.

``session_archive`` / ``session_delete`` (one session) and retention / bulk admin actions / user
erasure (many sessions) all end up here, so each of them writes the audit log, deletes what hangs
off a session and evicts the cache the same way, inside one transaction per batch.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from .. import cache
from ..models import AuditLogEntry, ChatMessage, ChatSession, DeletedSession, SessionState, ShareLink, StoreItem
from .audit import Actor, audit_record


@dataclass(frozen=True)
class DeleteResult:
    """Rows deleted by one batch: sessions, messages, state versions and LangGraph checkpoints."""

    session_ids: tuple[uuid.UUID, ...]
    messages: int = 0
    state_versions: int = 0
    checkpoints: int = 0

    @property
    def sessions(self) -> int:
        return len(self.session_ids)


def evict_cached_sessions(session_ids: Sequence[uuid.UUID], *, deleted: bool = False) -> None:
    """Drop the sessions' entries from the active-session cache once the transaction commits.

    Called inside the database write of every archive / unarchive / delete path, so admin
    single and bulk actions, commands, tasks and erasure all evict the same way (see
    ``sessions_app.cache.evict_after_commit``: until the commit, this connection reads those
    sessions from the database; a cache failure is logged and the eviction retried later).
    ``deleted=True`` for deleted sessions: no late cache update writes their content back.
    """
    cache.evict_after_commit(*session_ids, gone=deleted)


def delete_checkpoints(session_ids: Sequence[uuid.UUID]) -> int:
    """Delete the LangGraph checkpoints of the sessions' threads; return how many checkpoints.

    A session's LangGraph thread is ``thread_id = str(session.id)`` (every ``checkpoint_ns``),
    deleted with its pending writes and channel blobs (``checkpoint.maintenance.delete_threads``).
    """
    from ..checkpoint.maintenance import delete_threads

    return delete_threads([str(s) for s in session_ids])


@transaction.atomic
def sessions_delete(
    *,
    session_ids: Sequence[uuid.UUID],
    actor: Actor,
    action: str = AuditLogEntry.Action.DELETE,
    still: QuerySet[ChatSession] | None = None,
    details: dict[str, Any] | None = None,
) -> DeleteResult:
    """Hard-delete the sessions and everything hanging off them; audit it; evict the cache.

    The session rows are locked first (``SELECT … FOR UPDATE`` on PostgreSQL) and
    ``still`` (the sessions that still qualify, e.g. a retention step's
    filter) is re-checked under that lock, so a session that retention selected but
    that changed meanwhile (e.g. was unarchived) is left alone. Messages and state versions are
    deleted with one ``DELETE … WHERE session_id IN (…)`` each — never loaded into memory —, so
    are their share links, then the checkpoints of their threads and their store items
    (``StoreItem.session_id``), then the sessions (the search index entries go with the message
    rows: ``sessions_app.search.schema``). Ids already gone are skipped
    (idempotent); nothing is audited when nothing was deleted. Keep batches to a few thousand ids.

    Never resurrect: each deleted session leaves a tombstone (``DeletedSession``, reason
    ``action``) in this transaction, so nothing arriving late brings it back — an append from a
    history made before (``SessionGone``: the row is gone), a re-create under its id
    (``session_create``, ``for_user``, an import: ``SessionGone``), a graph still writing to its
    thread (``DjangoSaver``: ``ThreadGone``; a write racing this delete waits for the row lock held
    here, then finds the row gone).
    """
    ids = _lock(ChatSession.objects.filter(pk__in=list(session_ids)), still)
    if not ids:
        return DeleteResult(session_ids=())
    messages, _ = ChatMessage.objects.filter(session_id__in=ids).delete()
    states, _ = SessionState.objects.filter(session_id__in=ids).delete()
    share_links, _ = ShareLink.objects.filter(session_id__in=ids).delete()  # their pages answer 404 from now on
    checkpoints = delete_checkpoints(ids)
    _, store_rows = StoreItem.objects.filter(session_id__in=ids).delete()  # their summaries (memory)
    DeletedSession.record(ids, reason=action)
    ChatSession.objects.filter(pk__in=ids).delete()
    _audit_and_evict(
        ids, action=action, actor=actor, messages=messages, deleted=True,
        details={"state_versions": states, "checkpoints": checkpoints, "share_links": share_links,
                 "store_items": store_rows.get(StoreItem._meta.label, 0), **(details or {})},
    )
    return DeleteResult(session_ids=ids, messages=messages, state_versions=states, checkpoints=checkpoints)


@transaction.atomic
def sessions_archive(
    *,
    session_ids: Sequence[uuid.UUID],
    actor: Actor,
    still: QuerySet[ChatSession] | None = None,
    now: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[uuid.UUID, ...]:
    """Archive the *active* sessions among ``session_ids``; audit it; evict the cache.

    Returns the ids actually archived (already archived or deleted ones are skipped, so calling
    it twice changes nothing the second time). ``still`` is re-checked under the row
    lock (retention passes "still inactive since the cutoff").
    """
    return _set_status(
        session_ids, ChatSession.Status.ACTIVE, still, action=AuditLogEntry.Action.ARCHIVE, actor=actor,
        details=details, status=ChatSession.Status.ARCHIVED, archived_at=now or timezone.now(),
    )


@transaction.atomic
def sessions_unarchive(*, session_ids: Sequence[uuid.UUID], actor: Actor) -> tuple[uuid.UUID, ...]:
    """Make the *archived* sessions among ``session_ids`` writable again; audit it.

    Returns the ids actually unarchived (idempotent). ``last_active_at`` is set to now, so
    retention does not archive them again on its next run.
    """
    return _set_status(
        session_ids, ChatSession.Status.ARCHIVED, None, action=AuditLogEntry.Action.UNARCHIVE, actor=actor,
        details=None, status=ChatSession.Status.ACTIVE, archived_at=None, last_active_at=timezone.now(),
    )


def _lock(qs: QuerySet[ChatSession], still: QuerySet[ChatSession] | None) -> tuple[uuid.UUID, ...]:
    """Lock the rows of ``qs`` that are also in ``still`` (``SELECT … FOR UPDATE``, in primary-key
    order so that concurrent batches cannot deadlock); return their ids."""
    if still is not None:
        qs = qs & still
    return tuple(qs.select_for_update().order_by("pk").values_list("pk", flat=True))


def _audit_and_evict(
    ids: tuple[uuid.UUID, ...], *, action: str, actor: Actor, messages: int, details: dict[str, Any] | None,
    deleted: bool = False,
) -> None:
    """One audit entry for the batch (``session_id`` for one session, ``session_ids`` for more); evict them."""
    audit_record(
        action=action,
        actor=actor,
        session_id=ids[0] if len(ids) == 1 else None,
        session_ids=ids if len(ids) > 1 else (),
        sessions=len(ids),
        messages=messages,
        details=details,
    )
    evict_cached_sessions(ids, deleted=deleted)


def _set_status(
    session_ids: Sequence[uuid.UUID], current: str, still: QuerySet[ChatSession] | None, *, action: str, actor: Actor,
    details: dict[str, Any] | None, **fields: Any,
) -> tuple[uuid.UUID, ...]:
    """Update ``fields`` of the sessions among ``session_ids`` whose status is ``current``; audit; evict.

    The archive/unarchive twin of ``sessions_delete``; returns the ids changed (the caller holds
    the transaction).
    """
    ids = _lock(ChatSession.objects.filter(pk__in=list(session_ids), status=current), still)
    if not ids:
        return ()
    ChatSession.objects.filter(pk__in=ids).update(**fields)
    messages = ChatSession.objects.filter(pk__in=ids).aggregate(n=Sum("message_count"))["n"] or 0
    _audit_and_evict(ids, action=action, actor=actor, messages=messages, details=details)
    return ids
