"""``DjangoSaver``: a LangGraph ``BaseCheckpointSaver`` on the Django models of this app."""
from __future__ import annotations

import binascii
import builtins
import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    PendingWrite,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
    writes_sort_key,
)
from langgraph.checkpoint.base import Checkpoint as LGCheckpoint
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.types import _DeltaSnapshot

from ..db import pg_execute, pg_fetchall
from . import maintenance, sql
from .dispatch import run_async, run_sync
from .versions import next_version

_PRIMITIVES = (str, int, float, bool)


def _json(value: Any) -> Any:
    """A JSON column read through a raw cursor: PostgreSQL (psycopg 3 under Django) gives text."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _fetch(query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run a read on the current connection; on PostgreSQL prepared, with *binary* results.

    Django's cursor returns ``bytea`` in text (hex) form, twice the bytes to send and decode; a
    checkpoint read is mostly blobs, so reads use a binary server-side-binding cursor on the same
    connection (``sessions_app.db``; same transaction, still in Django's query log). The saver's
    read texts are a small fixed set (``get_tuple``'s two, one per combination of ``list``'s
    arguments), so each is prepared once per connection and then executed by name.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    return pg_fetchall(query, params, prepare=True, binary=True)


def _write_postgresql(query: str, params: Sequence[Any]) -> None:
    """Run one write statement on PostgreSQL with server-side binding (``bytea`` parameters go as
    binary, not as escaped literals), on Django's connection and in its current transaction,
    prepared: the write texts are fixed (rows travel as arrays, see ``sql``)."""
    pg_execute(query, params, prepare=True)


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
    threads (``graph.invoke``'s pool) and every async call run on one dedicated thread with one
    persistent connection, so invokes do not leak connections and the event loop never blocks.

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
        ``writes_sort_key`` order.
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
        return run_sync(self._put, config, checkpoint, metadata, new_versions)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: LGCheckpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Async ``put``."""
        return await run_async(self._put, config, checkpoint, metadata, new_versions)

    def put_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        """Store a task's pending writes against ``config``'s checkpoint (see the models for races)."""
        run_sync(self._put_writes, config, writes, task_id, task_path)

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        """Async ``put_writes``."""
        await run_async(self._put_writes, config, writes, task_id, task_path)

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
        """``"keep_latest"``: keep each namespace's latest checkpoint (with its writes and blobs);
        ``"delete"``: delete the threads. Raises ``TypeError`` for a bare string, ``ValueError``
        for an unknown strategy, ``NotImplementedError`` for ``keep_latest`` on a thread that uses
        a ``DeltaChannel`` (its state is rebuilt from older checkpoints; nothing is pruned)."""
        run_sync(maintenance.prune, thread_ids, strategy=strategy)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Async ``prune``."""
        await run_async(maintenance.prune, thread_ids, strategy=strategy)

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
        rows = _fetch(sql.SELECT[connection.vendor] + where, params)
        return self._load_row(rows[0]) if rows else None

    def _list(
        self,
        config: RunnableConfig | None,
        filter: dict[str, Any] | None,
        before: RunnableConfig | None,
        limit: int | None,
    ) -> builtins.list[CheckpointTuple]:  # "list" in this class is the method
        wheres: list[str] = []
        params: list[Any] = []
        if config:
            conf = config["configurable"]
            wheres.append("c.thread_id = %s")
            params.append(str(conf["thread_id"]))
            if conf.get("checkpoint_ns") is not None:
                wheres.append("c.checkpoint_ns = %s")
                params.append(conf["checkpoint_ns"])
            if checkpoint_id := get_checkpoint_id(config):
                wheres.append("c.checkpoint_id = %s")
                params.append(checkpoint_id)
        if filter:
            if connection.vendor == "postgresql":
                wheres.append("c.metadata @> %s::jsonb")
                params.append(json.dumps(filter))
            else:
                for key, value in filter.items():
                    path = '$."' + str(key).replace('"', '""') + '"'
                    if value is None:
                        wheres.append("json_type(c.metadata, %s) = 'null'")
                        params.append(path)
                    else:
                        wheres.append("json_extract(c.metadata, %s) = json_extract(%s, '$')")
                        params.extend([path, json.dumps(value)])
        if before is not None and (before_id := get_checkpoint_id(before)):
            wheres.append("c.checkpoint_id < %s")
            params.append(before_id)
        query = sql.SELECT[connection.vendor]
        if wheres:
            query += " WHERE " + " AND ".join(wheres)
        query += " ORDER BY c.checkpoint_id DESC"
        if limit is not None:
            query += " LIMIT %s"
            params.append(int(limit))
        return [self._load_row(row) for row in _fetch(query, params)]

    def _load_row(self, row: Sequence[Any]) -> CheckpointTuple:
        thread_id, ns, checkpoint_id, parent_id, type_, data, versions, metadata, blobs, writes = row
        checkpoint = self.serde.loads_typed((type_, bytes(data)))
        checkpoint["channel_versions"] = _json(versions)
        values = checkpoint.setdefault("channel_values", {})
        if connection.vendor == "postgresql":
            for channel, btype, blob in blobs or ():
                if btype != b"empty":
                    values[channel.decode()] = self.serde.loads_typed((btype.decode(), blob))
            raw_writes = [
                (t.decode(), ch.decode(), wt.decode(), blob, path.decode(), int(idx))
                for t, ch, wt, blob, path, idx in writes or ()
            ]
        else:
            for channel, btype, hexblob in json.loads(blobs or "[]"):
                if btype != "empty":
                    values[channel] = self.serde.loads_typed((btype, binascii.unhexlify(hexblob)))
            raw_writes = [
                (t, ch, wt, binascii.unhexlify(hexblob), path, int(idx))
                for t, ch, wt, hexblob, path, idx in json.loads(writes or "[]")
            ]
        raw_writes.sort(key=lambda w: writes_sort_key(w[4], w[0], w[5]))
        pending: list[PendingWrite] = [
            (task_id, channel, self.serde.loads_typed((wtype, blob)))
            for task_id, channel, wtype, blob, _path, _idx in raw_writes
        ]
        return CheckpointTuple(
            config={"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}},
            checkpoint=checkpoint,
            metadata=_json(metadata),
            parent_config=(
                {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": parent_id}}
                if parent_id
                else None
            ),
            pending_writes=pending,
        )

    def _put(
        self,
        config: RunnableConfig,
        checkpoint: LGCheckpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        conf = config["configurable"]
        thread_id = str(conf["thread_id"])
        checkpoint_ns = conf.get("checkpoint_ns", "")
        parent_id = conf.get("checkpoint_id")
        stored: dict[str, Any] = dict(checkpoint)
        versions = stored.pop("channel_versions")
        inline: dict[str, Any] = {}
        blobs: list[tuple[str, str, str, bytes]] = []  # channel, version, type, blob
        for channel, value in checkpoint["channel_values"].items():
            if not isinstance(value, _DeltaSnapshot) and (value is None or isinstance(value, _PRIMITIVES)):
                inline[channel] = value
            elif channel in new_versions:
                blobs.append((channel, str(new_versions[channel]), *self.serde.dumps_typed(value)))
        stored["channel_values"] = inline
        ctype, cdata = self.serde.dumps_typed(stored)
        cp_params = [
            thread_id,
            checkpoint_ns,
            checkpoint["id"],
            parent_id,
            ctype,
            cdata,
            json.dumps(versions),
            json.dumps(get_serializable_checkpoint_metadata(config, metadata)),
            connection.ops.adapt_datetimefield_value(timezone.now()),
        ]
        if connection.vendor == "postgresql":
            columns = [list(column) for column in zip(*blobs, strict=True)] if blobs else [[], [], [], []]
            _write_postgresql(sql.PUT_POSTGRESQL, [thread_id, checkpoint_ns, *columns, *cp_params])
        else:
            key = [thread_id, checkpoint_ns, checkpoint["id"]]
            with transaction.atomic(), connection.cursor() as cur:
                if blobs:
                    cur.execute(
                        sql.insert_blobs(len(blobs)),
                        [p for blob in blobs for p in (thread_id, checkpoint_ns, *blob)],
                    )
                cur.execute(sql.EXISTS_CHECKPOINT, key)
                new = cur.fetchone() is None
                cur.execute(sql.UPSERT_CHECKPOINT, cp_params)
                cur.execute(sql.UPSERT_THREAD_SQLITE, [int(new), *key])
        return {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": checkpoint_ns, "checkpoint_id": checkpoint["id"]}
        }

    def _put_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str
    ) -> None:
        if not writes:
            return
        conf = config["configurable"]
        upsert = all(channel in WRITES_IDX_MAP for channel, _ in writes)
        rows: dict[int, tuple[str, str, bytes]] = {}  # idx -> channel, type, blob
        for idx, (channel, value) in enumerate(writes):
            rows[WRITES_IDX_MAP.get(channel, idx)] = (channel, *self.serde.dumps_typed(value))
        head = [str(conf["thread_id"]), conf.get("checkpoint_ns", ""), conf["checkpoint_id"], task_id, task_path]
        if connection.vendor == "postgresql":
            channels, types, blobs = (list(column) for column in zip(*rows.values(), strict=True))
            _write_postgresql(sql.INSERT_WRITES_POSTGRESQL[upsert], [*head, list(rows), channels, types, blobs])
            return
        with connection.cursor() as cur:
            cur.execute(
                sql.insert_writes(len(rows), upsert=upsert),
                [p for idx, row in rows.items() for p in (*head, idx, *row)],
            )

    def _delta_history(self, config: RunnableConfig, channels: builtins.list[str]) -> dict[str, DeltaChannelHistory]:
        from .delta import delta_channel_history

        return delta_channel_history(self, config, channels)
