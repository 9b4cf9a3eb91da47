"""Reads of LangGraph threads for the product (admin timeline, a conversation's threads).

A thread belongs to a conversation when its ``thread_id`` is the conversation's ``session_id``
(``str(ChatSession.id)``): that is how the app's graphs are invoked. These selectors do no
ownership check — staff pages only; user-facing callers must first pass the session through
``conversations.selectors.session_get_for_user``.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import jsonpatch
from django.db.models import QuerySet
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple

from ..models import CheckpointThread
from .saver import DjangoSaver

_MAX_TEXT = 300


def threads_for_session(*, session_id: uuid.UUID | str) -> QuerySet[CheckpointThread]:
    """The thread namespaces whose ``thread_id`` is this conversation's id, latest first."""
    return CheckpointThread.objects.filter(thread_id=str(session_id)).order_by("checkpoint_ns", "-updated_at")


def plain(value: Any) -> Any:
    """A JSON-able, readable rendering of a channel value (messages become ``"type: text"``)."""
    if isinstance(value, BaseMessage):
        text = value.content if isinstance(value.content, str) else str(value.content)
        calls = getattr(value, "tool_calls", None)
        suffix = f" [tool calls: {', '.join(c['name'] for c in calls)}]" if calls else ""
        return f"{value.type}: {text[:_MAX_TEXT]}{suffix}"
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value[:_MAX_TEXT] if isinstance(value, str) else value
    return repr(value)[:_MAX_TEXT]


@dataclass
class TimelineEntry:
    """One checkpoint of a thread as the admin shows it.

    ``nodes``: the nodes that ran to produce it (their ``versions_seen`` changed against the
    parent); ``diff``: RFC 6902 operations turning the parent's channel values into this one's;
    ``pending_writes``: ``(task_id, channel, value)`` stored against it (the next step's
    results so far, interrupts, errors).
    """

    checkpoint_id: str
    parent_checkpoint_id: str | None
    step: Any
    source: Any
    ts: str
    nodes: list[str]
    values: dict[str, Any]
    diff: list[dict[str, Any]] = field(default_factory=list)
    pending_writes: list[tuple[str, str, Any]] = field(default_factory=list)


def _nodes(tup: CheckpointTuple, parent: CheckpointTuple | None) -> list[str]:
    seen = tup.checkpoint.get("versions_seen", {})
    before = parent.checkpoint.get("versions_seen", {}) if parent else {}
    return sorted(node for node, versions in seen.items() if versions != before.get(node) and node != "__input__")


def thread_timeline(
    *, thread_id: str, checkpoint_ns: str = "", limit: int = 50, before: str | None = None
) -> list[TimelineEntry]:
    """The thread's latest ``limit`` checkpoints (older than ``before`` if given), newest first,
    each with the nodes that ran, its diff against its parent and its pending writes.

    One ``list`` query of ``limit + 1`` checkpoints (the extra one is the oldest's parent, for
    its diff); a parent outside the page is read with one ``get_tuple``.
    """
    saver = DjangoSaver()
    config: RunnableConfig = {"configurable": {"thread_id": str(thread_id), "checkpoint_ns": checkpoint_ns}}
    before_config: RunnableConfig | None = {"configurable": {"checkpoint_id": before}} if before else None
    tuples = list(saver.list(config, before=before_config, limit=limit + 1))
    by_id = {t.config["configurable"]["checkpoint_id"]: t for t in tuples}
    entries = []
    for tup in tuples[:limit]:
        parent_config = tup.parent_config
        parent_id = parent_config["configurable"]["checkpoint_id"] if parent_config else None
        parent = by_id.get(parent_id) if parent_id else None
        if parent_config and parent_id and parent is None:
            parent = saver.get_tuple(parent_config)
        values = plain(tup.checkpoint["channel_values"])
        parent_values = plain(parent.checkpoint["channel_values"]) if parent else {}
        entries.append(
            TimelineEntry(
                checkpoint_id=tup.config["configurable"]["checkpoint_id"],
                parent_checkpoint_id=parent_id,
                step=tup.metadata.get("step"),
                source=tup.metadata.get("source"),
                ts=tup.checkpoint.get("ts", ""),
                nodes=_nodes(tup, parent),
                values=values,
                diff=jsonpatch.make_patch(parent_values, values).patch,
                pending_writes=[(task, channel, plain(value)) for task, channel, value in tup.pending_writes or []],
            )
        )
    return entries
