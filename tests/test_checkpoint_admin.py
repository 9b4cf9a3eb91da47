"""The LangGraph threads admin: list, timeline with diffs and pending writes, fork/copy/prune/delete."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape
from langchain_core.messages import HumanMessage

from sessions_app.checkpoint import selectors
from sessions_app.models import Checkpoint, CheckpointThread

from .checkpoint_graphs import build_approval, build_pipeline

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "admin:sessions_app_checkpointthread_changelist"


def _run(graph: Any, thread_id: str, *texts: str) -> dict[str, Any]:
    config = {"configurable": {"thread_id": thread_id}}
    for text in texts:
        graph.invoke({"messages": [HumanMessage(text)]}, config)
    return config


def test_thread_list_shows_each_thread_with_its_conversation(admin_client, chat_session, saver) -> None:
    session_thread = str(chat_session.id)
    _run(build_pipeline(saver), session_thread, "one", "two")
    loose = _run(build_pipeline(saver), "loose-thread", "x")["configurable"]["thread_id"]

    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    rows = {row.thread_id: row for row in response.context["cl"].result_list}
    assert (rows[session_thread].checkpoints, rows[session_thread].latest_step) == (8, 6)
    assert (rows[loose].checkpoints, rows[loose].latest_step) == (4, 2)
    assert rows[session_thread].conversation == chat_session and rows[loose].conversation is None
    assert escape(chat_session.display_title) in response.content.decode()

    assert [t.thread_id for t in selectors.threads_for_session(session_id=chat_session.id)] == [session_thread]


def test_timeline_shows_steps_nodes_diffs_and_pending_writes(admin_client, saver) -> None:
    thread_id = str(uuid.uuid4())
    _run(build_approval(saver), thread_id, "clean up")  # stops at an interrupt
    response = admin_client.get(reverse("admin:sessions_app_checkpointthread_timeline"), {"thread_id": thread_id})
    assert response.status_code == 200
    entries = response.context["entries"]
    assert [e.step for e in entries] == [1, 0, -1]
    assert entries[0].nodes == ["propose"]
    assert {"op": "add", "path": "/messages/1", "value": "ai: I will delete the file. OK?"} in entries[0].diff
    assert [(w[1], w[2]) for w in entries[0].pending_writes][0][0] == "__interrupt__"
    html = response.content.decode()
    assert "I will delete the file. OK?" in html and "Fork from here" in html


def test_fork_from_the_timeline_starts_a_new_thread_at_that_checkpoint(admin_client, saver) -> None:
    graph = build_pipeline(saver)
    config = _run(graph, str(uuid.uuid4()), "first", "second")
    first_done = next(h for h in graph.get_state_history(config) if h.metadata["step"] == 2)
    response = admin_client.post(
        reverse("admin:sessions_app_checkpointthread_fork"),
        {"thread_id": config["configurable"]["thread_id"], "checkpoint_ns": "",
         "checkpoint_id": first_done.config["configurable"]["checkpoint_id"]},
    )
    assert response.status_code == 302
    new_thread = response.url.split("thread_id=")[1].split("&")[0]
    assert graph.get_state({"configurable": {"thread_id": new_thread}}).values == first_done.values
    bad = admin_client.post(reverse("admin:sessions_app_checkpointthread_fork"),
                            {"thread_id": "nope", "checkpoint_id": "nope"}, follow=True)
    html = bad.content.decode()
    assert "No checkpoint &#x27;nope&#x27; in thread &#x27;nope&#x27;" in html


def test_actions_copy_prune_and_delete(admin_client, saver) -> None:
    graph = build_pipeline(saver)
    thread_id = _run(graph, str(uuid.uuid4()), "a", "b", "c")["configurable"]["thread_id"]
    row = CheckpointThread.objects.get(thread_id=thread_id)
    url = reverse(CHANGELIST)

    admin_client.post(url, {"action": "copy_threads", "_selected_action": [row.pk]})
    assert CheckpointThread.objects.count() == 2

    response = admin_client.post(
        url, {"action": "prune_threads", "_selected_action": [row.pk], "keep": "3"}, follow=True
    )
    assert "to 3 per namespace: 9 checkpoints" in response.content.decode()
    assert Checkpoint.objects.filter(thread_id=thread_id).count() == 3

    response = admin_client.post(
        url, {"action": "prune_threads", "_selected_action": [row.pk], "keep": ""}, follow=True
    )
    assert "at least 1" in response.content.decode()

    row = CheckpointThread.objects.get(thread_id=thread_id)
    admin_client.post(url, {"action": "delete_threads", "_selected_action": [row.pk]})
    assert not Checkpoint.objects.filter(thread_id=thread_id).exists()
    assert CheckpointThread.objects.count() == 1


def test_non_staff_cannot_reach_the_thread_admin(client, owner) -> None:
    client.force_login(owner)
    for url in (reverse(CHANGELIST), reverse("admin:sessions_app_checkpointthread_timeline")):
        assert client.get(url).status_code == 302
    assert client.post(reverse("admin:sessions_app_checkpointthread_fork"), {}).status_code == 302


def test_conversation_admin_page_links_to_its_threads(admin_client, chat_session, saver) -> None:
    url = reverse("admin:sessions_app_chatsession_change", args=[chat_session.pk])
    assert "no LangGraph checkpoints" in admin_client.get(url).content.decode()
    _run(build_pipeline(saver), str(chat_session.id), "hello")
    html = admin_client.get(url).content.decode()
    assert escape(reverse("admin:sessions_app_checkpointthread_timeline") + f"?thread_id={chat_session.id}") in html
    assert "4 checkpoints, latest step 2" in html
