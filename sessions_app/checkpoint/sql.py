"""The saver's SQL, per database vendor, over the tables of ``sessions_app.models.checkpoints``.

Reads are ONE statement per ``get_tuple`` / ``list`` page: the checkpoint rows with their blobs
(joined through the ``channel_versions`` JSON column) and their pending writes aggregated by
correlated subqueries. PostgreSQL aggregates ``bytea`` arrays (as ``PostgresSaver`` does);
SQLite aggregates JSON arrays with hex-encoded blobs. Both walk the unique
``(thread_id, checkpoint_ns, checkpoint_id)`` index (or ``checkpoint_thread_latest_idx``)
backwards, so the latest checkpoint and a ``list(limit=10)`` page cost the same at step 10 and
at step 10,000. Each blob is fetched by its unique key through a ``LATERAL … LIMIT 1`` subquery
(the ``LIMIT`` stops PostgreSQL from flattening it into a hash join over *all* of the thread's
blobs, which it otherwise picks on fresh tables and which grows with the thread); on SQLite a
``CROSS JOIN`` keeps ``json_each`` as the outer loop for the same reason.
"""
from __future__ import annotations

from ..models import Checkpoint, CheckpointBlob, CheckpointThread, CheckpointWrite
from .gate import GATE

CP = Checkpoint._meta.db_table
BLOB = CheckpointBlob._meta.db_table
WRITE = CheckpointWrite._meta.db_table
THREAD = CheckpointThread._meta.db_table

CP_COLUMNS = "c.thread_id, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.type, c.checkpoint, " \
    "c.channel_versions, c.metadata"

SELECT = {
    "postgresql": f"""
SELECT {CP_COLUMNS},
    (SELECT array_agg(array[convert_to(b.channel, 'UTF8'), convert_to(b.type, 'UTF8'), b.blob])
       FROM jsonb_each_text(c.channel_versions) v
       CROSS JOIN LATERAL (
           SELECT b.channel, b.type, b.blob FROM {BLOB} b
            WHERE b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns
              AND b.channel = v.key AND b.version = v.value
            LIMIT 1) b) AS blobs,
    (SELECT array_agg(array[convert_to(w.task_id, 'UTF8'), convert_to(w.channel, 'UTF8'),
                            convert_to(w.type, 'UTF8'), w.blob, convert_to(w.task_path, 'UTF8'),
                            convert_to(w.idx::text, 'UTF8')])
       FROM {WRITE} w
      WHERE w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns
        AND w.checkpoint_id = c.checkpoint_id) AS writes
FROM {CP} c""",
    "sqlite": f"""
SELECT {CP_COLUMNS},
    (SELECT json_group_array(json_array(b.channel, b.type, hex(b.blob)))
       FROM json_each(c.channel_versions) v
       CROSS JOIN {BLOB} b ON b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns
        AND b.channel = v.key AND b.version = CAST(v.value AS TEXT)) AS blobs,
    (SELECT json_group_array(json_array(w.task_id, w.channel, w.type, hex(w.blob), w.task_path, w.idx))
       FROM {WRITE} w
      WHERE w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns
        AND w.checkpoint_id = c.checkpoint_id) AS writes
FROM {CP} c""",
}

UPSERT_CHECKPOINT = f"""
INSERT INTO {CP} (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
                  channel_versions, metadata, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
    type = EXCLUDED.type, checkpoint = EXCLUDED.checkpoint,
    channel_versions = EXCLUDED.channel_versions, metadata = EXCLUDED.metadata"""


def insert_blobs(n: int) -> str:
    """INSERT of ``n`` blob rows; an existing channel version is kept (immutable). SQLite's."""
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * n)
    return (
        f"INSERT INTO {BLOB} (thread_id, checkpoint_ns, channel, version, type, blob) VALUES {rows} "
        "ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING"
    )


# PostgreSQL's writes take their rows as arrays (``unnest``), so each has ONE text whatever the
# number of rows: the saver prepares them once per connection (``sessions_app.db``), and a text
# per row count would fill psycopg's per-connection cache of prepared statements (100).
INSERT_BLOBS_POSTGRESQL = (
    f"INSERT INTO {BLOB} (thread_id, checkpoint_ns, channel, version, type, blob) "
    "SELECT %s, %s, u.channel, u.version, u.type, u.blob "
    "FROM unnest(%s::text[], %s::text[], %s::text[], %b::bytea[]) AS u(channel, version, type, blob) "
    "WHERE NOT (SELECT gone FROM gate) "
    "ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING"
)

STEP = {
    "postgresql": "(metadata ->> 'step')::integer",
    "sqlite": "CAST(json_extract(metadata, '$.step') AS INTEGER)",
}


def _upsert_thread(source: str, greatest: str) -> str:
    """The ``CheckpointThread`` row of a stored checkpoint, from ``source`` (its row, with
    1 as the count for a new checkpoint, 0 for an overwrite): count added, latest id/step moved
    forward only."""
    return (
        f"INSERT INTO {THREAD} AS t (thread_id, checkpoint_ns, checkpoints, latest_checkpoint_id, latest_step, "
        f"created_at, updated_at) {source} "
        "ON CONFLICT (thread_id, checkpoint_ns) DO UPDATE SET "
        "checkpoints = t.checkpoints + EXCLUDED.checkpoints, "
        "latest_step = CASE WHEN EXCLUDED.latest_checkpoint_id >= t.latest_checkpoint_id "
        "THEN EXCLUDED.latest_step ELSE t.latest_step END, "
        f"latest_checkpoint_id = {greatest}(t.latest_checkpoint_id, EXCLUDED.latest_checkpoint_id), "
        f"updated_at = {greatest}(t.updated_at, EXCLUDED.updated_at)"
    )


_UPSERT_CHECKPOINT_GATED = UPSERT_CHECKPOINT.replace(
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "SELECT %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s::timestamptz WHERE NOT (SELECT gone FROM gate)",
)
PUT_POSTGRESQL = (
    f"WITH {GATE}, blobs AS ({INSERT_BLOBS_POSTGRESQL}), "
    f"cp AS ({_UPSERT_CHECKPOINT_GATED} RETURNING thread_id, checkpoint_ns, checkpoint_id, metadata, created_at, "
    "(xmax = 0) AS inserted), "
    "th AS ("
    + _upsert_thread(
        f"SELECT thread_id, checkpoint_ns, inserted::integer, checkpoint_id, {STEP['postgresql']}, created_at, "
        "created_at FROM cp",
        "GREATEST",
    )
    + ") SELECT gone FROM gate"
)
"""``put`` as one statement: the gate (``gate.GATE``; parameter: the thread's conversation id or
NULL), the blobs (parameters: thread_id, checkpoint_ns, then arrays of channel, version, type,
blob — empty when there are none) in a data-modifying CTE, the checkpoint upsert (its parameters
follow), and the thread's ``CheckpointThread`` row (``xmax = 0``: inserted, not overwritten).
Returns one row: ``gone`` (true: the thread's conversation was deleted and nothing was written)."""

UPSERT_THREAD_SQLITE = _upsert_thread(
    f"SELECT thread_id, checkpoint_ns, %s, checkpoint_id, {STEP['sqlite']}, created_at, created_at FROM {CP} "
    "WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s",
    "max",
)
"""SQLite's ``put`` runs it after the checkpoint upsert, in the same transaction (parameters:
1 if the checkpoint is new else 0, then its key)."""

EXISTS_CHECKPOINT = f"SELECT 1 FROM {CP} WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s"


def refresh_threads(n: int, *, step: str) -> str:
    """Recompute the ``CheckpointThread`` rows of ``n`` threads from their checkpoints (after the
    rows of those threads were deleted)."""
    marks = ", ".join(["%s"] * n)
    return (
        f"INSERT INTO {THREAD} (thread_id, checkpoint_ns, checkpoints, latest_checkpoint_id, latest_step, "
        "created_at, updated_at) "
        "SELECT g.thread_id, g.checkpoint_ns, g.n, g.latest, "
        f"(SELECT {step} FROM {CP} l WHERE l.thread_id = g.thread_id AND l.checkpoint_ns = g.checkpoint_ns "
        "AND l.checkpoint_id = g.latest), g.created, g.updated "
        "FROM (SELECT thread_id, checkpoint_ns, count(*) AS n, max(checkpoint_id) AS latest, "
        f"min(created_at) AS created, max(created_at) AS updated FROM {CP} WHERE thread_id IN ({marks}) "
        "GROUP BY thread_id, checkpoint_ns) g"
    )

_WRITES_POSTGRESQL = (
    f"WITH {GATE}, w AS (INSERT INTO {WRITE} (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, "
    "channel, type, blob) SELECT %s, %s, %s, %s, %s, u.idx, u.channel, u.type, u.blob "
    "FROM unnest(%s::int[], %s::text[], %s::text[], %b::bytea[]) AS u(idx, channel, type, blob) "
    "WHERE NOT (SELECT gone FROM gate) ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) "
)
INSERT_WRITES_POSTGRESQL = {
    True: _WRITES_POSTGRESQL + "DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob"
    ") SELECT gone FROM gate",
    False: _WRITES_POSTGRESQL + "DO NOTHING) SELECT gone FROM gate",
}
"""``put_writes`` (key: upsert?): parameters the gate's (``gate.GATE``), thread_id, checkpoint_ns,
checkpoint_id, task_id, task_path, then arrays of idx, channel, type, blob (idx unique within the
call). Returns one row: ``gone`` (see ``PUT_POSTGRESQL``)."""


def insert_writes(n: int, *, upsert: bool) -> str:
    """INSERT of ``n`` write rows: upsert for special channels only, else keep the first (see models).
    SQLite's (PostgreSQL: ``INSERT_WRITES_POSTGRESQL``)."""
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * n)
    action = (
        "DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob"
        if upsert
        else "DO NOTHING"
    )
    return (
        f"INSERT INTO {WRITE} (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, "
        f"blob) VALUES {rows} ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) {action}"
    )


def copy_thread() -> tuple[str, str, str]:
    """INSERT … SELECT copies of a thread's checkpoints, blobs and writes under a new thread id."""
    return (
        f"INSERT INTO {CP} (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, "
        f"channel_versions, metadata, created_at) SELECT %s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, "
        f"type, checkpoint, channel_versions, metadata, created_at FROM {CP} WHERE thread_id = %s "
        "ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO NOTHING",
        f"INSERT INTO {BLOB} (thread_id, checkpoint_ns, channel, version, type, blob) "
        f"SELECT %s, checkpoint_ns, channel, version, type, blob FROM {BLOB} WHERE thread_id = %s "
        "ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING",
        f"INSERT INTO {WRITE} (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, "
        f"blob) SELECT %s, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob "
        f"FROM {WRITE} WHERE thread_id = %s "
        "ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO NOTHING",
    )
