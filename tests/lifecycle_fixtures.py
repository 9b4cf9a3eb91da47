"""Helpers for the lifecycle tests: sessions with messages and state, created through services."""
from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_create
from sessions_app.governance.state import state_save
from sessions_app.models import ChatSession


def make_session(owner: Any, *, turns: int = 2, states: int = 0, **fields: Any) -> ChatSession:
    """A session of ``owner`` with ``turns`` human/AI pairs and ``states`` state versions."""
    session = session_create(owner=owner, title=fields.pop("title", "lifecycle"), **fields)
    for i in range(turns):
        messages_append(
            session_id=session.pk, messages=[HumanMessage(f"question {i}"), AIMessage(f"answer {i}")]
        )
    for i in range(states):
        state_save(session_id=session.pk, state={"n": i})
    session.refresh_from_db()
    return session


def put_checkpoint(session: ChatSession, *, ns: str = "") -> None:
    """Store one LangGraph checkpoint (with a channel blob and a pending write) on the session's thread."""
    from langgraph.checkpoint.base import empty_checkpoint

    from sessions_app.checkpoint import DjangoSaver

    saver = DjangoSaver()
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"messages": ["hello"]}
    checkpoint["channel_versions"] = {"messages": saver.get_next_version(None, None)}
    config = saver.put(
        {"configurable": {"thread_id": str(session.pk), "checkpoint_ns": ns}},
        checkpoint,
        {"source": "input", "step": 0},
        checkpoint["channel_versions"],
    )
    saver.put_writes(config, [("messages", "pending")], task_id="task-1")
