"""Small LangGraph graphs for the checkpoint tests, importable from a separate process.

``python -m tests.checkpoint_graphs resume <thread_id>`` (with the same ``DATABASE_URL`` /
``SQLITE_PATH`` as the test database) builds the pipeline graph with a NEW ``DjangoSaver`` in a
NEW process and resumes the thread with ``invoke(None, config)``; it prints the final messages
as JSON.
"""
from __future__ import annotations

import json
import operator
import sys
from collections.abc import Sequence
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.channels.delta import DeltaChannel
from langgraph.graph import MessagesState
from langgraph.types import interrupt

from tests.graphs import linear_graph


def build_pipeline(checkpointer: Any, *, interrupt_before: Sequence[str] = ()) -> Any:
    """START → draft → review → END over ``MessagesState``; each node appends one AI message."""

    def draft(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(f"draft of: {state['messages'][-1].content}")]}

    def review(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(f"reviewed ({len(state['messages'])} messages)")]}

    return linear_graph(checkpointer, [("draft", draft), ("review", review)], interrupt_before=interrupt_before)


def build_approval(checkpointer: Any) -> Any:
    """START → propose → approve (``interrupt()`` for a human answer) → END."""

    def propose(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("I will delete the file. OK?")]}

    def approve(state: MessagesState) -> dict[str, Any]:
        answer = interrupt({"question": state["messages"][-1].content})
        return {"messages": [HumanMessage(f"answer: {answer}")]}

    return linear_graph(checkpointer, [("propose", propose), ("approve", approve)])


def _concat(state: list[str], writes: Sequence[list[str]]) -> list[str]:
    return state + [item for batch in writes for item in batch]


class DeltaState(TypedDict):
    items: Annotated[list[str], DeltaChannel(_concat, snapshot_frequency=3)]
    count: Annotated[int, operator.add]


def build_delta_counter(checkpointer: Any) -> Any:
    """A graph whose ``items`` channel is a ``DeltaChannel`` (a snapshot every 3 updates)."""

    def step(state: DeltaState) -> dict[str, Any]:
        return {"items": [f"item-{state.get('count', 0)}"], "count": 1}

    return linear_graph(checkpointer, [("step", step)], state_schema=DeltaState)


def messages_as_text(messages: list[AnyMessage]) -> list[str]:
    return [f"{m.type}:{m.content}" for m in messages]


def _main(argv: list[str]) -> int:
    import django

    django.setup()
    from sessions_app.checkpoint import DjangoSaver, close_db_thread

    command, thread_id = argv
    assert command == "resume"
    graph = build_pipeline(DjangoSaver(), interrupt_before=["review"])
    config = {"configurable": {"thread_id": thread_id}}
    before = graph.get_state(config)
    result = graph.invoke(None, config)
    print(json.dumps({"next_before": list(before.next), "messages": messages_as_text(result["messages"])}))
    close_db_thread()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
