"""Checkpoint retention and thread operations: the service, ``prune_checkpoints`` (command and
Celery task), copy/fork of a thread, and the saver's ``prune`` refusing DeltaChannel threads."""
from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from langchain_core.messages import HumanMessage

from sessions_app.checkpoint import DjangoSaver
from sessions_app.checkpoint.services import checkpoints_prune, thread_copy, thread_fork
from sessions_app.exceptions import InvalidInput
from sessions_app.models import Checkpoint, CheckpointBlob, CheckpointWrite
from sessions_app.tasks import prune_checkpoints

from .checkpoint_graphs import build_delta_counter, build_pipeline, messages_as_text

pytestmark = pytest.mark.django_db(transaction=True)


def _thread(saver: DjangoSaver, turns: int) -> tuple[Any, dict[str, Any]]:
    graph = build_pipeline(saver)
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    for i in range(turns):
        graph.invoke({"messages": [HumanMessage(f"turn {i}")]}, config)
    return graph, config


def _counts(thread_id: str) -> tuple[int, int, int]:
    return (
        Checkpoint.objects.filter(thread_id=thread_id).count(),
        CheckpointWrite.objects.filter(thread_id=thread_id).count(),
        CheckpointBlob.objects.filter(thread_id=thread_id).count(),
    )


def test_prune_command_keeps_the_latest_n_and_the_state(saver: DjangoSaver) -> None:
    graph, config = _thread(saver, 3)  # 12 checkpoints
    other_graph, other = _thread(saver, 1)  # 4 checkpoints
    thread_id = config["configurable"]["thread_id"]
    before_state = graph.get_state(config).values
    cps, writes, blobs = _counts(thread_id)
    assert cps == 12 and writes > 0 and blobs > 0

    out = io.StringIO()
    call_command("prune_checkpoints", "--keep", "2", stdout=out, stderr=io.StringIO())
    assert "in 2 threads (keeping 2 per namespace)" in out.getvalue()

    after_cps, after_writes, after_blobs = _counts(thread_id)
    assert after_cps == 2 and after_writes < writes and after_blobs < blobs
    history = list(graph.get_state_history(config))
    assert len(history) == 2
    assert history[-1].parent_config is None  # its parent was deleted: it is the root now
    assert graph.get_state(config).values == before_state
    # The thread goes on from where it was.
    graph.invoke({"messages": [HumanMessage("after prune")]}, config)
    assert messages_as_text(graph.get_state(config).values["messages"])[-3:] == [
        "human:after prune", "ai:draft of: after prune", "ai:reviewed (11 messages)",
    ]
    assert Checkpoint.objects.filter(thread_id=other["configurable"]["thread_id"]).count() == 2


def test_dry_run_and_older_than_delete_nothing_recent(saver: DjangoSaver) -> None:
    _graph, config = _thread(saver, 2)
    thread_id = config["configurable"]["thread_id"]
    before = _counts(thread_id)
    out = io.StringIO()
    call_command("prune_checkpoints", "--keep", "1", "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Would delete 7 checkpoints" in out.getvalue()
    assert _counts(thread_id) == before

    assert checkpoints_prune(keep=1, older_than_days=1).checkpoints == 0
    assert _counts(thread_id) == before
    # Age the three oldest checkpoints: only those are past the cutoff.
    oldest = Checkpoint.objects.filter(thread_id=thread_id).order_by("checkpoint_id")[:3]
    Checkpoint.objects.filter(pk__in=[c.pk for c in oldest]).update(created_at=timezone.now() - timedelta(days=40))
    result = checkpoints_prune(keep=1, older_than_days=30)
    assert (result.threads, result.checkpoints) == (1, 3)
    assert Checkpoint.objects.filter(thread_id=thread_id).count() == 5


def test_bad_arguments_are_reported_not_crashes() -> None:
    with pytest.raises(CommandError, match="keep must be an integer of at least 1"):
        call_command("prune_checkpoints", "--keep", "0", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(InvalidInput):
        checkpoints_prune(keep=1, older_than_days=-1)


def test_celery_task_calls_the_same_service(saver: DjangoSaver) -> None:
    _graph, config = _thread(saver, 2)
    summary = prune_checkpoints.delay(keep=3).get(timeout=30)
    assert summary["checkpoints"] == 5 and summary["threads"] == 1
    assert Checkpoint.objects.filter(thread_id=config["configurable"]["thread_id"]).count() == 3


def test_delta_channel_threads_are_skipped_by_retention_and_refused_by_prune(saver: DjangoSaver) -> None:
    graph = build_delta_counter(saver)
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    for _ in range(4):
        graph.invoke({"items": [], "count": 0}, config)
    thread_id = config["configurable"]["thread_id"]
    before = _counts(thread_id)
    result = checkpoints_prune(keep=1)
    assert result.skipped_delta_threads == [thread_id]
    with pytest.raises(NotImplementedError, match="DeltaChannel"):
        saver.prune([thread_id], strategy="keep_latest")
    assert _counts(thread_id) == before
    assert graph.get_state(config).values["items"] == [f"item-{i}" for i in range(4)]


def test_copy_and_fork_a_thread(saver: DjangoSaver) -> None:
    graph, config = _thread(saver, 2)
    thread_id = config["configurable"]["thread_id"]
    copy_id = thread_copy(source_thread_id=thread_id)
    copy_config = {"configurable": {"thread_id": copy_id}}
    assert graph.get_state(copy_config).values == graph.get_state(config).values
    assert _counts(copy_id) == _counts(thread_id)
    with pytest.raises(InvalidInput, match="already exists"):
        thread_copy(source_thread_id=thread_id, target_thread_id=copy_id)

    first_turn_done = [h for h in graph.get_state_history(config) if h.metadata["step"] == 2][0]
    fork_id = thread_fork(
        thread_id=thread_id, checkpoint_id=first_turn_done.config["configurable"]["checkpoint_id"]
    )
    fork_config = {"configurable": {"thread_id": fork_id}}
    assert len(list(graph.get_state_history(fork_config))) == 4
    assert graph.get_state(fork_config).values == first_turn_done.values
    graph.invoke({"messages": [HumanMessage("branch")]}, fork_config)
    assert messages_as_text(graph.get_state(fork_config).values["messages"])[-1] == "ai:reviewed (5 messages)"
    assert len(graph.get_state(config).values["messages"]) == 6  # the original is untouched
    with pytest.raises(InvalidInput, match="no checkpoint"):
        thread_fork(thread_id=thread_id, checkpoint_id="nope")
