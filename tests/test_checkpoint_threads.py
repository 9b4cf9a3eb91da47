"""``CheckpointThread``, the admin's thread list: a summary row per ``(thread_id, checkpoint_ns)``
kept equal to the aggregate of its checkpoints by every operation that writes or removes them."""
from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.db.models import Count, Max, Min
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.base import empty_checkpoint

from sessions_app.checkpoint import DjangoSaver
from sessions_app.checkpoint.maintenance import refresh_threads
from sessions_app.checkpoint.services import thread_fork, thread_prune
from sessions_app.models import Checkpoint, CheckpointThread

from .checkpoint_graphs import build_pipeline

pytestmark = pytest.mark.django_db(transaction=True)


def aggregate() -> set[tuple[Any, ...]]:
    """What the summary must hold, computed from the checkpoints (what the old view computed)."""
    rows = set()
    groups = Checkpoint.objects.values("thread_id", "checkpoint_ns").annotate(
        n=Count("id"), latest=Max("checkpoint_id"), created=Min("created_at"), updated=Max("created_at")
    )
    for g in groups:
        latest = Checkpoint.objects.get(
            thread_id=g["thread_id"], checkpoint_ns=g["checkpoint_ns"], checkpoint_id=g["latest"]
        )
        rows.add((g["thread_id"], g["checkpoint_ns"], g["n"], g["latest"], latest.metadata.get("step"),
                  g["created"], g["updated"]))
    return rows


def summary() -> set[tuple[Any, ...]]:
    return set(CheckpointThread.objects.values_list(
        "thread_id", "checkpoint_ns", "checkpoints", "latest_checkpoint_id", "latest_step", "created_at", "updated_at"
    ))


def put(saver: DjangoSaver, thread_id: str, step: int, *, ns: str = "", checkpoint_id: str | None = None,
        parent: str | None = None, run_id: str = "run") -> str:
    cp = empty_checkpoint()
    if checkpoint_id:
        cp["id"] = checkpoint_id
    cp["channel_values"] = {"items": [step]}
    cp["channel_versions"] = {"items": saver.get_next_version(None, None)}
    conf: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ns}
    if parent:
        conf["checkpoint_id"] = parent
    saver.put({"configurable": conf}, cp, {"source": "loop", "step": step, "run_id": run_id}, cp["channel_versions"])
    return cp["id"]


def test_put_keeps_one_row_per_namespace_with_count_latest_step_and_times(saver: DjangoSaver) -> None:
    thread = str(uuid.uuid4())
    ids = [put(saver, thread, step) for step in range(3)]
    put(saver, thread, 0, ns="sub")
    assert summary() == aggregate()
    row = CheckpointThread.objects.get(thread_id=thread, checkpoint_ns="")
    assert (row.checkpoints, row.latest_checkpoint_id, row.latest_step) == (3, ids[-1], 2)

    put(saver, thread, 7, checkpoint_id=ids[-1])  # an overwrite is not a new checkpoint
    put(saver, thread, 9, checkpoint_id=ids[0])  # an older id does not move "latest" back
    assert summary() == aggregate()
    row.refresh_from_db()
    assert (row.checkpoints, row.latest_checkpoint_id, row.latest_step) == (3, ids[-1], 7)


def test_graph_copy_fork_prune_delete_for_runs_and_delete_keep_it_equal(saver: DjangoSaver) -> None:
    graph = build_pipeline(saver)
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    for i in range(3):
        graph.invoke({"messages": [HumanMessage(f"turn {i}")]}, config)
    source = config["configurable"]["thread_id"]
    assert summary() == aggregate()

    saver.copy_thread(source, "copy")
    assert summary() == aggregate()
    past = next(h for h in graph.get_state_history(config) if h.metadata["step"] == 2)
    forked = thread_fork(thread_id=source, checkpoint_id=past.config["configurable"]["checkpoint_id"])
    assert summary() == aggregate()
    assert CheckpointThread.objects.get(thread_id=forked).latest_step == 2

    other = str(uuid.uuid4())
    put(saver, other, 1, run_id="keep")
    put(saver, other, 2, run_id="drop")
    saver.delete_for_runs(["drop"])
    assert summary() == aggregate()
    assert CheckpointThread.objects.get(thread_id=other).checkpoints == 1

    saver.prune([source], strategy="keep_latest")
    assert summary() == aggregate()
    assert CheckpointThread.objects.get(thread_id=source).checkpoints == 1
    thread_prune(thread_id="copy", keep=2)
    assert summary() == aggregate()

    saver.delete_thread("copy")
    saver.prune([forked], strategy="delete")
    assert summary() == aggregate()
    assert not CheckpointThread.objects.filter(thread_id__in=["copy", forked]).exists()


def test_refresh_rebuilds_rows_written_around_the_saver(saver: DjangoSaver) -> None:
    thread = str(uuid.uuid4())
    put(saver, thread, 1)
    CheckpointThread.objects.all().delete()  # e.g. rows loaded with a bulk tool
    refresh_threads([thread])
    assert summary() == aggregate() != set()


def test_admin_thread_list_reads_the_summary_not_the_checkpoints(admin_client, saver: DjangoSaver) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    thread = str(uuid.uuid4())
    for step in range(3):
        put(saver, thread, step)
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(reverse("admin:sessions_app_checkpointthread_changelist"))
    assert response.status_code == 200 and thread in response.content.decode()
    page = [q["sql"] for q in ctx.captured_queries if "LIMIT" in q["sql"] and "checkpointthread" in q["sql"]]
    assert page
    explain = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cur:  # the plan reads the summary's index, not the checkpoints
        cur.execute(explain + page[0])
        plan = " ".join(str(col) for row in cur.fetchall() for col in row)
    assert not re.search(rf"\b{Checkpoint._meta.db_table}\b", plan), plan
