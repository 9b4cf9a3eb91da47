"""``DjangoSaver`` beside LangGraph's ``PostgresSaver`` on the same data: what ``prune`` and
retention (``prune_checkpoints``) keep of a thread with subgraph calls, reading checkpoints
written before checkpoint format v4 (their pending sends are their parent's TASKS writes), and
which threads count as using a DeltaChannel.

On PostgreSQL every test also runs ``PostgresSaver`` (langgraph-checkpoint-postgres, its own
tables in the test database, through its own psycopg connection) and compares; on the embedded
default ``DjangoSaver`` runs alone against the same expected values.
"""
from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Iterator
from typing import Any, TypedDict

import pytest
from django.core.management import call_command
from django.db import connection
from langgraph.checkpoint.base import CheckpointTuple, empty_checkpoint
from langgraph.checkpoint.base.id import uuid6
from langgraph.checkpoint.serde.types import TASKS, _DeltaSnapshot
from langgraph.graph import END, START, StateGraph

from sessions_app.checkpoint import DjangoSaver
from sessions_app.checkpoint.services import checkpoints_prune
from sessions_app.models import Checkpoint, CheckpointBlob, CheckpointWrite

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def upstream() -> Iterator[Any]:
    """``PostgresSaver`` on the test database (``None`` on SQLite)."""
    if connection.vendor != "postgresql":
        yield None
        return
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    s = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=s["NAME"], host=s["HOST"] or None, port=s["PORT"] or None, user=s["USER"] or None,
        password=s["PASSWORD"] or None,
    )
    with psycopg.connect(conninfo, autocommit=True, prepare_threshold=0, row_factory=dict_row) as conn:
        saver = PostgresSaver(conn)
        saver.setup()
        yield saver


def savers(upstream: Any) -> list[Any]:
    return [DjangoSaver()] + ([upstream] if upstream is not None else [])


def rows(saver: Any, thread_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row of a thread, as PostgresSaver's prune tests read them."""
    if isinstance(saver, DjangoSaver):
        return {
            "checkpoints": sorted(Checkpoint.objects.filter(thread_id=thread_id).values_list(
                "checkpoint_ns", "checkpoint_id")),
            "writes": sorted(CheckpointWrite.objects.filter(thread_id=thread_id).values_list(
                "checkpoint_ns", "checkpoint_id", "task_id", "idx")),
            "blobs": sorted(CheckpointBlob.objects.filter(thread_id=thread_id).values_list(
                "checkpoint_ns", "channel", "version")),
        }
    queries = {
        "checkpoints": "SELECT checkpoint_ns, checkpoint_id FROM checkpoints WHERE thread_id = %s ORDER BY 1, 2",
        "writes": "SELECT checkpoint_ns, checkpoint_id, task_id, idx FROM checkpoint_writes WHERE thread_id = %s "
        "ORDER BY 1, 2, 3, 4",
        "blobs": "SELECT checkpoint_ns, channel, version FROM checkpoint_blobs WHERE thread_id = %s ORDER BY 1, 2, 3",
    }
    found = {}
    with saver._cursor() as cur:
        for table, query in queries.items():
            cur.execute(query, (thread_id,))
            found[table] = [tuple(r.values()) for r in cur.fetchall()]
    return found


class Counter(TypedDict):
    n: int


def build_with_subgraph(checkpointer: Any) -> Any:
    """START → ``sub`` (a compiled subgraph: START → inc → END) → END; each call gets its own
    ``sub:<task_id>`` namespace."""
    sub: Any = StateGraph(Counter)
    sub.add_node("inc", lambda state: {"n": state["n"] + 1})
    sub.add_edge(START, "inc")
    sub.add_edge("inc", END)
    parent: Any = StateGraph(Counter)
    parent.add_node("sub", sub.compile())
    parent.add_edge(START, "sub")
    parent.add_edge("sub", END)
    return parent.compile(checkpointer=checkpointer)


def subgraph_thread(saver: Any, invokes: int = 20) -> tuple[Any, dict[str, Any]]:
    graph = build_with_subgraph(saver)
    config: dict[str, Any] = {"configurable": {"thread_id": str(uuid.uuid4())}}
    for _ in range(invokes):
        graph.invoke({"n": graph.get_state(config).values.get("n", 0)}, config)
    return graph, config


def test_keep_latest_deletes_subgraph_calls_with_their_root_checkpoint(upstream: Any) -> None:
    kept = {}
    for saver in savers(upstream):
        graph, config = subgraph_thread(saver)
        thread_id = config["configurable"]["thread_id"]
        assert len({ns for ns, _ in rows(saver, thread_id)["checkpoints"]}) == 21  # the root + 20 calls
        state = graph.get_state(config)
        saver.prune([thread_id])
        found = rows(saver, thread_id)
        kept[type(saver).__name__] = (len(found["checkpoints"]), len(found["writes"]), len(found["blobs"]))
        assert found["checkpoints"] == [("", state.config["configurable"]["checkpoint_id"])]
        assert graph.get_state(config).values == state.values == {"n": 20}
        graph.invoke({"n": 20}, config)
        assert graph.get_state(config).values == {"n": 21}
    assert kept["DjangoSaver"] == (1, 0, 0)
    if upstream is not None:
        assert kept["PostgresSaver"] == kept["DjangoSaver"]


def test_retention_bounds_a_thread_that_calls_subgraphs(saver: DjangoSaver) -> None:
    graph, config = subgraph_thread(saver)
    thread_id = config["configurable"]["thread_id"]
    call_command("prune_checkpoints", "--keep", "2", stdout=io.StringIO(), stderr=io.StringIO())
    # The root's latest two checkpoints (the last invoke's step 0 and step 1) and the one call that
    # started from step 0, pruned to its latest two.
    found = rows(saver, thread_id)["checkpoints"]
    assert sorted({ns for ns, _ in found})[0] == "" and len({ns for ns, _ in found}) == 2
    assert len(found) == 4
    call_command("prune_checkpoints", "--keep", "1", stdout=io.StringIO(), stderr=io.StringIO())
    assert len(rows(saver, thread_id)["checkpoints"]) == 1
    assert graph.get_state(config).values == {"n": 20}


def test_prune_deletes_calls_whose_root_checkpoint_is_already_gone(saver: DjangoSaver) -> None:
    """What the old per-namespace prune left: every call's head, without the root checkpoint it
    started from. A call whose root checkpoint is older than the root's latest and missing is
    finished (a root checkpoint saved later than its call is always newer than the saved ones)."""
    graph, config = subgraph_thread(saver)
    thread_id = config["configurable"]["thread_id"]
    head = graph.get_state(config).config["configurable"]["checkpoint_id"]
    Checkpoint.objects.filter(thread_id=thread_id, checkpoint_ns="").exclude(checkpoint_id=head).delete()
    saver.prune([thread_id])
    assert rows(saver, thread_id)["checkpoints"] == [("", head)]


# ----- checkpoints written before checkpoint format v4 (pending sends in the parent's writes) -----


def put(
    saver: Any, thread_id: str, parent: dict[str, Any] | None, values: dict[str, Any], versions: dict[str, str],
    *, v: int = 4, checkpoint_id: str | None = None, metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``saver.put`` of a checkpoint in the shape LangGraph wrote at format ``v``, as
    PostgresSaver's prune tests build them."""
    config: dict[str, Any] = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    if parent is not None:
        config["configurable"]["checkpoint_id"] = parent["configurable"]["checkpoint_id"]
    checkpoint = empty_checkpoint()
    checkpoint.update(v=v, id=checkpoint_id or str(uuid6()), ts="2024-06-01T12:00:00+00:00", channel_values=values,
                      channel_versions=versions)
    step = -1 if parent is None else 0
    return saver.put(config, checkpoint, {"source": "loop", "step": step, "parents": {}, **(metadata or {})},
                     {k: versions[k] for k in values})


def pre_v4_thread(saver: Any, thread_id: str, ids: list[str], *, v: int) -> list[dict[str, Any]]:
    """first → second → head, each at format ``v``; ``first`` and ``second`` hold TASKS writes (the
    sends their child has to run), ``second``'s from two tasks."""
    first = put(saver, thread_id, None, {"a": [1]}, {"a": "1"}, v=v, checkpoint_id=ids[0])
    saver.put_writes(first, [(TASKS, "send-1")], "task-a")
    second = put(saver, thread_id, first, {}, {"a": "1", "b": "2"}, v=v, checkpoint_id=ids[1])
    head = put(saver, thread_id, second, {"a": [1, 2]}, {"a": "3", "b": "2"}, v=v, checkpoint_id=ids[2])
    saver.put_writes(second, [(TASKS, "send-3")], "task-b")
    saver.put_writes(second, [(TASKS, "send-2"), ("a", "not a send")], "task-a")
    return [first, second, head]


async def _alist(saver: DjangoSaver, config: dict[str, Any]) -> list[CheckpointTuple]:
    return [tup async for tup in saver.alist(config)]


@pytest.mark.parametrize("v", [1, 2, 3])
def test_pre_v4_checkpoints_read_their_pending_sends_from_the_parent(upstream: Any, v: int) -> None:
    thread_id, ids = str(uuid.uuid4()), [str(uuid6()) for _ in range(3)]
    seen: dict[str, Any] = {}
    for saver in savers(upstream):
        first, second, head = pre_v4_thread(saver, thread_id, ids, v=v)
        loaded = saver.get_tuple(head)
        assert loaded.checkpoint["channel_values"][TASKS] == ["send-2", "send-3"]
        assert loaded.checkpoint["channel_versions"][TASKS] == "3"  # the highest version there is
        listed = list(saver.list({"configurable": {"thread_id": thread_id}}))
        assert [t.checkpoint["channel_values"].get(TASKS) for t in listed] == [["send-2", "send-3"], ["send-1"], None]
        assert listed[0] == loaded
        if isinstance(saver, DjangoSaver):
            assert asyncio.run(saver.aget_tuple(head)) == loaded
            assert asyncio.run(_alist(saver, {"configurable": {"thread_id": thread_id}})) == listed
        seen[type(saver).__name__] = listed
    if upstream is not None:
        assert seen["DjangoSaver"] == seen["PostgresSaver"]


def test_a_pre_v4_checkpoint_without_versions_gets_a_new_tasks_version(upstream: Any) -> None:
    for saver in savers(upstream):
        thread_id = str(uuid.uuid4())
        first = put(saver, thread_id, None, {}, {}, v=1)
        saver.put_writes(first, [(TASKS, "send-1")], "task-a")
        head = put(saver, thread_id, first, {}, {}, v=1)
        loaded = saver.get_tuple(head)
        assert loaded.checkpoint["channel_values"] == {TASKS: ["send-1"]}
        assert list(loaded.checkpoint["channel_versions"]) == [TASKS]


def test_v4_checkpoints_do_not_read_their_parents_writes(upstream: Any) -> None:
    for saver in savers(upstream):
        thread_id = str(uuid.uuid4())
        *_, head = pre_v4_thread(saver, thread_id, [str(uuid6()) for _ in range(3)], v=4)
        assert TASKS not in saver.get_tuple(head).checkpoint["channel_values"]
        saver.prune([thread_id])
        assert rows(saver, thread_id)["checkpoints"] == [("", head["configurable"]["checkpoint_id"])]


@pytest.mark.parametrize("v", [1, 3])
def test_keep_latest_keeps_the_parent_holding_a_pre_v4_heads_sends(upstream: Any, v: int) -> None:
    thread_id, ids = str(uuid.uuid4()), [str(uuid6()) for _ in range(3)]
    kept = {}
    for saver in savers(upstream):
        first, second, head = pre_v4_thread(saver, thread_id, ids, v=v)
        saver.prune([thread_id])
        found = rows(saver, thread_id)
        assert found["checkpoints"] == [("", second["configurable"]["checkpoint_id"]),
                                        ("", head["configurable"]["checkpoint_id"])]
        loaded = saver.get_tuple(head)
        assert loaded.checkpoint["channel_values"][TASKS] == ["send-2", "send-3"]
        assert loaded.parent_config == second
        assert saver.get_tuple(second).parent_config is None
        kept[type(saver).__name__] = found
    if upstream is not None:
        assert kept["DjangoSaver"] == kept["PostgresSaver"]


def test_retention_keeps_the_parents_holding_pre_v4_sends(saver: DjangoSaver) -> None:
    thread_id, ids = str(uuid.uuid4()), [str(uuid6()) for _ in range(3)]
    first, second, head = pre_v4_thread(saver, thread_id, ids, v=2)
    call_command("prune_checkpoints", "--keep", "2", stdout=io.StringIO(), stderr=io.StringIO())
    assert len(rows(saver, thread_id)["checkpoints"]) == 3  # second's parent holds second's sends
    call_command("prune_checkpoints", "--keep", "1", stdout=io.StringIO(), stderr=io.StringIO())
    assert rows(saver, thread_id)["checkpoints"] == [("", ids[1]), ("", ids[2])]
    assert saver.get_tuple(head).checkpoint["channel_values"][TASKS] == ["send-2", "send-3"]


# ----- which threads use a DeltaChannel (keep_latest refuses them, retention skips them) -----

SNAPSHOTS = {  # msgpack ext headers: fixext 2, ext 8, ext 16, ext 32
    "small": [1], "ext8": list(range(100)), "ext16": list(range(1000)), "ext32": ["x" * 70_000],
}


def delta_thread(saver: Any, thread_id: str, evidence: str) -> None:
    """A thread that uses a DeltaChannel, as PostgresSaver's prune tests write them: update
    counters in the metadata, or only a stored snapshot (``_DeltaSnapshot``; the counters are
    reset when one is taken), or only LangGraph.js's ``delta_writes_versioned`` marker."""
    if evidence == "counters":
        first = put(saver, thread_id, None, {"m": [1]}, {"m": "1"})
        put(saver, thread_id, first, {}, {"m": "2"}, metadata={"counters_since_delta_snapshot": {"m": [1, 1]}})
    elif evidence == "versioned":
        marker = {"delta_writes_versioned": True}
        first = put(saver, thread_id, None, {"m": [1]}, {"m": "1"}, metadata=marker)
        put(saver, thread_id, first, {"m": [1, 2]}, {"m": "2"}, metadata=marker)
    else:
        first = put(saver, thread_id, None, {"m": _DeltaSnapshot(SNAPSHOTS[evidence])}, {"m": "1"})
        put(saver, thread_id, first, {}, {"m": "2"})


def ordinary_thread(saver: Any, thread_id: str) -> None:
    parent = None
    for i in range(3):
        parent = put(saver, thread_id, parent, {"a": list(range(i + 1)), "flag": True}, {"a": str(i + 1), "flag": "1"})


@pytest.mark.parametrize("evidence", ["counters", "versioned", *SNAPSHOTS])
def test_keep_latest_refuses_a_batch_with_a_delta_channel_thread(upstream: Any, evidence: str) -> None:
    for saver in savers(upstream):
        ordinary_id, delta_id = str(uuid.uuid4()), str(uuid.uuid4())
        ordinary_thread(saver, ordinary_id)
        delta_thread(saver, delta_id, evidence)
        before = [rows(saver, t) for t in (ordinary_id, delta_id)]
        with pytest.raises(NotImplementedError, match=delta_id):
            saver.prune([ordinary_id, delta_id])
        assert [rows(saver, t) for t in (ordinary_id, delta_id)] == before


@pytest.mark.parametrize("evidence", ["versioned", "small", "ext32"])
def test_retention_skips_delta_channel_threads(saver: DjangoSaver, evidence: str) -> None:
    ordinary_id, delta_id = str(uuid.uuid4()), str(uuid.uuid4())
    ordinary_thread(saver, ordinary_id)
    delta_thread(saver, delta_id, evidence)
    before = rows(saver, delta_id)
    result = checkpoints_prune(keep=1)
    assert result.skipped_delta_threads == [delta_id]
    assert rows(saver, delta_id) == before
    assert len(rows(saver, ordinary_id)["checkpoints"]) == 1


def test_keep_latest_prunes_a_thread_storing_a_plain_true(upstream: Any) -> None:
    for saver in savers(upstream):
        thread_id = str(uuid.uuid4())
        ordinary_thread(saver, thread_id)
        saver.prune([thread_id])
        assert len(rows(saver, thread_id)["checkpoints"]) == 1


@pytest.mark.parametrize("seed", [42, "x", 3.5, True, None, [10, 20]])
def test_delta_history_seeds_from_a_stored_value_but_not_an_inline_null(upstream: Any, seed: Any) -> None:
    """A value stored at step 1 seeds the history of the head at step 3, inline (a primitive) or
    a blob; an inline ``None`` does not (PostgresSaver cannot tell it from no value), so the walk
    goes on to the root and replays from empty."""
    for saver in savers(upstream):
        thread_id, parent = str(uuid.uuid4()), None
        for step in range(4):
            values = {"items": seed} if step == 1 else {}
            parent = put(saver, thread_id, parent, values, {"items": "v1" if step == 1 else f"v{step}"})
            saver.put_writes(parent, [("items", f"w{step}")], str(uuid.uuid4()))
        entry = saver.get_delta_channel_history(config=parent, channels=["items"])["items"]
        if seed is None:
            assert "seed" not in entry and [w[2] for w in entry["writes"]] == ["w0", "w1", "w2"]
        else:
            assert entry["seed"] == seed and [w[2] for w in entry["writes"]] == ["w1", "w2"]


def test_retention_deletes_calls_whose_root_checkpoint_is_already_gone(saver: DjangoSaver) -> None:
    """The same leftovers, through ``prune_checkpoints``: no namespace there has more than one
    checkpoint, yet the thread is pruned."""
    graph, config = subgraph_thread(saver, invokes=5)
    thread_id = config["configurable"]["thread_id"]
    head = graph.get_state(config).config["configurable"]["checkpoint_id"]
    Checkpoint.objects.filter(thread_id=thread_id, checkpoint_ns="").exclude(checkpoint_id=head).delete()
    for ns in {ns for ns, _ in rows(saver, thread_id)["checkpoints"] if ns}:
        newest = Checkpoint.objects.filter(thread_id=thread_id, checkpoint_ns=ns).order_by("-checkpoint_id")[0]
        Checkpoint.objects.filter(thread_id=thread_id, checkpoint_ns=ns).exclude(pk=newest.pk).delete()
    assert len(rows(saver, thread_id)["checkpoints"]) == 6
    call_command("prune_checkpoints", "--keep", "1", stdout=io.StringIO(), stderr=io.StringIO())
    assert rows(saver, thread_id)["checkpoints"] == [("", head)]
