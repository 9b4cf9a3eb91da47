"""``get_delta_channel_history`` in two queries, whatever the depth of the thread.

Query 1 walks the parent chain with a recursive CTE (portable: PostgreSQL and SQLite) from the
target checkpoint up to the first ancestor that has a stored blob for every requested channel
(or the root); query 2 reads the requested channels' writes on that path and the seed blobs.
The walk follows ``parent_checkpoint_id`` (not ``list(before=…)``), so a fork only sees its own
ancestors, as the base class requires. Returned writes are oldest→newest, each checkpoint's in
``writes_sort_key`` order; writes stored at the target itself are excluded.
"""
from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import DeltaChannelHistory, PendingWrite, get_checkpoint_id, writes_sort_key
from langgraph.checkpoint.serde.base import SerializerProtocol

from ..models import CheckpointBlob, CheckpointWrite
from . import sql
from .rows import json_column

_MAX_DEPTH = 1_000_000  # a guard against a parent cycle; real chains stop at a snapshot


def _version_expr(vendor: str) -> str:
    if vendor == "postgresql":
        return "p.channel_versions ->> %s"
    return "CAST(json_extract(p.channel_versions, %s) AS TEXT)"


def _key(vendor: str, channel: str) -> str:
    return channel if vendor == "postgresql" else '$."' + channel.replace('"', '""') + '"'


def _chain_sql(vendor: str, channels: list[str]) -> tuple[str, list[Any]]:
    """The recursive walk; per row, ``hb_i`` says whether channel ``i`` has a stored blob there."""
    version = _version_expr(vendor)
    probes = [
        f"EXISTS (SELECT 1 FROM {sql.BLOB} b WHERE b.thread_id = p.thread_id AND b.checkpoint_ns = p.checkpoint_ns "
        f"AND b.channel = %s AND b.version = {version} AND b.type <> 'empty') AS hb_{i}"
        for i in range(len(channels))
    ]
    probe_params: list[Any] = []
    for ch in channels:
        probe_params += [ch, _key(vendor, ch)]
    hb_cols = ", ".join(f"hb_{i}" for i in range(len(channels)))
    chain_hb_cols = ", ".join(f"chain.hb_{i}" for i in range(len(channels)))
    all_seeded = " AND ".join(f"chain.hb_{i}" for i in range(len(channels)))
    query = f"""
WITH RECURSIVE chain(checkpoint_id, parent_checkpoint_id, depth, {hb_cols}) AS (
    SELECT p.checkpoint_id, p.parent_checkpoint_id, 0, {", ".join(probes)}
      FROM {sql.CP} p WHERE p.thread_id = %s AND p.checkpoint_ns = %s AND p.checkpoint_id = %s
    UNION ALL
    SELECT p.checkpoint_id, p.parent_checkpoint_id, chain.depth + 1, {", ".join(probes)}
      FROM chain JOIN {sql.CP} p
        ON p.thread_id = %s AND p.checkpoint_ns = %s AND p.checkpoint_id = chain.parent_checkpoint_id
     WHERE (chain.depth = 0 OR NOT ({all_seeded})) AND chain.depth < {_MAX_DEPTH}
)
SELECT c.checkpoint_id, c.type, c.checkpoint, c.channel_versions, chain.depth, {chain_hb_cols}
  FROM chain JOIN {sql.CP} c
    ON c.thread_id = %s AND c.checkpoint_ns = %s AND c.checkpoint_id = chain.checkpoint_id
 ORDER BY chain.depth"""
    return query, probe_params


def delta_channel_history(
    serde: SerializerProtocol, config: RunnableConfig, channels: list[str]
) -> dict[str, DeltaChannelHistory]:
    """See ``BaseCheckpointSaver.get_delta_channel_history`` (the contract) and the module doc."""
    if not channels:
        return {}
    conf = config["configurable"]
    thread_id = str(conf["thread_id"])
    ns = conf.get("checkpoint_ns", "")
    checkpoint_id = get_checkpoint_id(config)
    empty: dict[str, DeltaChannelHistory] = {ch: {"writes": []} for ch in channels}
    with connection.cursor() as cur:
        if not checkpoint_id:
            cur.execute(
                f"SELECT checkpoint_id FROM {sql.CP} WHERE thread_id = %s AND checkpoint_ns = %s "
                "ORDER BY checkpoint_id DESC LIMIT 1",
                [thread_id, ns],
            )
            row = cur.fetchone()
            if row is None:
                return empty
            checkpoint_id = row[0]
        query, seeded_params = _chain_sql(connection.vendor, channels)
        params = seeded_params + [thread_id, ns, checkpoint_id] + seeded_params + [thread_id, ns, thread_id, ns]
        cur.execute(query, params)
        chain = cur.fetchall()
    ancestors = [row for row in chain if row[4] > 0]
    if not ancestors:
        return empty

    # Which ancestor seeds each channel: the nearest with a stored value (a blob at its
    # version, or an inline primitive other than None in the checkpoint), walking up from the parent.
    path: dict[str, list[str]] = {ch: [] for ch in channels}
    seed_blob: dict[str, tuple[str, str]] = {}
    seed_inline: dict[str, Any] = {}
    remaining = set(channels)
    versions_by_id = {row[0]: json_column(row[3]) for row in ancestors}
    for cid, ctype, data, _versions, _depth, *has_blob in ancestors:
        if not remaining:
            break
        versions = versions_by_id[cid]
        inline: dict[str, Any] | None = None
        for ch in list(remaining):
            path[ch].append(cid)
            if has_blob[channels.index(ch)]:
                seed_blob[ch] = (ch, str(versions[ch]))
                remaining.discard(ch)
                continue
            if inline is None:
                inline = serde.loads_typed((ctype, bytes(data))).get("channel_values", {})
            if inline.get(ch) is not None:  # an inline None is no value, as PostgresSaver reads its JSON null
                seed_inline[ch] = inline[ch]
                remaining.discard(ch)

    # Query 2: the writes on each channel's path and the seed blobs.
    wanted = Q()
    for ch, cids in path.items():
        if cids:
            wanted |= Q(channel=ch, checkpoint_id__in=cids)
    writes: dict[tuple[str, str], list[tuple[str, str, int, str, bytes]]] = {}
    for cid, ch, task_id, task_path, idx, wtype, blob in CheckpointWrite.objects.filter(
        wanted, thread_id=thread_id, checkpoint_ns=ns
    ).values_list("checkpoint_id", "channel", "task_id", "task_path", "idx", "type", "blob"):
        writes.setdefault((ch, cid), []).append((task_path, task_id, idx, wtype, bytes(blob)))
    seeds: dict[str, Any] = dict(seed_inline)
    if seed_blob:
        cond = Q()
        for ch, ver in seed_blob.values():
            cond |= Q(channel=ch, version=ver)
        for ch, btype, value in CheckpointBlob.objects.filter(cond, thread_id=thread_id, checkpoint_ns=ns).values_list(
            "channel", "type", "blob"
        ):
            assert value is not None  # only "empty" blobs are NULL, and the probe seeded from non-empty ones only
            seeds[ch] = serde.loads_typed((btype, bytes(value)))

    result: dict[str, DeltaChannelHistory] = {}
    for ch in channels:
        collected: list[PendingWrite] = []
        for cid in reversed(path[ch]):  # oldest → newest
            for _task_path, task_id, _idx, wtype, blob in sorted(
                writes.get((ch, cid), []), key=lambda w: writes_sort_key(w[0], w[1], w[2])
            ):
                collected.append((task_id, ch, serde.loads_typed((wtype, blob))))
        entry: DeltaChannelHistory = {"writes": collected}
        if ch in seeds:
            entry["seed"] = seeds[ch]
        result[ch] = entry
    return result
