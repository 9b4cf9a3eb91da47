"""Branches: a conversation forked before one of its messages (edit and regenerate; the API's
``POST /api/sessions/{id}/branches``).

A branch is a new ``ChatSession`` of the same owner (and tenant) with ``parent`` and
``branched_at_seq = s``: it holds copies of the parent's messages with ``seq < s`` — the same
seqs, LangChain records and times — and its own messages from ``s`` on. The parent is never
changed, so nothing is lost. Because a branch is an ordinary conversation, its
``DjangoChatMessageHistory`` returns exactly the branch's linear history, and its LangGraph thread
(``thread_id == str(branch.id)``) starts from the parent thread's checkpoint whose ``messages`` are
exactly those copied messages (``checkpoint.services.thread_fork``, LangGraph's own kind of fork),
when the parent has one; otherwise the branch has no thread until a graph writes one.

Versions of a message: the original conversation and every branch made at the same seq are
siblings ("‹ 2 / 3 ›" on the chat page). Branching a branch at its own fork point therefore
makes a sibling (its parent is the original), not a grandchild. Deleting a conversation keeps its
branches (``parent`` becomes NULL). Copying costs O(messages before the fork).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig

from ..checkpoint.saver import DjangoSaver
from ..checkpoint.services import thread_fork
from ..exceptions import InvalidInput, SessionGone, SessionReadOnly
from ..models import ChatMessage, ChatSession
from .serialization import from_records

logger = logging.getLogger("sessions_app.chat")

COPY_BATCH = 1000
THREAD_CHECKPOINTS_SCANNED = 200  # newest checkpoints of the parent thread looked at for the fork point


def _same(a: BaseMessage, b: BaseMessage) -> bool:
    return a.type == b.type and a.content == b.content


def _fork_thread(parent_id: str, branch_id: str, messages: list[BaseMessage]) -> str | None:
    """Fork the parent's LangGraph thread at the newest settled checkpoint (no pending writes: not
    an input or a step in progress) whose ``messages`` channel is exactly ``messages``; the
    checkpoint id, or ``None`` when the parent has no such checkpoint."""
    saver = DjangoSaver()
    config: RunnableConfig = {"configurable": {"thread_id": parent_id, "checkpoint_ns": ""}}
    for item in saver.list(config, limit=THREAD_CHECKPOINTS_SCANNED):
        if item.pending_writes or (item.metadata or {}).get("source") == "input":
            continue
        values = item.checkpoint.get("channel_values") or {}
        channel = values.get("messages")
        if not isinstance(channel, list) or len(channel) != len(messages):
            continue
        if all(isinstance(m, BaseMessage) and _same(m, n) for m, n in zip(channel, messages, strict=True)):
            checkpoint_id = item.config["configurable"]["checkpoint_id"]
            thread_fork(thread_id=parent_id, checkpoint_id=checkpoint_id, target_thread_id=branch_id)
            return str(checkpoint_id)
    return None


@dataclass(frozen=True)
class Branched:
    """What ``session_branch`` made: the branch, how many messages it copied, the forked checkpoint."""

    session: ChatSession
    copied: int
    checkpoint_id: str | None


def _check_seq(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{name} must be a message number (an integer of at least 1)")
    return value


@transaction.atomic
def session_branch(*, session: ChatSession, before_seq: int, versions_at: int | None = None) -> Branched:
    """Fork ``session`` before its message ``before_seq`` (see the module docstring).

    ``session`` has passed the ownership gate. ``before_seq`` is an integer from 1 to
    ``last_seq + 1`` (``last_seq + 1``: a branch with every message). ``versions_at`` is the seq
    this branch is a version of (``branched_at_seq``; default ``before_seq``): regenerating the
    answer ``s`` copies the messages before its question ``s - 1``, asks it again, and is a
    version of ``s``. Raises ``InvalidInput`` for a bad number, ``SessionReadOnly`` for an
    archived conversation, ``SessionGone`` if it was deleted. The branch, its messages and its
    thread are written in one transaction.
    """
    _check_seq(before_seq, "before_seq")
    versions_at = before_seq if versions_at is None else _check_seq(versions_at, "versions_at")
    if versions_at < before_seq:
        raise InvalidInput("versions_at must not come before before_seq")
    current = ChatSession.objects.select_for_update().filter(pk=session.pk).first()
    if current is None:
        raise SessionGone(f"session {session.pk} was deleted")
    if current.is_archived:
        raise SessionReadOnly("archived conversations cannot be branched; unarchive it first")
    if before_seq > current.last_seq + 1:
        raise InvalidInput(f"this conversation has no message {before_seq - 1}")
    # Versions of one message are siblings: a branch of a branch at its own fork point hangs off the original.
    sibling = current.parent_id is not None and current.branched_at_seq == versions_at
    branch = ChatSession.objects.create(
        owner_id=current.owner_id, tenant=current.tenant, title=current.title,
        metadata={"channel": (current.metadata or {}).get("channel", "web")},
        parent_id=current.parent_id if sibling else current.pk, branched_at_seq=versions_at,
        last_seq=before_seq - 1, cache_ttl=current.cache_ttl,
    )
    rows = ChatMessage.objects.for_session(current.pk).filter(seq__lt=before_seq).order_by("seq")
    copies = [
        ChatMessage(session=branch, seq=seq, type=kind, message=record, content_text=text, created_at=created)
        for seq, kind, record, text, created in rows.values_list("seq", "type", "message", "content_text", "created_at")
    ]
    ChatMessage.objects.bulk_create(copies, batch_size=COPY_BATCH)
    ChatSession.objects.filter(pk=branch.pk).update(message_count=len(copies))
    branch.message_count = len(copies)
    messages = from_records([copy.message for copy in copies])
    checkpoint_id = _fork_thread(str(current.pk), str(branch.pk), messages)
    return Branched(session=branch, copied=len(copies), checkpoint_id=checkpoint_id)


@dataclass(frozen=True)
class Versions:
    """The versions of one message: ``index`` (1-based) of ``count``, links to the neighbours' ids."""

    seq: int
    index: int
    count: int
    previous: Any
    next: Any


def _versions(seq: int, ids: list[Any], current: Any) -> Versions:
    index = ids.index(current)
    return Versions(seq=seq, index=index + 1, count=len(ids),
                    previous=ids[index - 1] if index else None, next=ids[index + 1] if index + 1 < len(ids) else None)


def branch_versions(*, session: ChatSession) -> dict[int, Versions]:
    """``{seq: Versions}`` for each message of ``session`` that has other versions: where it was
    branched from its parent, and where it has branches of its own. Two queries."""
    result: dict[int, Versions] = {}
    own: dict[int, list[Any]] = {}
    for pk, seq in (ChatSession.objects.filter(parent_id=session.pk, owner_id=session.owner_id)
                    .order_by("branched_at_seq", "created_at").values_list("pk", "branched_at_seq")):
        if seq is not None:
            own.setdefault(seq, [session.pk]).append(pk)
    for seq, ids in own.items():
        result[seq] = _versions(seq, ids, session.pk)
    if session.parent_id is not None and session.branched_at_seq is not None:
        siblings = list(ChatSession.objects.filter(
            parent_id=session.parent_id, owner_id=session.owner_id, branched_at_seq=session.branched_at_seq,
        ).order_by("created_at").values_list("pk", flat=True))
        ids = [session.parent_id, *siblings]
        result[session.branched_at_seq] = _versions(session.branched_at_seq, ids, session.pk)
    return result


def branch_list(*, session: ChatSession) -> list[ChatSession]:
    """The conversation's branches (made from it), oldest first."""
    return list(ChatSession.objects.filter(parent_id=session.pk, owner_id=session.owner_id).order_by("created_at"))
