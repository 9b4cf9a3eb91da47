"""Linear LangGraph graphs: ``linear_graph(checkpointer, [(name, node), …])`` is START → nodes → END.

The small graphs of the checkpoint tests (``tests/checkpoint_graphs.py``) and of the saver
benchmark (``bench/checkpoint_bench.py``) are built here. It imports nothing but LangGraph (no
Django, no other chatmemory module) on purpose: the benchmark also runs it in a separate
virtualenv with an older LangGraph (langgraph-checkpoint-django's, ``bench/requirements-lgcd.txt``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langgraph.graph import END, START, MessagesState, StateGraph


def linear_graph(
    checkpointer: Any, nodes: Sequence[tuple[str, Callable[[Any], Any]]], *, state_schema: type = MessagesState,
    interrupt_before: Sequence[str] = (),
) -> Any:
    """Compile START → ``nodes`` in order → END over ``state_schema`` with ``checkpointer``."""
    builder: Any = StateGraph(state_schema)  # LangGraph's overloads cannot type a node list
    for name, node in nodes:
        builder.add_node(name, node)
    names = [START, *(name for name, _ in nodes), END]
    for start, end in zip(names, names[1:], strict=False):
        builder.add_edge(start, end)
    return builder.compile(checkpointer=checkpointer, interrupt_before=list(interrupt_before))
