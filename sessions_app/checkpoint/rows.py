"""Rows of the checkpoint tables: reading statements' results and building the ``list`` query.

Shared by ``saver`` (the ``BaseCheckpointSaver`` methods) and ``delta`` (delta-channel history).
"""
from __future__ import annotations

import binascii
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple, PendingWrite, get_checkpoint_id, writes_sort_key
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.types import TASKS

from ..db import pg_fetchall
from ..models import CheckpointWrite
from . import sql
from .versions import next_version


def json_column(value: Any) -> Any:
    """A JSON column read through a raw cursor: PostgreSQL (psycopg 3 under Django) gives text."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def fetch(query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
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


def migrate_pending_sends(serde: SerializerProtocol, tuples: Sequence[CheckpointTuple]) -> None:
    """``PostgresSaver._migrate_pending_sends``, in place: a checkpoint written before checkpoint
    format v4 has no ``TASKS`` channel value; its pending sends are its parent's ``TASKS`` writes.

    For each such tuple with a parent, those writes (in ``task_path, task_id, idx`` order, as
    ``PostgresSaver`` reads them) become ``channel_values[TASKS]``, at the highest version in
    ``channel_versions`` (a new first version if there is none). One query per thread namespace
    read, none when every checkpoint is v4 or later (every checkpoint LangGraph 0.3+ writes).
    """
    todo: dict[tuple[str, str], dict[str, list[CheckpointTuple]]] = {}
    for tup in tuples:
        if tup.checkpoint.get("v", 4) < 4 and tup.parent_config:
            parent = tup.parent_config["configurable"]
            by_parent = todo.setdefault((parent["thread_id"], parent["checkpoint_ns"]), {})
            by_parent.setdefault(parent["checkpoint_id"], []).append(tup)
    for (thread_id, ns), by_parent in todo.items():
        sends: dict[str, list[Any]] = {}
        for parent_id, wtype, blob in CheckpointWrite.objects.filter(
            thread_id=thread_id, checkpoint_ns=ns, checkpoint_id__in=list(by_parent), channel=TASKS
        ).order_by("checkpoint_id", "task_path", "task_id", "idx").values_list("checkpoint_id", "type", "blob"):
            sends.setdefault(parent_id, []).append(serde.loads_typed((wtype, bytes(blob))))
        for parent_id, values in sends.items():
            for tup in by_parent[parent_id]:
                versions = tup.checkpoint["channel_versions"]
                versions[TASKS] = max(versions.values()) if versions else next_version(None)
                tup.checkpoint["channel_values"][TASKS] = list(values)


def list_query(
    config: RunnableConfig | None,
    filter: dict[str, Any] | None,
    before: RunnableConfig | None,
    limit: int | None,
) -> tuple[str, list[Any]]:
    """The ``list`` statement and its parameters: newest first, ``filter`` on metadata (jsonb
    containment on PostgreSQL, ``json_extract`` equality per key on SQLite), ``before``, ``limit``."""
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
    return query, params


def load_row(serde: SerializerProtocol, row: Sequence[Any]) -> CheckpointTuple:
    """A ``CheckpointTuple`` from one row of ``sql.SELECT``: the checkpoint, its blobs (binary on
    PostgreSQL, hex in JSON on SQLite) and its pending writes in ``writes_sort_key`` order."""
    thread_id, ns, checkpoint_id, parent_id, type_, data, versions, metadata, blobs, writes = row
    checkpoint = serde.loads_typed((type_, bytes(data)))
    checkpoint["channel_versions"] = json_column(versions)
    values = checkpoint.setdefault("channel_values", {})
    if connection.vendor == "postgresql":
        for channel, btype, blob in blobs or ():
            if btype != b"empty":
                values[channel.decode()] = serde.loads_typed((btype.decode(), blob))
        raw_writes = [
            (t.decode(), ch.decode(), wt.decode(), blob, path.decode(), int(idx))
            for t, ch, wt, blob, path, idx in writes or ()
        ]
    else:
        for channel, btype, hexblob in json.loads(blobs or "[]"):
            if btype != "empty":
                values[channel] = serde.loads_typed((btype, binascii.unhexlify(hexblob)))
        raw_writes = [
            (t, ch, wt, binascii.unhexlify(hexblob), path, int(idx))
            for t, ch, wt, hexblob, path, idx in json.loads(writes or "[]")
        ]
    raw_writes.sort(key=lambda w: writes_sort_key(w[4], w[0], w[5]))
    pending: list[PendingWrite] = [
        (task_id, channel, serde.loads_typed((wtype, blob)))
        for task_id, channel, wtype, blob, _path, _idx in raw_writes
    ]
    return CheckpointTuple(
        config={"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}},
        checkpoint=checkpoint,
        metadata=json_column(metadata),
        parent_config=(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": parent_id}}
            if parent_id
            else None
        ),
        pending_writes=pending,
    )
