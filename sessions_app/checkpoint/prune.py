"""Pruning threads: the saver's ``prune`` and retention's keep-N (``checkpoint.services.checkpoints_prune``).

What a thread keeps is what ``PostgresSaver.prune`` keeps, generalised from 1 to N:

* per namespace, the latest ``keep`` checkpoints (with ``older_than``, every younger one too),
  with their pending writes and the blobs they reference; a kept checkpoint whose parent goes is
  left with no parent;
* the parent of a kept checkpoint written before checkpoint format v4 when that parent holds
  ``TASKS`` writes: they are the kept one's pending sends (``rows.migrate_pending_sends``);
* a subgraph call's namespace (``node:<task_id>``: a ``:`` in it, nested calls ``|``-joined) goes
  whole with the root checkpoint the call started from (its head's ``metadata["parents"][""]``):
  it stays while that root checkpoint is kept, or is not saved yet (a run saves in the
  background, so a call can commit before its root checkpoint). A ``checkpointer=True``
  subgraph's namespace (no ``:``) outlives each call and keeps its latest like the root.
  Unlike ``PostgresSaver``, a call whose root checkpoint is missing but *older* than the root's
  latest is finished too (its root checkpoint was deleted: by the per-namespace prune this
  project had before, or ``delete_for_runs``); ``PostgresSaver`` keeps such a call for ever.

A thread that uses a ``DeltaChannel`` (``delta_threads``) is refused by ``keep_latest`` and
skipped by retention: its latest value is rebuilt from older checkpoints' writes. One transaction
per thread; only rows read in it are deleted, so what a run saves meanwhile stays.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.jsonplus import EXT_DELTA_SNAPSHOT, JsonPlusSerializer
from langgraph.checkpoint.serde.types import TASKS

from ..models import Checkpoint, CheckpointWrite
from . import sql
from .maintenance import PruneResult, delete_checkpoints, delete_namespaces, delete_threads, refresh_threads

PRUNE_STRATEGIES = ("keep_latest", "delete")
# A DeltaChannel leaves update counters in checkpoint metadata (reset when it takes a snapshot),
# or a snapshot: a ``_DeltaSnapshot`` value, which ``put`` stores as a blob only (PostgresSaver
# also inlines a ``true`` marker for it, and looks for that). The default serializer writes it as
# a msgpack ext value of its own type code at the top, which no other value starts with, so
# the blob's first bytes tell (a fixext header, or ext 8/16/32 with 1/2/4 length bytes before the
# code). LangGraph.js inlines no values, but marks the threads its DeltaChannel graphs start with
# ``delta_writes_versioned``. (A blob of an encrypting serde hides its code: only the metadata tells.)
DELTA_METADATA_KEYS = ("counters_since_delta_snapshot", "delta_writes_versioned")
_CODE = bytes([EXT_DELTA_SNAPSHOT])
_SNAPSHOT_HEADERS = (
    "substr(b.blob, 1, 2) IN (%s, %s, %s, %s, %s) OR (substr(b.blob, 1, 1) = %s AND substr(b.blob, 3, 1) = %s) "
    "OR (substr(b.blob, 1, 1) = %s AND substr(b.blob, 4, 1) = %s) "
    "OR (substr(b.blob, 1, 1) = %s AND substr(b.blob, 6, 1) = %s)"
)
_SNAPSHOT_PARAMS = [bytes([fixext]) + _CODE for fixext in (0xD4, 0xD5, 0xD6, 0xD7, 0xD8)] + [
    p for ext in (0xC7, 0xC8, 0xC9) for p in (bytes([ext]), _CODE)
]

# A row of a thread's checkpoints, as read here.
_PK, _ID, _VERSIONS, _NS, _PARENT, _CREATED = range(6)


def delta_threads(thread_ids: Sequence[str]) -> list[str]:
    """The threads among these that use a ``DeltaChannel`` (sorted): metadata that says so, or a
    stored snapshot. Two queries (by the thread indexes; the blobs' first bytes only)."""
    ids = list(thread_ids)
    has_key = Q()
    for key in DELTA_METADATA_KEYS:
        has_key |= Q(metadata__has_key=key)
    found = set(Checkpoint.objects.filter(has_key, thread_id__in=ids).values_list("thread_id", flat=True))
    rest = [t for t in ids if t not in found]
    if rest:
        marks = ", ".join(["%s"] * len(rest))
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT DISTINCT b.thread_id FROM {sql.BLOB} b WHERE b.thread_id IN ({marks}) "
                f"AND b.type = 'msgpack' AND ({_SNAPSHOT_HEADERS})",
                [*rest, *_SNAPSHOT_PARAMS],
            )
            found.update(row[0] for row in cur.fetchall())
    return sorted(found)


def _before_v4(serde: SerializerProtocol, type_: str, data: Any) -> bool:
    try:
        return int(serde.loads_typed((type_, bytes(data))).get("v", 4)) < 4
    except Exception:  # unreadable with this serde (another one wrote it): keep its parent, to be safe
        return True


def _keep_sends_parents(
    thread_id: str, by_ns: dict[str, list[Any]], kept: dict[str, list[Any]], serde: SerializerProtocol
) -> None:
    """Add to ``kept`` the parent of each kept pre-v4 checkpoint that holds ``TASKS`` writes: one
    query for those writes, and the children of the parents that have some are decoded."""
    for ns, ns_rows in by_ns.items():
        kept_ids = {row[_ID] for row in kept[ns]}
        children: dict[str, list[Any]] = {}
        for row in kept[ns]:
            if row[_PARENT] and row[_PARENT] not in kept_ids:
                children.setdefault(row[_PARENT], []).append(row[_PK])
        if not children:
            continue
        with_sends = set(
            CheckpointWrite.objects.filter(
                thread_id=thread_id, checkpoint_ns=ns, checkpoint_id__in=list(children), channel=TASKS
            ).values_list("checkpoint_id", flat=True)
        )
        pks = [pk for parent in with_sends for pk in children[parent]]
        old = {
            pk
            for pk, type_, data in Checkpoint.objects.filter(pk__in=pks).values_list("pk", "type", "checkpoint")
            if _before_v4(serde, type_, data)
        }
        by_id = {row[_ID]: row for row in ns_rows}
        kept[ns] += [by_id[parent] for parent in sorted(with_sends) if old.intersection(children[parent])]


def _finished_calls(by_ns: dict[str, list[Any]], kept: dict[str, list[Any]]) -> set[str]:
    """The subgraph-call namespaces that go whole: the root checkpoint each started from is saved
    and not kept, or missing and older than the root's latest (see the module doc)."""
    heads = {ns_rows[0][_PK]: ns for ns, ns_rows in by_ns.items() if ":" in ns}
    root_rows = by_ns.get("", [])
    if not heads or not root_rows:
        return set()
    root_ids = {row[_ID] for row in root_rows}
    root_kept = {row[_ID] for row in kept.get("", [])}
    root_latest = root_rows[0][_ID]
    calls = set()
    for pk, metadata in Checkpoint.objects.filter(pk__in=list(heads)).values_list("pk", "metadata"):
        root = ((metadata or {}).get("parents") or {}).get("")
        if not root or root in root_kept:
            continue
        if root in root_ids or root < root_latest:
            calls.add(heads[pk])
    return calls


def prune_thread(
    thread_id: str,
    *,
    keep: int = 1,
    older_than: datetime | None = None,
    dry_run: bool = False,
    serde: SerializerProtocol | None = None,
) -> PruneResult:
    """Keep the latest ``keep`` checkpoints of each namespace of a thread and what they need (the
    module doc), delete the rest; ``dry_run`` counts checkpoints and writes instead. The result
    counts the thread if it loses (would lose) a checkpoint.

    A thread using a ``DeltaChannel`` is skipped (reported in ``skipped_delta_threads``): its
    latest state is rebuilt from older checkpoints' writes. Forking from a checkpoint being
    deleted is not safe. ``serde`` reads the format version of checkpoints whose parent holds
    ``TASKS`` writes (LangGraph's default serializer if not given). Raises ``ValueError`` for
    ``keep`` < 1.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    with transaction.atomic():
        if delta_threads([thread_id]):
            return PruneResult(skipped_delta_threads=[thread_id])
        rows: list[Any] = list(
            Checkpoint.objects.filter(thread_id=thread_id)
            .order_by("checkpoint_ns", "-checkpoint_id")
            .values_list(
                "pk", "checkpoint_id", "channel_versions", "checkpoint_ns", "parent_checkpoint_id", "created_at"
            )
        )
        by_ns: dict[str, list[Any]] = {}
        for row in rows:
            by_ns.setdefault(row[_NS], []).append(row)
        kept = {
            ns: ns_rows[:keep] + [r for r in ns_rows[keep:] if older_than is not None and r[_CREATED] >= older_than]
            for ns, ns_rows in by_ns.items()
        }
        _keep_sends_parents(thread_id, by_ns, kept, serde or JsonPlusSerializer())
        calls = _finished_calls(by_ns, kept)
        result = PruneResult()
        if calls:
            result.add(delete_namespaces(thread_id, sorted(calls), dry_run=dry_run))
        for ns, ns_rows in by_ns.items():
            if ns in calls:
                continue
            kept_ids = {row[_ID] for row in kept[ns]}
            deleted = [row for row in ns_rows if row[_ID] not in kept_ids]
            if not deleted:
                continue
            if dry_run:
                result.checkpoints += len(deleted)
                result.writes += CheckpointWrite.objects.filter(
                    thread_id=thread_id, checkpoint_ns=ns, checkpoint_id__in=[r[_ID] for r in deleted][:10_000]
                ).count()
                continue
            result.add(delete_checkpoints(thread_id, ns, deleted, kept[ns]))
            deleted_ids = {row[_ID] for row in deleted}
            orphans = [row[_PK] for row in kept[ns] if row[_PARENT] in deleted_ids]
            if orphans:
                Checkpoint.objects.filter(pk__in=orphans).update(parent_checkpoint_id=None)
        result.threads = 1 if result.checkpoints else 0
        if result.checkpoints and not dry_run:
            refresh_threads([thread_id])
        return result


def prune(
    thread_ids: Sequence[str], *, strategy: str = "keep_latest", serde: SerializerProtocol | None = None
) -> None:
    """``BaseCheckpointSaver.prune``: ``keep_latest`` (``prune_thread`` with ``keep=1``, one
    transaction per thread) or ``delete`` (the threads, in one transaction).

    Raises ``TypeError`` for a bare string, ``ValueError`` for an unknown strategy and
    ``NotImplementedError`` if a thread uses a ``DeltaChannel`` with ``keep_latest`` (checked
    for the whole batch first, when nothing is pruned then; a thread that starts using one before
    its turn is refused then, after the threads before it), as ``PostgresSaver`` does.
    """
    if isinstance(thread_ids, str):
        raise TypeError("thread_ids must be a sequence of thread IDs, not a str")
    if strategy not in PRUNE_STRATEGIES:
        raise ValueError(f"Unknown prune strategy: {strategy!r}")
    ids = [str(t) for t in thread_ids]
    if not ids:
        return
    if strategy == "delete":
        delete_threads(ids)
        return
    refused = delta_threads(ids)
    for thread_id in ids:
        if refused or prune_thread(thread_id, keep=1, serde=serde).skipped_delta_threads:
            delta = ", ".join(refused or [thread_id])
            raise NotImplementedError(f"keep_latest can't prune threads that use a DeltaChannel: {delta}")
