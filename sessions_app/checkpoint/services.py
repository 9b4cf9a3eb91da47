"""LangGraph thread writes for operators: retention pruning, copy, fork, prune one thread.

The admin actions, ``manage.py prune_checkpoints`` and the ``prune_checkpoints`` Celery task call
these; the saver-level primitives live in ``sessions_app.checkpoint.maintenance``.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from ..exceptions import InvalidInput
from ..models import Checkpoint, CheckpointBlob, CheckpointWrite
from ..observability.metrics import retention_action
from . import maintenance, prune
from .gate import refuse_thread
from .maintenance import PruneResult

__all__ = ["PruneResult", "checkpoints_prune", "thread_copy", "thread_fork", "thread_prune", "threads_delete"]


def _check_keep(keep: int) -> None:
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise InvalidInput("keep must be an integer of at least 1")


def checkpoints_prune(
    *,
    keep: int,
    older_than_days: int | None = None,
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
    on_total: Callable[[int], object] | None = None,
) -> PruneResult:
    """Retention: keep the latest ``keep`` checkpoints of every thread namespace, delete the rest
    (and finished subgraph calls whole: ``checkpoint.prune``).

    With ``older_than_days`` only checkpoints created more than that many days ago (and not
    among the latest ``keep``) go. Pending writes of deleted checkpoints and blobs no kept
    checkpoint references go with them; a kept checkpoint whose parent was deleted becomes a
    root. Threads using a ``DeltaChannel`` are skipped and listed in the result. ``dry_run``
    counts checkpoints and writes (not blobs) without deleting. Each thread is pruned in its own
    transaction (a long run never holds one lock set), so an interrupted run leaves whole
    threads pruned and can simply be re-run. ``on_total(n)`` is told the number of candidate
    threads, ``progress(1)`` is called after each. Raises ``InvalidInput`` for a bad ``keep`` or
    ``older_than_days``.
    """
    _check_keep(keep)
    cutoff = None
    if older_than_days is not None:
        if older_than_days < 0:
            raise InvalidInput("older_than_days must not be negative")
        cutoff = timezone.now() - timedelta(days=older_than_days)
    candidates = Checkpoint.objects.values("thread_id", "checkpoint_ns").annotate(
        n=Count("id"), oldest=Min("created_at")
    )
    # A namespace over ``keep``, or a subgraph call's (it may go whole with its root checkpoint).
    candidates = candidates.filter(Q(n__gt=keep) | Q(checkpoint_ns__contains=":"))
    if cutoff is not None:
        candidates = candidates.filter(oldest__lt=cutoff)
    thread_ids = sorted({row["thread_id"] for row in candidates.order_by()})
    if on_total:
        on_total(len(thread_ids))
    result = PruneResult()
    for thread_id in thread_ids:
        result.add(prune.prune_thread(thread_id, keep=keep, older_than=cutoff, dry_run=dry_run))
        if progress:
            progress(1)
    if not dry_run:
        retention_action("checkpoints_pruned", result.checkpoints)  # chatmemory_retention_actions_total
    return result


def thread_prune(*, thread_id: str, keep: int) -> PruneResult:
    """Keep the latest ``keep`` checkpoints of each namespace of one thread (see ``checkpoints_prune``)."""
    _check_keep(keep)
    return prune.prune_thread(str(thread_id), keep=keep)


def threads_delete(*, thread_ids: list[str]) -> int:
    """Delete these threads (every namespace, checkpoint, write and blob); returns checkpoints deleted."""
    return maintenance.delete_threads([str(t) for t in thread_ids])


def thread_copy(*, source_thread_id: str, target_thread_id: str | None = None) -> str:
    """Copy a whole thread (every namespace, checkpoint, write and blob); returns the new thread id.

    The target defaults to a new UUID. Raises ``InvalidInput`` if the source has no checkpoints
    or the target already has some (a copy never merges into an existing thread).
    """
    target = str(target_thread_id or uuid.uuid4())
    with transaction.atomic():
        if not Checkpoint.objects.filter(thread_id=source_thread_id).exists():
            raise InvalidInput(f"thread {source_thread_id!r} has no checkpoints")
        if Checkpoint.objects.filter(thread_id=target).exists():
            raise InvalidInput(f"thread {target!r} already exists")
        maintenance.copy_thread(str(source_thread_id), target)
    return target


@transaction.atomic
def thread_fork(
    *, thread_id: str, checkpoint_id: str, checkpoint_ns: str = "", target_thread_id: str | None = None
) -> str:
    """Start a new thread from a past checkpoint: copy that checkpoint and its ancestors (the
    parent chain, with their pending writes and the blobs they reference) to a new thread,
    whose latest checkpoint is then ``checkpoint_id``. Returns the new thread id.

    ``graph.invoke(None, {"configurable": {"thread_id": new_id}})`` continues from there, as
    LangGraph's own forks do, without touching the original thread. Raises ``InvalidInput`` for
    an unknown checkpoint or an existing target, ``ThreadGone`` for a target that is the thread
    of a deleted conversation.
    """
    target = str(target_thread_id or uuid.uuid4())
    refuse_thread(target)
    if Checkpoint.objects.filter(thread_id=target).exists():
        raise InvalidInput(f"thread {target!r} already exists")
    rows = {
        row.checkpoint_id: row
        for row in Checkpoint.objects.filter(
            thread_id=thread_id, checkpoint_ns=checkpoint_ns, checkpoint_id__lte=checkpoint_id
        ).only("checkpoint_id", "parent_checkpoint_id")
    }
    if checkpoint_id not in rows:
        raise InvalidInput(f"no checkpoint {checkpoint_id!r} in thread {thread_id!r}")
    chain: list[str] = []
    cursor: str | None = checkpoint_id
    while cursor is not None and cursor in rows and len(chain) <= len(rows):
        chain.append(cursor)
        cursor = rows[cursor].parent_checkpoint_id
    copies = list(Checkpoint.objects.filter(thread_id=thread_id, checkpoint_ns=checkpoint_ns, checkpoint_id__in=chain))
    wanted: dict[str, set[str]] = {}
    for cp in copies:
        for channel, version in (cp.channel_versions or {}).items():
            wanted.setdefault(channel, set()).add(str(version))
        cp.pk, cp.thread_id = None, target
    Checkpoint.objects.bulk_create(copies, batch_size=500)
    writes = list(
        CheckpointWrite.objects.filter(thread_id=thread_id, checkpoint_ns=checkpoint_ns, checkpoint_id__in=chain)
    )
    for write in writes:
        write.pk, write.thread_id = None, target
    CheckpointWrite.objects.bulk_create(writes, batch_size=500)
    blobs = []
    for channel, versions in wanted.items():
        for blob in CheckpointBlob.objects.filter(
            thread_id=thread_id, checkpoint_ns=checkpoint_ns, channel=channel, version__in=list(versions)
        ):
            blob.pk, blob.thread_id = None, target
            blobs.append(blob)
    CheckpointBlob.objects.bulk_create(blobs, batch_size=500)
    maintenance.refresh_threads([target])
    return target
