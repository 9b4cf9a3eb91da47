"""Sync saver and store calls made on a thread that runs an event loop (a Jupyter cell, an async
framework calling ``graph.invoke()``): they work, and the ORM never runs on the loop's thread.

Django raises ``SynchronousOnlyOperation`` for an ORM call on such a thread; the saver's dispatch
hands the work to its checkpoint-db thread instead (``sessions_app.checkpoint.dispatch``).
"""
from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from langchain_core.messages import HumanMessage

from sessions_app.checkpoint import DjangoSaver
from sessions_app.models import Checkpoint
from sessions_app.store import DjangoStore

from .checkpoint_graphs import build_pipeline

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _orm_refused_on_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """What production does: an ORM call on a thread with a running loop raises."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


def in_running_loop(fn: Callable[[], T]) -> T:
    """Call the *sync* ``fn`` from a coroutine, i.e. on the thread that runs the event loop."""

    async def main() -> T:
        asyncio.get_running_loop()  # we are on the loop's thread
        return fn()

    return asyncio.run(main())


def test_graph_invoke_and_get_state_inside_a_running_loop(saver: DjangoSaver) -> None:
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ
    graph = build_pipeline(saver)
    config: Any = {"configurable": {"thread_id": str(uuid.uuid4())}}

    def turns() -> Any:
        graph.invoke({"messages": [HumanMessage("one")]}, config)
        graph.invoke({"messages": [HumanMessage("two")]}, config)
        return graph.get_state(config)

    state = in_running_loop(turns)
    assert [m.content for m in state.values["messages"]][-3:] == [
        "two", "draft of: two", "reviewed (5 messages)"]
    assert in_running_loop(lambda: len(list(saver.list(config)))) == len(list(saver.list(config))) > 2


def test_saver_list_and_prune_inside_a_running_loop(saver: DjangoSaver) -> None:
    graph = build_pipeline(saver)
    thread = str(uuid.uuid4())
    config: Any = {"configurable": {"thread_id": thread}}
    for i in range(3):
        graph.invoke({"messages": [HumanMessage(f"turn {i}")]}, config)
    before = in_running_loop(lambda: [t.config["configurable"]["checkpoint_id"] for t in saver.list(config)])
    assert len(before) > 1

    in_running_loop(lambda: saver.prune([thread], strategy="keep_latest"))
    assert list(Checkpoint.objects.filter(thread_id=thread).values_list("checkpoint_id", flat=True)) == [before[0]]
    in_running_loop(lambda: saver.delete_thread(thread))
    assert not Checkpoint.objects.filter(thread_id=thread).exists()


def test_store_sync_calls_inside_a_running_loop() -> None:
    store = DjangoStore()
    ns = ("loop", uuid.uuid4().hex)

    def calls() -> Any:
        store.put(ns, "k", {"val": "v"})
        item = store.get(ns, "k")
        found = store.search(ns)
        spaces = store.list_namespaces(prefix=(ns[0],))
        store.delete(ns, "k")
        return item, found, spaces, store.get(ns, "k")

    item, found, spaces, gone = in_running_loop(calls)
    assert item is not None and item.value == {"val": "v"}
    assert [i.key for i in found] == ["k"]
    assert ns in spaces
    assert gone is None
