"""Erasure of everything one user owns (the "right to be forgotten")."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum

from ..models import AuditLogEntry, ChatSession, Checkpoint, DeletedSession, Folder, SessionState, ShareLink, StoreItem
from .audit import Actor, audit_record
from .lifecycle import delete_checkpoints, evict_cached_sessions, sessions_delete


@dataclass(frozen=True)
class ErasureSummary:
    """What ``user_erase`` deleted (or, with ``dry_run``, would delete)."""

    user_id: int
    sessions: int
    messages: int
    state_versions: int
    checkpoints: int
    other_rows: dict[str, int]
    dry_run: bool


def user_erase_preview(*, user: Any) -> ErasureSummary:
    """Count what ``user_erase`` would delete, without deleting anything."""
    sessions = ChatSession.objects.owned_by(user)
    thread_ids = [str(pk) for pk in sessions.values_list("pk", flat=True)]
    checkpoints = sum(
        Checkpoint.objects.filter(thread_id__in=thread_ids[i : i + 1000]).count()
        for i in range(0, len(thread_ids), 1000)
    )
    return ErasureSummary(
        user_id=user.pk,
        sessions=len(thread_ids),
        messages=sessions.aggregate(n=Sum("message_count"))["n"] or 0,
        state_versions=SessionState.objects.filter(session__owner=user).count(),
        checkpoints=checkpoints,
        other_rows={StoreItem._meta.label: StoreItem.objects.owned_by(user.pk).count()},
        dry_run=True,
    )


@transaction.atomic
def user_erase(*, user: Any, actor: Actor) -> ErasureSummary:
    """Delete one user and everything they own, in one transaction; audited; evicts the cache.

    Deletes the user's sessions with their messages (and so their search index entries), state
    versions, share links and LangGraph checkpoints, their long-term memory (store items whose
    namespace is theirs: ``StoreItem.owner_id``), then
    the user row, whose other dependants (API tokens, Django admin log rows …) go with it
    through their ``on_delete=CASCADE`` foreign keys. The audit entry (action ``erase``) keeps
    the user's id in ``target_user_id`` and the counts, not the username. Audit entries the
    user wrote as an actor stay, with ``user`` set to ``NULL`` (``actor`` keeps the name they
    acted under; an actor erasing themself is recorded as ``user=NULL`` too).

    Never resurrect: the session rows are locked (``SELECT … FOR UPDATE``, primary-key order)
    before anything is deleted, and each leaves a tombstone (``DeletedSession``, reason ``erase``),
    as in ``lifecycle.sessions_delete``: late appends, re-creates and graph writes are refused.
    """
    user_id = user.pk
    if actor is not None and not isinstance(actor, str) and getattr(actor, "pk", None) == user_id:
        actor = actor.get_username()  # the row is about to go; keep the name only
    user_model = get_user_model()
    user_model.objects.select_for_update().filter(pk=user_id).first()  # lock: no new sessions meanwhile
    # Lock the sessions first: a graph write racing the erasure waits here, then finds them gone.
    session_ids = tuple(
        ChatSession.objects.owned_by(user).select_for_update().order_by("pk").values_list("pk", flat=True)
    )
    states, _ = SessionState.objects.filter(session_id__in=session_ids).delete()
    share_links, _ = ShareLink.objects.filter(owner_id=user_id).delete()  # every link of theirs: 404 from now on
    checkpoints = delete_checkpoints(session_ids)
    # Long-term memory under the user's namespaces (sessions_app.store.namespaces), every tenant.
    _, store_rows = StoreItem.objects.owned_by(user_id).delete()
    DeletedSession.record(session_ids, reason=AuditLogEntry.Action.ERASE)
    deleted_messages = 0
    # Sessions in chunks keep the IN lists small; messages go by one DELETE per chunk (cascade).
    for start in range(0, len(session_ids), 1000):
        chunk = session_ids[start : start + 1000]
        _, per_model = ChatSession.objects.filter(pk__in=chunk).delete()
        deleted_messages += int(per_model.get("sessions_app.ChatMessage", 0))
    _, per_model = user_model.objects.filter(pk=user_id).delete()
    other = {
        label: n
        for label, n in per_model.items()
        if label not in {user_model._meta.label, ChatSession._meta.label} and n
    }
    if store_rows.get(StoreItem._meta.label):
        other[StoreItem._meta.label] = store_rows[StoreItem._meta.label]
    summary = ErasureSummary(
        user_id=user_id,
        sessions=len(session_ids),
        messages=deleted_messages,
        state_versions=states,
        checkpoints=checkpoints,
        other_rows=other,
        dry_run=False,
    )
    audit_record(
        action=AuditLogEntry.Action.ERASE,
        actor=actor,
        session_ids=session_ids,
        target_user_id=user_id,
        sessions=summary.sessions,
        messages=summary.messages,
        details={"state_versions": states, "checkpoints": checkpoints, "share_links": share_links,
                 "other_rows": other},
    )
    evict_cached_sessions(session_ids, deleted=True)
    return summary


def user_erase_conversations(*, user: Any, actor: Actor, batch_size: int = 500) -> ErasureSummary:
    """Delete every conversation of ``user`` and their folders, keeping the account ("Delete all my
    conversations"); the self-service twin of ``user_erase``.

    Each batch goes through ``lifecycle.sessions_delete`` — the writer every delete path shares:
    rows locked, messages (and with them their search index entries), state versions, share links
    and LangGraph checkpoints deleted, the cache evicted after the commit — and is audited as
    ``erase`` with ``details.scope = "conversations"`` and the user's id. One transaction per batch:
    an interrupted run leaves whole conversations, and running it again finishes the job.
    """
    totals = {"sessions": 0, "messages": 0, "state_versions": 0, "checkpoints": 0}
    while ids := list(ChatSession.objects.owned_by(user).order_by("pk").values_list("pk", flat=True)[:batch_size]):
        result = sessions_delete(session_ids=ids, actor=actor, action=AuditLogEntry.Action.ERASE,
                                 details={"scope": "conversations", "user_id": user.pk})
        if not result.session_ids:  # someone else deleted them meanwhile: look again
            continue
        totals["sessions"] += result.sessions
        totals["messages"] += result.messages
        totals["state_versions"] += result.state_versions
        totals["checkpoints"] += result.checkpoints
    folders, _ = Folder.objects.filter(owner=user).delete()
    return ErasureSummary(user_id=user.pk, other_rows={"sessions_app.Folder": folders} if folders else {},
                          dry_run=False, **totals)
