"""LangGraph checkpoint storage: checkpoints, per-channel-version blobs, pending writes.

The layout is LangGraph's ``PostgresSaver`` layout expressed as Django models, so the terms mean
exactly what LangGraph says they mean:

* ``thread_id`` — the conversation/run thread (``config["configurable"]["thread_id"]``). A thread
  whose ``thread_id`` is a ``ChatSession`` id (its ``session_id``) belongs to that conversation.
* ``checkpoint_ns`` — ``""`` for the root graph, ``"node:task_id"`` (``|``-joined) for subgraphs.
* ``checkpoint_id`` — a uuid6 string, unique *and monotonically increasing* within a thread, so
  ``ORDER BY checkpoint_id DESC`` is newest first (LangGraph relies on this; so do we).
* ``parent_checkpoint_id`` — the checkpoint this one was created from (``None`` for the first
  one, or after ``prune`` deleted the parent).

Races, and how the constraints settle them (the same semantics as ``PostgresSaver``):

* ``CheckpointBlob`` rows are keyed by ``(thread_id, checkpoint_ns, channel, version)`` and
  inserted with *ON CONFLICT DO NOTHING*: a channel version is immutable, so two writers storing
  the same version store the same value and the first one wins. Checkpoints reference blobs
  through their ``channel_versions``; a value that did not change between steps is stored once.
* ``Checkpoint`` rows are upserted (*ON CONFLICT DO UPDATE* of ``checkpoint``/``metadata``):
  re-putting a checkpoint id replaces it.
* ``CheckpointWrite`` rows are keyed by ``(thread_id, checkpoint_ns, checkpoint_id, task_id,
  idx)``. Regular writes are inserted with *DO NOTHING* (a retried task does not duplicate or
  reorder its writes); when every write of a call is a special channel (``__error__``,
  ``__interrupt__``, ``__resume__``, ``__scheduled__`` — negative ``idx`` from LangGraph's
  ``WRITES_IDX_MAP``) they are upserted, so the latest error/interrupt/resume wins.
"""
from __future__ import annotations

from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils import timezone


class Checkpoint(models.Model):
    """One LangGraph checkpoint (``langgraph.checkpoint.base.Checkpoint``) of a thread.

    ``checkpoint`` holds the checkpoint serialized by the saver's serde (``type`` names the
    format, e.g. ``msgpack``) *without* ``channel_versions`` (kept in the JSON column of that
    name) and without non-primitive channel values (kept once per version in
    ``CheckpointBlob``); primitive values (``None``/str/int/float/bool) stay inline, as in
    ``PostgresSaver``. ``metadata`` is LangGraph's ``CheckpointMetadata`` as JSON (``source``,
    ``step``, ``parents``, ``run_id`` and any user keys) so ``list(filter=…)`` is a database query.
    """

    thread_id = models.CharField(max_length=255)
    checkpoint_ns = models.CharField(max_length=255, blank=True, default="")
    checkpoint_id = models.CharField(max_length=64)
    parent_checkpoint_id = models.CharField(max_length=64, null=True, blank=True)
    type = models.CharField(max_length=32)
    checkpoint = models.BinaryField()
    channel_versions = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "checkpoint"
        constraints = [
            # get_tuple/list by (thread, ns), newest first: a backward range scan of this index.
            models.UniqueConstraint(
                fields=["thread_id", "checkpoint_ns", "checkpoint_id"], name="checkpoint_thread_ns_id_uniq"
            ),
        ]
        indexes = [
            # list(config) without a namespace: the thread's checkpoints newest first.
            models.Index(fields=["thread_id", "-checkpoint_id"], name="checkpoint_thread_latest_idx"),
            # delete_for_runs: checkpoints by metadata["run_id"].
            models.Index(KeyTransform("run_id", "metadata"), name="checkpoint_run_id_idx"),
            # Retention and the admin thread list: by age.
            models.Index(fields=["created_at"], name="checkpoint_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}/{self.checkpoint_ns or '-'}/{self.checkpoint_id}"


class CheckpointBlob(models.Model):
    """One channel value at one channel version, shared by every checkpoint referencing it.

    ``type``/``blob`` are the serde's ``dumps_typed`` pair; ``type == "empty"`` (no blob) marks a
    version whose channel had no value, as ``PostgresSaver`` writes it.
    """

    thread_id = models.CharField(max_length=255)
    checkpoint_ns = models.CharField(max_length=255, blank=True, default="")
    channel = models.CharField(max_length=255)
    version = models.CharField(max_length=64)
    type = models.CharField(max_length=32)
    blob = models.BinaryField(null=True)

    class Meta:
        verbose_name = "checkpoint blob"
        constraints = [
            models.UniqueConstraint(
                fields=["thread_id", "checkpoint_ns", "channel", "version"], name="checkpointblob_key_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}/{self.checkpoint_ns or '-'}/{self.channel}@{self.version}"


class CheckpointWrite(models.Model):
    """A pending write of a task against a checkpoint (``put_writes``).

    ``idx`` is the write's position in its ``put_writes`` call, or the negative index LangGraph's
    ``WRITES_IDX_MAP`` gives the special channels. Pending writes are returned in
    ``writes_sort_key`` order: ``(task_path, task_id, idx)``.
    """

    thread_id = models.CharField(max_length=255)
    checkpoint_ns = models.CharField(max_length=255, blank=True, default="")
    checkpoint_id = models.CharField(max_length=64)
    task_id = models.CharField(max_length=255)
    task_path = models.CharField(max_length=1024, blank=True, default="")
    idx = models.IntegerField()
    channel = models.CharField(max_length=255)
    type = models.CharField(max_length=32, blank=True, default="")
    blob = models.BinaryField()

    class Meta:
        verbose_name = "checkpoint write"
        constraints = [
            models.UniqueConstraint(
                fields=["thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx"],
                name="checkpointwrite_key_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}/{self.checkpoint_id} {self.task_id}[{self.idx}] {self.channel}"


class CheckpointThread(models.Model):
    """One row per LangGraph thread namespace ``(thread_id, checkpoint_ns)``: the admin's thread list.

    A summary of the namespace's ``Checkpoint`` rows (count, latest checkpoint id and its step,
    first/last ``created_at``) kept in step with them by the code that writes checkpoints, in the
    same statement or transaction: ``DjangoSaver.put`` upserts it in its one statement (a new
    checkpoint adds 1, the latest id/step only move forward); deletes, copies, prunes and forks
    (``checkpoint.maintenance``, ``checkpoint.services``) recompute the rows of the threads they
    touched (``maintenance.refresh_threads``). Rows written to ``Checkpoint`` by other means are not
    counted until such a refresh. Concurrent ``put``s of one namespace queue on its row lock.
    """

    id = models.BigAutoField(primary_key=True)
    thread_id = models.CharField(max_length=255)
    checkpoint_ns = models.CharField(max_length=255, blank=True, default="")
    checkpoints = models.IntegerField()
    latest_checkpoint_id = models.CharField(max_length=64)
    latest_step = models.IntegerField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "sessions_app_checkpointthread"
        verbose_name = "LangGraph thread"
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["thread_id", "checkpoint_ns"], name="checkpointthread_key_uniq"),
        ]
        indexes = [models.Index(fields=["-updated_at"], name="checkpointthread_updated_idx")]

    def __str__(self) -> str:
        return f"{self.thread_id}" + (f" [{self.checkpoint_ns}]" if self.checkpoint_ns else "")
