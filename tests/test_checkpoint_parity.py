"""``DjangoSaver`` beside LangGraph's ``PostgresSaver`` on the same data: what ``prune`` keeps of a
thread with subgraph calls, and what retention (``prune_checkpoints``) keeps of it.

On PostgreSQL every test also runs ``PostgresSaver`` (langgraph-checkpoint-postgres, its own
tables in the test database, through its own psycopg connection) and compares; on the embedded
default ``DjangoSaver`` runs alone against the same expected values.
"""
from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any, TypedDict

import pytest
from django.core.management import call_command
from django.db import connection
from langgraph.graph import END, START, StateGraph

from sessions_app.checkpoint import DjangoSaver
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
