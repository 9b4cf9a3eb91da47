"""Writing checkpoints and pending writes: the statements behind ``put`` and ``put_writes``."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    ChannelVersions,
    CheckpointMetadata,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.base import Checkpoint as LGCheckpoint
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.types import _DeltaSnapshot

from ..db import pg_fetchall
from . import sql
from .gate import conversation_id, gone_error, refuse_thread

_PRIMITIVES = (str, int, float, bool)


def put_checkpoint(
    serde: SerializerProtocol,
    config: RunnableConfig,
    checkpoint: LGCheckpoint,
    metadata: CheckpointMetadata,
    new_versions: ChannelVersions,
) -> RunnableConfig:
    """Store a checkpoint and its new channel blobs (``BaseCheckpointSaver.put``); return its config.

    Primitive channel values are stored inline in the checkpoint; others once per channel version
    (``CheckpointBlob``). One statement on PostgreSQL (``sql.PUT_POSTGRESQL``, which also maintains
    ``CheckpointThread``), one transaction on SQLite. Raises ``ThreadGone`` (nothing stored) when
    ``thread_id`` is the thread of a deleted conversation (``gate``).
    """
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
            blobs.append((channel, str(new_versions[channel]), *serde.dumps_typed(value)))
    stored["channel_values"] = inline
    ctype, cdata = serde.dumps_typed(stored)
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
        _gated(sql.PUT_POSTGRESQL, thread_id, [thread_id, checkpoint_ns, *columns, *cp_params])
    else:
        key = [thread_id, checkpoint_ns, checkpoint["id"]]
        with transaction.atomic(), connection.cursor() as cur:
            refuse_thread(thread_id)
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


def put_pending_writes(
    serde: SerializerProtocol, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str
) -> None:
    """Store a task's pending writes (``BaseCheckpointSaver.put_writes``): special channels
    (``WRITES_IDX_MAP``) replace an earlier write of the same task, others keep the first.
    Raises ``ThreadGone`` (nothing stored) on the thread of a deleted conversation (``gate``)."""
    if not writes:
        return
    conf = config["configurable"]
    upsert = all(channel in WRITES_IDX_MAP for channel, _ in writes)
    rows: dict[int, tuple[str, str, bytes]] = {}  # idx -> channel, type, blob
    for idx, (channel, value) in enumerate(writes):
        rows[WRITES_IDX_MAP.get(channel, idx)] = (channel, *serde.dumps_typed(value))
    head = [str(conf["thread_id"]), conf.get("checkpoint_ns", ""), conf["checkpoint_id"], task_id, task_path]
    if connection.vendor == "postgresql":
        channels, types, blobs = (list(column) for column in zip(*rows.values(), strict=True))
        _gated(sql.INSERT_WRITES_POSTGRESQL[upsert], head[0], [*head, list(rows), channels, types, blobs])
        return
    with transaction.atomic(), connection.cursor() as cur:
        refuse_thread(head[0])
        cur.execute(
            sql.insert_writes(len(rows), upsert=upsert),
            [p for idx, row in rows.items() for p in (*head, idx, *row)],
        )


def _gated(query: str, thread_id: str, params: list[Any]) -> None:
    """Run a gated PostgreSQL write (``gate.GATE`` first: one statement, prepared, server-side
    binding on Django's connection and transaction); raise ``ThreadGone`` if it wrote nothing
    because the thread's conversation was deleted."""
    ((gone,),) = pg_fetchall(query, [conversation_id(thread_id), *params], prepare=True)
    if gone:
        raise gone_error(thread_id)
