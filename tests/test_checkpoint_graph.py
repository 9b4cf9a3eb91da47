"""DjangoSaver under real compiled LangGraph graphs, following LangGraph's persistence docs.

Invoke, state and history, resume after a restart (a new saver in a new process), update_state,
time travel by ``checkpoint_id``, forks, interrupts resumed with ``Command(resume=…)``, an agent
from ``langchain.agents.create_agent``, a ``DeltaChannel`` graph, and connection hygiene.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from sessions_app.checkpoint import DjangoSaver
from sessions_app.models import Checkpoint, CheckpointBlob

from .checkpoint_graphs import build_approval, build_delta_counter, build_pipeline, messages_as_text

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent


def _config(thread_id: str | None = None) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id or str(uuid.uuid4())}}


def test_invoke_then_get_state_and_history(saver: DjangoSaver) -> None:
    graph = build_pipeline(saver)
    config = _config()
    graph.invoke({"messages": [HumanMessage("hello")]}, config)
    graph.invoke({"messages": [HumanMessage("again")]}, config)

    state = graph.get_state(config)
    assert messages_as_text(state.values["messages"]) == [
        "human:hello", "ai:draft of: hello", "ai:reviewed (2 messages)",
        "human:again", "ai:draft of: again", "ai:reviewed (5 messages)",
    ]
    assert state.next == ()
    history = list(graph.get_state_history(config))
    # Per invoke: the input checkpoint (step -1), then after START, draft, review.
    assert [h.metadata["step"] for h in history] == [6, 5, 4, 3, 2, 1, 0, -1]
    assert [h.metadata["source"] for h in history] == ["loop", "loop", "loop", "input"] * 2
    assert history[0].config == state.config
    # Newest first, each pointing at the one before it.
    for newer, older in zip(history, history[1:], strict=False):
        assert newer.parent_config["configurable"]["checkpoint_id"] == older.config["configurable"]["checkpoint_id"]


def test_resume_after_restart_with_a_new_saver_in_a_new_process(saver: DjangoSaver) -> None:
    thread_id = str(uuid.uuid4())
    config = _config(thread_id)
    graph = build_pipeline(saver, interrupt_before=["review"])
    graph.invoke({"messages": [HumanMessage("persist me")]}, config)
    assert graph.get_state(config).next == ("review",)

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        env["SQLITE_PATH"] = db["NAME"]
    env["DJANGO_SETTINGS_MODULE"] = "chatmemory.settings"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.checkpoint_graphs", "resume", thread_id],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["next_before"] == ["review"]
    assert out["messages"] == ["human:persist me", "ai:draft of: persist me", "ai:reviewed (2 messages)"]
    # ... and this process sees what the other one stored.
    assert messages_as_text(graph.get_state(config).values["messages"])[-1] == "ai:reviewed (2 messages)"


def test_update_state_and_fork_from_a_past_checkpoint(saver: DjangoSaver) -> None:
    graph = build_pipeline(saver)
    config = _config()
    graph.invoke({"messages": [HumanMessage("original")]}, config)
    history = list(graph.get_state_history(config))
    before_review = next(h for h in history if h.next == ("review",))

    # Fork: change the past state; the update is a new checkpoint branching off that one.
    fork_config = graph.update_state(before_review.config, {"messages": [AIMessage("edited draft")]})
    assert fork_config["configurable"]["checkpoint_id"] != before_review.config["configurable"]["checkpoint_id"]
    fork_state = graph.get_state(fork_config)
    assert fork_state.parent_config["configurable"]["checkpoint_id"] == (
        before_review.config["configurable"]["checkpoint_id"]
    )
    assert fork_state.metadata["source"] == "update"
    result = graph.invoke(None, fork_config)
    assert messages_as_text(result["messages"]) == [
        "human:original", "ai:draft of: original", "ai:edited draft", "ai:reviewed (3 messages)",
    ]
    # The original branch is untouched and still reachable by its checkpoint_id.
    original = graph.get_state(history[0].config)
    assert messages_as_text(original.values["messages"])[-1] == "ai:reviewed (2 messages)"


def test_time_travel_replays_from_a_checkpoint_id(saver: DjangoSaver) -> None:
    graph = build_pipeline(saver)
    config = _config()
    graph.invoke({"messages": [HumanMessage("travel")]}, config)
    history = list(graph.get_state_history(config))
    after_draft = next(h for h in history if h.next == ("review",))

    draft_id = after_draft.config["configurable"]["checkpoint_id"]
    replay_config = {"configurable": {**config["configurable"], "checkpoint_id": draft_id}}
    assert messages_as_text(graph.get_state(replay_config).values["messages"]) == [
        "human:travel", "ai:draft of: travel",
    ]
    result = graph.invoke(None, replay_config)
    assert messages_as_text(result["messages"])[-1] == "ai:reviewed (2 messages)"
    # Replaying forks a new branch off that checkpoint (a "fork" copy, then the re-run step);
    # the thread's head moved to it, the original branch is kept (as with InMemorySaver).
    head = graph.get_state(config)
    fork = graph.get_state(head.parent_config)
    assert (fork.metadata["source"], fork.next) == ("fork", ("review",))
    assert fork.parent_config["configurable"]["checkpoint_id"] == after_draft.config["configurable"]["checkpoint_id"]
    assert len(list(graph.get_state_history(config))) == len(history) + 2


def test_interrupt_resumed_with_command(saver: DjangoSaver) -> None:
    graph = build_approval(saver)
    config = _config()
    first = graph.invoke({"messages": [HumanMessage("clean up")]}, config)
    assert first["__interrupt__"][0].value == {"question": "I will delete the file. OK?"}
    state = graph.get_state(config)
    assert state.next == ("approve",)
    assert state.tasks[0].interrupts[0].value == {"question": "I will delete the file. OK?"}

    # A new saver instance (as after a restart) resumes the interrupt.
    resumed = build_approval(DjangoSaver()).invoke(Command(resume="yes"), config)
    assert messages_as_text(resumed["messages"])[-1] == "human:answer: yes"
    assert graph.get_state(config).next == ()


def test_async_graph_with_ainvoke(saver: DjangoSaver) -> None:
    graph = build_approval(saver)
    config = _config()

    async def run() -> tuple[Any, Any]:
        await graph.ainvoke({"messages": [HumanMessage("async")]}, config)
        resumed = await graph.ainvoke(Command(resume="ok"), config)
        history = [s async for s in graph.aget_state_history(config)]
        return resumed, history

    resumed, history = asyncio.run(run())
    assert messages_as_text(resumed["messages"])[-1] == "human:answer: ok"
    assert len(history) >= 4


class ToolCallingFakeModel(GenericFakeChatModel):
    """``GenericFakeChatModel`` that accepts ``bind_tools`` (the scripted replies carry the calls)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFakeModel:
        return self


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


def test_create_agent_with_a_fake_tool_calling_model(saver: DjangoSaver) -> None:
    from langchain.agents import create_agent

    replies = iter([
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Oslo"}, "id": "call-1"}]),
        AIMessage("It is sunny in Oslo."),
        AIMessage("Still sunny."),
    ])
    agent = create_agent(ToolCallingFakeModel(messages=replies), tools=[get_weather], checkpointer=saver)
    config = _config()
    agent.invoke({"messages": [HumanMessage("weather in Oslo?")]}, config)
    second = agent.invoke({"messages": [HumanMessage("and now?")]}, config)
    assert [m.type for m in second["messages"]] == ["human", "ai", "tool", "ai", "human", "ai"]
    assert second["messages"][2].content == "sunny in Oslo"
    # The conversation is the thread: a new agent with a new saver reads it back.
    again = create_agent(ToolCallingFakeModel(messages=iter([])), tools=[get_weather], checkpointer=DjangoSaver())
    assert again.get_state(config).values["messages"][-1].content == "Still sunny."


def test_delta_channel_graph_stores_deltas_and_rebuilds_state(saver: DjangoSaver) -> None:
    graph = build_delta_counter(saver)
    config = _config()
    for _ in range(7):
        graph.invoke({"items": [], "count": 0}, config)
    state = graph.get_state(config)
    assert state.values["items"] == [f"item-{i}" for i in range(7)]
    assert state.values["count"] == 7
    # Only snapshots (every 3rd update) are stored as blobs for the delta channel.
    thread_id = config["configurable"]["thread_id"]
    checkpoints = Checkpoint.objects.filter(thread_id=thread_id).count()
    item_blobs = CheckpointBlob.objects.filter(thread_id=thread_id, channel="items").count()
    assert item_blobs < checkpoints / 3

    # The fast path agrees with the base class's reference walk (get_tuple + parent_config).
    for past in list(graph.get_state_history(config))[:6]:
        fast = saver.get_delta_channel_history(config=past.config, channels=["items", "count"])
        reference = BaseCheckpointSaver.get_delta_channel_history(
            saver, config=past.config, channels=["items", "count"]
        )
        assert fast == reference


def test_get_tuple_and_list_are_one_query_each(saver: DjangoSaver) -> None:
    graph = build_pipeline(saver)
    config = _config()
    for i in range(3):
        graph.invoke({"messages": [HumanMessage(f"m{i}")]}, config)
    with CaptureQueriesContext(connection) as ctx:
        tup = saver.get_tuple(config)
        page = list(saver.list(config, limit=10))
    assert tup is not None and len(page) == 10
    assert len(ctx.captured_queries) == 2
    assert all(p.checkpoint["channel_values"].get("messages") is not None for p in page[:3])


def _prepared_checkpoint_statements() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                    ["%sessions_app_checkpoint%"])
        return {row[0] for row in cur.fetchall()}


@pytest.mark.postgres
def test_hot_statements_are_prepared_once_whatever_the_row_count(saver: DjangoSaver) -> None:
    # put/put_writes send their rows as arrays: one text each, however many blobs or writes, so
    # psycopg's per-connection cache of prepared statements (100) cannot fill up with them.
    from langgraph.checkpoint.base import empty_checkpoint

    def rounds(n: int) -> None:
        config = _config()
        for channels in range(1, n + 1):
            cp = empty_checkpoint()
            names = [f"c{i}" for i in range(channels)]
            cp["channel_values"] = {name: [name, channels] for name in names}
            cp["channel_versions"] = {name: saver.get_next_version(None, None) for name in names}
            config = saver.put(config, cp, {"source": "loop", "step": channels}, cp["channel_versions"])
            saver.put_writes(config, [(f"w{i}", {"i": i}) for i in range(channels)], f"task-{channels}")
            saver.put_writes(config, [("__error__", "boom")], f"task-{channels}")  # the upsert form
            tup = saver.get_tuple(config)
            assert tup is not None and tup.checkpoint["channel_values"] == cp["channel_values"]
            assert [(w[1], w[2]) for w in tup.pending_writes] == [
                ("__error__", "boom"), *((f"w{i}", {"i": i}) for i in range(channels))
            ]
            assert saver.get_tuple({"configurable": {**config["configurable"]}}) == tup  # by id
            assert len(list(saver.list(config, limit=10))) == 1

    rounds(3)
    prepared = _prepared_checkpoint_statements()
    if connection.connection.prepare_threshold is None:  # CHATMEMORY_PREPARED_STATEMENTS=false
        assert not prepared
        return
    assert prepared, "the saver's statements are prepared on PostgreSQL"
    rounds(6)  # more blobs and writes per call: no new statement texts
    assert _prepared_checkpoint_statements() == prepared


def _connections_to_test_db() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return int(cur.fetchone()[0])


@pytest.mark.postgres
def test_invokes_from_worker_threads_do_not_leak_connections(saver: DjangoSaver) -> None:
    graph = build_pipeline(saver)
    config = _config()
    graph.invoke({"messages": [HumanMessage("warm up")]}, config)  # opens the saver's DB thread connection
    baseline = _connections_to_test_db()
    for i in range(100):
        graph.invoke({"messages": [HumanMessage(f"turn {i}")]}, config)
    assert _connections_to_test_db() == baseline
    assert len(graph.get_state(config).values["messages"]) == 3 * 101
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
