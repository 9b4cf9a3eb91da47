"""``DjangoSaver``: a LangGraph ``BaseCheckpointSaver`` on the Django models of this app."""
from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from django.db import connection
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    get_checkpoint_id,
)
from langgraph.checkpoint.base import Checkpoint as LGCheckpoint
from langgraph.checkpoint.serde.base import SerializerProtocol

from . import maintenance, rows, sql
from .delta import delta_channel_history
from .dispatch import run_async, run_sync
from .prune import prune as prune_threads
from .versions import next_version
from .writes import put_checkpoint, put_pending_writes


class DjangoSaver(BaseCheckpointSaver[str]):
    """LangGraph checkpointer storing threads in this project's database through Django.

    Implements the whole ``BaseCheckpointSaver`` contract of langgraph-checkpoint 4.x, sync and
    async: ``get_tuple``, ``list`` (``filter`` on metadata, ``before``, ``limit``; newest first),
    ``put``, ``put_writes``, ``delete_thread``, ``delete_for_runs``, ``copy_thread``, ``prune``
    (``"keep_latest"`` / ``"delete"``), ``get_delta_channel_history`` and their ``a*`` twins.
    Storage is ``PostgresSaver``'s layout as Django models (``Checkpoint``, ``CheckpointBlob``,
    ``CheckpointWrite``); setup is ``python manage.py migrate``. Values go through LangGraph's
    serde (``self.serde``, ``JsonPlusSerializer`` unless one is passed); a non-primitive channel
    value is stored once per channel version and shared by the checkpoints referencing it.

    Reads are one SQL statement (``get_tuple``: checkpoint + blobs + pending writes;
    ``list``: one per call, whatever the limit). Writes are one statement on PostgreSQL (a
    data-modifying CTE) and one transaction on SQLite.

    Threads and connections: see ``sessions_app.checkpoint.dispatch`` — sync calls from the
    main thread or inside ``transaction.atomic`` use the caller's connection; calls from other
    threads (``graph.invoke``'s pool), sync calls made where an event loop runs and every async
    call run on one dedicated thread with one persistent connection, so invokes do not leak
    connections and the ORM never runs on an event loop.

    Usage::

        graph = builder.compile(checkpointer=DjangoSaver())
        graph.invoke({"messages": [...]}, {"configurable": {"thread_id": str(session.id)}})
    """

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)

    # ----- versions ---------------------------------------------------------------------------

    def get_next_version(self, current: str | int | float | None, channel: None = None) -> str:
        """``PostgresSaver``'s version strings: zero-padded counter + random suffix (sortable)."""
        return next_version(current)

    # ----- reads ------------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint ``config`` names (``checkpoint_id``), or the thread/namespace's latest.

        Returns ``None`` when there is none. One query; ``pending_writes`` are in
        ``writes_sort_key`` order. A checkpoint written before format v4 gets its pending sends
        from its parent's writes (``rows.migrate_pending_sends``; one more query).
        """
        return run_sync(self._get_tuple, config)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Async ``get_tuple`` (runs on the checkpoint-db thread)."""
        return await run_async(self._get_tuple, config)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints newest first (descending ``checkpoint_id``).

        ``config`` scopes by ``thread_id`` (and ``checkpoint_ns`` / ``checkpoint_id`` if given;
        ``None`` lists every thread); ``filter`` keeps checkpoints whose metadata contains every
        given key/value; ``before`` keeps ids strictly older than its ``checkpoint_id``;
        ``limit`` caps the count. One query, rows fetched before the first yield.
        """
        yield from run_sync(self._list, config, filter, before, limit)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Async ``list``."""
        for tup in await run_async(self._list, config, filter, before, limit):
            yield tup

    # ----- writes -----------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: LGCheckpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store ``checkpoint`` as a child of ``config``'s ``checkpoint_id`` (if any).

        Stores a blob for each non-primitive channel in ``new_versions``; values of unchanged
        channels are already stored at their version. Returns the config of the stored checkpoint
        (``thread_id``, ``checkpoint_ns``, ``checkpoint_id``).
        """
        return run_sync(put_checkpoint, self.serde, config, checkpoint, metadata, new_versions)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: LGCheckpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Async ``put``."""
        return await run_async(put_checkpoint, self.serde, config, checkpoint, metadata, new_versions)

    def put_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        """Store a task's pending writes against ``config``'s checkpoint (see the models for races)."""
        run_sync(put_pending_writes, self.serde, config, writes, task_id, task_path)

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        """Async ``put_writes``."""
        await run_async(put_pending_writes, self.serde, config, writes, task_id, task_path)

    # ----- maintenance (delegated to .maintenance) ----------------------------------------------

    def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, blob and write of ``thread_id`` (all namespaces)."""
        run_sync(maintenance.delete_threads, [str(thread_id)])

    async def adelete_thread(self, thread_id: str) -> None:
        """Async ``delete_thread``."""
        await run_async(maintenance.delete_threads, [str(thread_id)])

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints whose ``metadata["run_id"]`` is in ``run_ids``, their writes and
        the blobs no remaining checkpoint references. See the base class's DeltaChannel warning."""
        run_sync(maintenance.delete_for_runs, [str(r) for r in run_ids])

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Async ``delete_for_runs``."""
        await run_async(maintenance.delete_for_runs, [str(r) for r in run_ids])

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint (the complete parent chain), blob and write of a thread to
        ``target_thread_id``, keeping checkpoint ids; rows the target already has are kept."""
        run_sync(maintenance.copy_thread, str(source_thread_id), str(target_thread_id))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Async ``copy_thread``."""
        await run_async(maintenance.copy_thread, str(source_thread_id), str(target_thread_id))

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """``"keep_latest"``: keep each namespace's latest checkpoint (with its writes and blobs)
        and delete subgraph calls with the root checkpoint they started from, as ``PostgresSaver``
        does (``checkpoint.prune``); ``"delete"``: delete the threads. Raises ``TypeError`` for a
        bare string, ``ValueError`` for an unknown strategy, ``NotImplementedError`` for
        ``keep_latest`` on a thread that uses a ``DeltaChannel`` (its state is rebuilt from older
        checkpoints; nothing is pruned)."""
        run_sync(prune_threads, thread_ids, strategy=strategy, serde=self.serde)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Async ``prune``."""
        await run_async(prune_threads, thread_ids, strategy=strategy, serde=self.serde)

    def get_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Per channel, the writes since the nearest ancestor holding a stored value (the seed).

        Two queries whatever the depth: a recursive walk of the parent chain that stops at the
        first ancestor storing a value for every channel, then the writes and seeds of that path.
        """
        return run_sync(self._delta_history, config, list(channels))

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Async ``get_delta_channel_history``."""
        return await run_async(self._delta_history, config, list(channels))

    # ----- implementation (runs on the connection chosen by .dispatch) ------------------------

    def _get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        conf = config["configurable"]
        thread_id = str(conf["thread_id"])
        checkpoint_ns = conf.get("checkpoint_ns", "")
        checkpoint_id = get_checkpoint_id(config)
        if checkpoint_id:
            where = " WHERE c.thread_id = %s AND c.checkpoint_ns = %s AND c.checkpoint_id = %s"
            params: list[Any] = [thread_id, checkpoint_ns, checkpoint_id]
        else:
            where = " WHERE c.thread_id = %s AND c.checkpoint_ns = %s ORDER BY c.checkpoint_id DESC LIMIT 1"
            params = [thread_id, checkpoint_ns]
        found = rows.fetch(sql.SELECT[connection.vendor] + where, params)
        if not found:
            return None
        tup = rows.load_row(self.serde, found[0])
        rows.migrate_pending_sends(self.serde, [tup])
        return tup

    def _list(
        self,
        config: RunnableConfig | None,
        filter: dict[str, Any] | None,
        before: RunnableConfig | None,
        limit: int | None,
    ) -> builtins.list[CheckpointTuple]:  # "list" in this class is the method
        query, params = rows.list_query(config, filter, before, limit)
        tuples = [rows.load_row(self.serde, row) for row in rows.fetch(query, params)]
        rows.migrate_pending_sends(self.serde, tuples)
        return tuples

    def _delta_history(self, config: RunnableConfig, channels: builtins.list[str]) -> dict[str, DeltaChannelHistory]:
        return delta_channel_history(self.serde, config, channels)
