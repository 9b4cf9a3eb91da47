"""Deleting and copying threads, and the row deletes ``prune`` is made of (the saver's maintenance API).

Each function runs in one transaction on the connection ``dispatch`` chose. These are not hot
paths: they use the ORM, in chunks, and read a thread's ``channel_versions`` to find the blobs
no remaining checkpoint references (blobs are shared between checkpoints, so they are deleted
only when unreferenced).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from ..models import Checkpoint, CheckpointBlob, CheckpointThread, CheckpointWrite
from . import sql
from .gate import refuse_thread

_CHUNK = 500


@dataclass
class PruneResult:
    """What a prune removed (or, with ``dry_run``, would remove). Counts are rows."""

    threads: int = 0
    checkpoints: int = 0
    writes: int = 0
    blobs: int = 0
    skipped_delta_threads: list[str] = field(default_factory=list)

    def add(self, other: PruneResult) -> None:
        self.threads += other.threads
        self.checkpoints += other.checkpoints
        self.writes += other.writes
        self.blobs += other.blobs
        self.skipped_delta_threads += other.skipped_delta_threads


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def refresh_threads(thread_ids: Iterable[str]) -> None:
    """Recompute the ``CheckpointThread`` rows of these threads from their checkpoints (after a
    delete, copy, prune or fork; ``put`` maintains them itself). Costs one grouped read of these
    threads' checkpoints (the ``(thread_id, checkpoint_ns, checkpoint_id)`` index)."""
    ids = sorted({str(t) for t in thread_ids})
    step = sql.STEP["postgresql" if connection.vendor == "postgresql" else "sqlite"]
    for chunk in _chunks(ids):
        CheckpointThread.objects.filter(thread_id__in=chunk).delete()
        with connection.cursor() as cur:
            cur.execute(sql.refresh_threads(len(chunk), step=step), list(chunk))


@transaction.atomic
def delete_threads(thread_ids: Sequence[str]) -> int:
    """Delete every row of these threads; returns the number of checkpoints deleted."""
    if not thread_ids:
        return 0
    deleted = 0
    for chunk in _chunks(list(thread_ids)):
        deleted += Checkpoint.objects.filter(thread_id__in=chunk).delete()[0]
        CheckpointWrite.objects.filter(thread_id__in=chunk).delete()[0]
        CheckpointBlob.objects.filter(thread_id__in=chunk).delete()[0]
        CheckpointThread.objects.filter(thread_id__in=chunk).delete()
    return deleted


def delete_namespaces(thread_id: str, namespaces: Sequence[str], *, dry_run: bool = False) -> PruneResult:
    """Delete (or, with ``dry_run``, count) every checkpoint, write and blob of these namespaces of
    one thread (a finished subgraph call goes whole)."""
    result = PruneResult()
    for chunk in _chunks(sorted(namespaces)):
        scope = {"thread_id": thread_id, "checkpoint_ns__in": chunk}
        if dry_run:
            result.checkpoints += Checkpoint.objects.filter(**scope).count()
            result.writes += CheckpointWrite.objects.filter(**scope).count()
            continue
        result.checkpoints += Checkpoint.objects.filter(**scope).delete()[0]
        result.writes += CheckpointWrite.objects.filter(**scope).delete()[0]
        result.blobs += CheckpointBlob.objects.filter(**scope).delete()[0]
    return result


def _versions(channel_versions: Any) -> set[tuple[str, str]]:
    return {(str(ch), str(ver)) for ch, ver in (channel_versions or {}).items()}


def delete_checkpoints(thread_id: str, ns: str, deleted: Sequence[Any], kept: Iterable[Any]) -> PruneResult:
    """Delete ``deleted`` rows (pk, checkpoint_id, channel_versions) of one thread/namespace with
    their writes and the blobs none of the ``kept`` rows references."""
    result = PruneResult()
    if not deleted:
        return result
    ids = [row[1] for row in deleted]
    for chunk in _chunks([row[0] for row in deleted]):
        result.checkpoints += Checkpoint.objects.filter(pk__in=chunk).delete()[0]
    for chunk in _chunks(ids):
        result.writes += CheckpointWrite.objects.filter(
            thread_id=thread_id, checkpoint_ns=ns, checkpoint_id__in=chunk
        ).delete()[0]
    referenced: set[tuple[str, str]] = set()
    for row in kept:
        referenced |= _versions(row[2])
    freed: dict[str, list[str]] = {}
    for row in deleted:
        for channel, version in _versions(row[2]) - referenced:
            freed.setdefault(channel, []).append(version)
    for channel, versions in freed.items():
        for chunk in _chunks(sorted(set(versions))):
            result.blobs += CheckpointBlob.objects.filter(
                thread_id=thread_id, checkpoint_ns=ns, channel=channel, version__in=chunk
            ).delete()[0]
    return result


@transaction.atomic
def delete_for_runs(run_ids: Sequence[str]) -> int:
    """Delete the checkpoints created by these runs (``metadata["run_id"]``), their writes and
    newly unreferenced blobs; returns the number of checkpoints deleted."""
    if not run_ids:
        return 0
    doomed = list(
        Checkpoint.objects.filter(metadata__run_id__in=list(run_ids))
        .values_list("pk", "checkpoint_id", "channel_versions", "thread_id", "checkpoint_ns")
    )
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in doomed:
        groups.setdefault((row[3], row[4]), []).append(row)
    total = 0
    for (thread_id, ns), rows in groups.items():
        doomed_pks = {row[0] for row in rows}
        kept = [
            row
            for row in Checkpoint.objects.filter(thread_id=thread_id, checkpoint_ns=ns).values_list(
                "pk", "checkpoint_id", "channel_versions"
            )
            if row[0] not in doomed_pks
        ]
        total += delete_checkpoints(thread_id, ns, rows, kept).checkpoints
    refresh_threads(thread_id for thread_id, _ns in groups)
    return total


@transaction.atomic
def copy_thread(source_thread_id: str, target_thread_id: str) -> None:
    """Copy all rows of a thread under ``target_thread_id`` (three ``INSERT … SELECT``); raises
    ``ThreadGone`` when the target is a deleted conversation's thread (``gate``)."""
    refuse_thread(str(target_thread_id))
    with connection.cursor() as cur:
        for statement in sql.copy_thread():
            cur.execute(statement, [target_thread_id, source_thread_id])
    refresh_threads([target_thread_id])
