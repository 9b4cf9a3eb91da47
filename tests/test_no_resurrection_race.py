"""A delete racing a late write, on two real connections (issue 11: never resurrect).

Each test holds one side's transaction open at the worst moment, checks in ``pg_stat_activity``
that the other side really waits for its lock, then lets it finish: whichever order the two
commit in, the deleted conversation has no row, no message and no checkpoint afterwards, and the
late writer got ``SessionGone`` / ``ThreadGone`` or was deleted with the conversation. (The lock
races need PostgreSQL; the async saver and the graph deleted mid-run also run on SQLite.)
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.base import empty_checkpoint

from sessions_app.checkpoint import DjangoSaver
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_create, session_delete
from sessions_app.exceptions import SessionGone, ThreadGone
from sessions_app.models import ChatMessage, ChatSession, Checkpoint, CheckpointThread, CheckpointWrite, DeletedSession

from .factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
on_postgres = pytest.mark.postgres  # the lock races; the rest runs on both backends


class Side(threading.Thread):
    """Runs ``work`` on its own connection; ``result`` is what it returned or raised."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work, self.result = work, None

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self.result = exc
        finally:
            connection.close()


def _wait_for_a_lock_waiter(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'")
            if cur.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the late writer never waited for the delete's lock")


def _held_delete(session_id: uuid.UUID, deleting: threading.Event, commit: threading.Event) -> Side:
    """A delete that has done everything but commit, and waits for ``commit``."""

    def work() -> None:
        with transaction.atomic():
            session_delete(session_id=session_id, actor="test")
            deleting.set()
            assert commit.wait(10)

    return Side(work)


def _checkpoint(saver: DjangoSaver) -> dict[str, Any]:
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"messages": ["late"]}
    checkpoint["channel_versions"] = {"messages": saver.get_next_version(None, None)}
    return checkpoint


def _nothing_left(session_id: uuid.UUID) -> None:
    assert not ChatSession.objects.filter(pk=session_id).exists()
    assert not ChatMessage.objects.filter(session_id=session_id).exists()
    for model in (Checkpoint, CheckpointWrite, CheckpointThread):
        assert not model.objects.filter(thread_id=str(session_id)).exists(), model.__name__
    assert DeletedSession.objects.filter(pk=session_id).exists()


@pytest.fixture
def session() -> ChatSession:
    return session_create(owner=UserFactory(username="olivia"), title="racing")


def _late_put(session_id: uuid.UUID) -> None:
    saver = DjangoSaver()
    checkpoint = _checkpoint(saver)
    saver.put({"configurable": {"thread_id": str(session_id), "checkpoint_ns": ""}}, checkpoint,
              {"source": "loop", "step": 1}, checkpoint["channel_versions"])


def _late_writes(session_id: uuid.UUID) -> None:
    DjangoSaver().put_writes({"configurable": {"thread_id": str(session_id), "checkpoint_ns": "",
                                               "checkpoint_id": "1ef0"}}, [("messages", "late")], task_id="t")


@on_postgres
@pytest.mark.parametrize("late", [
    pytest.param(lambda sid: messages_append(session_id=sid, messages=[HumanMessage("late")]), id="append"),
    pytest.param(_late_put, id="put"),
    pytest.param(_late_writes, id="put_writes"),
    pytest.param(lambda sid: session_create(owner=get_user_model().objects.get(username="olivia"), session_id=sid),
                 id="recreate"),
])
def test_a_write_waiting_for_the_delete_gets_gone_and_stores_nothing(session, late):
    deleting, commit = threading.Event(), threading.Event()
    deleter = _held_delete(session.pk, deleting, commit)
    deleter.start()
    assert deleting.wait(10)
    writer = Side(lambda: late(session.pk))
    writer.start()
    _wait_for_a_lock_waiter()
    commit.set()
    deleter.join(10)
    writer.join(10)
    assert deleter.result is None
    assert isinstance(writer.result, SessionGone), writer.result
    if late in (_late_put, _late_writes):
        assert isinstance(writer.result, ThreadGone)
    _nothing_left(session.pk)


@on_postgres
def test_a_put_that_locked_first_makes_the_delete_wait_and_is_deleted_with_the_thread(session):
    written, commit = threading.Event(), threading.Event()

    def put_in_a_transaction() -> None:
        with transaction.atomic():
            _late_put(session.pk)
            written.set()
            assert commit.wait(10)

    writer = Side(put_in_a_transaction)
    writer.start()
    assert written.wait(10)
    deleter = Side(lambda: session_delete(session_id=session.pk, actor="test"))
    deleter.start()
    _wait_for_a_lock_waiter()
    commit.set()
    writer.join(10)
    deleter.join(10)
    assert writer.result is None and deleter.result == 0
    _nothing_left(session.pk)


def test_async_writes_after_the_delete_raise_thread_gone(session):
    """``aput`` / ``aput_writes`` run on the saver's own thread and connection (``checkpoint.dispatch``)."""
    import asyncio

    session_delete(session_id=session.pk, actor="test")
    saver = DjangoSaver()
    checkpoint = _checkpoint(saver)
    config = {"configurable": {"thread_id": str(session.pk), "checkpoint_ns": ""}}

    async def late() -> list[BaseException]:
        errors = []
        for write in (saver.aput(config, checkpoint, {"source": "loop", "step": 1}, checkpoint["channel_versions"]),
                      saver.aput_writes({"configurable": {**config["configurable"], "checkpoint_id": checkpoint["id"]}},
                                        [("messages", "late")], task_id="t")):
            try:
                await write
            except ThreadGone as exc:
                errors.append(exc)
        return errors

    assert len(asyncio.run(late())) == 2
    _nothing_left(session.pk)


def test_a_graph_whose_conversation_is_deleted_mid_run_stops_with_thread_gone(session):
    """``graph.invoke`` on the conversation's thread; a node's step is when someone deletes it."""
    from langchain_core.messages import AIMessage

    from .graphs import linear_graph

    def answer(state: Any) -> dict[str, Any]:
        deleter = Side(lambda: session_delete(session_id=session.pk, actor="test"))  # another connection
        deleter.start()
        deleter.join(10)
        return {"messages": [AIMessage("too late")]}

    graph = linear_graph(DjangoSaver(), [("answer", answer)])
    config = {"configurable": {"thread_id": str(session.pk)}}
    with pytest.raises(ThreadGone):
        graph.invoke({"messages": [HumanMessage("hi")]}, config)
    _nothing_left(session.pk)
    with pytest.raises(ThreadGone):  # and running it again does not start the thread afresh
        graph.invoke({"messages": [HumanMessage("again")]}, config)
    _nothing_left(session.pk)


@on_postgres
def test_a_summary_written_while_the_conversation_is_deleted_is_not_stored(session, settings):
    """The memory task (``memory.summary.summary_update``) read the conversation before the delete committed."""
    from sessions_app.memory.summary import summary_update
    from sessions_app.models import StoreItem

    settings.CHATMEMORY_CONTEXT_WINDOW = 2
    messages_append(session_id=session.pk, messages=[HumanMessage(f"m{i}") for i in range(6)])
    deleting, commit = threading.Event(), threading.Event()
    deleter = _held_delete(session.pk, deleting, commit)
    deleter.start()
    assert deleting.wait(10)
    writer = Side(lambda: summary_update(session.pk, model=None))
    writer.start()
    _wait_for_a_lock_waiter()
    commit.set()
    deleter.join(10)
    writer.join(10)
    assert deleter.result is None and writer.result is None
    assert not StoreItem.objects.filter(session_id=session.pk).exists()
    _nothing_left(session.pk)
