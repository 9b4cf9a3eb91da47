"""Concurrent writers on one session: no lost, duplicated or reordered messages, pairs adjacent."""
from __future__ import annotations

import threading

import pytest
from django.db import connection
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.models import ChatMessage

from .factories import ChatSessionFactory, UserFactory

WRITERS = 8
TURNS_PER_WRITER = 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_are_gap_free_and_pairs_stay_adjacent():
    session = ChatSessionFactory(owner=UserFactory())
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(w: int) -> None:
        try:
            history = DjangoChatMessageHistory(session.pk)
            start.wait(timeout=10)
            for t in range(TURNS_PER_WRITER):
                history.add_messages([HumanMessage(content=f"q {w}/{t}"), AIMessage(content=f"a {w}/{t}")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)

    rows = list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", "content_text"))
    total = WRITERS * TURNS_PER_WRITER * 2
    assert [seq for seq, _ in rows] == list(range(1, total + 1))
    texts = [text for _, text in rows]
    assert len(set(texts)) == total
    for i in range(0, total, 2):
        assert texts[i].startswith("q "), texts[i]
        assert texts[i + 1] == "a " + texts[i][2:]
    session.refresh_from_db()
    assert session.message_count == total
    assert session.last_seq == total
