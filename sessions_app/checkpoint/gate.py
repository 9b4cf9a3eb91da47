"""No checkpoint is written to the thread of a deleted conversation (``ThreadGone``).

A conversation's LangGraph thread is ``thread_id == str(session.id)``; deleting or erasing the
conversation deletes the thread and leaves a tombstone (``models.DeletedSession``). A graph
still running then must not write it again. Threads whose id is no conversation's (any other
string, or a UUID no session has and none had) are not affected.

The check settles the race with a delete the way a foreign key does:

* **PostgreSQL, the hot path** (``put`` / ``put_writes``): ``GATE`` is a prefix of the write's
  one statement (no extra round trip): the thread is *gone* if its tombstone is visible, or if
  the session row was visible when the statement started but is no longer there once locked
  (``FOR KEY SHARE``: a delete holds ``FOR UPDATE`` on it from its first statement, so the write
  waits for that delete, and READ COMMITTED then skips the deleted row). The inserts run only
  when not gone; the statement returns ``gone``. A write that locks the row first makes the
  delete wait and is then deleted with the thread. Cost: the tombstone's and the session's
  primary-key probes, and a row lock for conversation threads (a non-UUID thread id binds NULL).
* **Elsewhere** (SQLite, ``copy_thread``, forks): ``refuse_thread`` inside the write's
  transaction (SQLite's IMMEDIATE transactions hold the database's write lock, so no delete can
  interleave; on PostgreSQL it locks the row, then looks for the tombstone in a new snapshot).
"""
from __future__ import annotations

import uuid

from django.db import connection

from ..exceptions import ThreadGone
from ..models import ChatSession, DeletedSession

SESSION = ChatSession._meta.db_table
TOMB = DeletedSession._meta.db_table

GATE = (
    "g AS (SELECT %s::uuid AS id), "
    f"locked AS (SELECT 1 FROM {SESSION} s JOIN g ON s.id = g.id FOR KEY SHARE OF s), "
    f"gate AS (SELECT (EXISTS (SELECT 1 FROM {TOMB} t JOIN g ON t.session_id = g.id) "
    f"OR (EXISTS (SELECT 1 FROM {SESSION} s JOIN g ON s.id = g.id) AND NOT EXISTS (SELECT 1 FROM locked))) AS gone)"
)
"""The CTEs ``g``, ``locked``, ``gate`` opening a gated write (its first parameter:
``conversation_id(thread_id)``); the write's inserts add ``WHERE NOT (SELECT gone FROM gate)``."""


def conversation_id(thread_id: str) -> uuid.UUID | None:
    """The conversation ``thread_id`` belongs to: the UUID if it is one spelt as ``str(uuid)``, else ``None``."""
    if len(thread_id) != 36:
        return None
    try:
        pk = uuid.UUID(thread_id)
    except ValueError:
        return None
    return pk if str(pk) == thread_id else None


def gone_error(thread_id: str) -> ThreadGone:
    return ThreadGone(f"thread {thread_id} belongs to a deleted conversation; nothing was stored")


def refuse_thread(thread_id: str) -> None:
    """Raise ``ThreadGone`` if ``thread_id`` is a deleted conversation's thread; call it inside the
    write's transaction (on PostgreSQL it keeps a live conversation's row locked until the commit)."""
    pk = conversation_id(thread_id)
    if pk is None:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"SELECT 1 FROM {SESSION} WHERE id = %s FOR KEY SHARE", [pk])
            if cur.fetchone() is not None:
                return  # alive, and a delete now waits for this transaction
    if DeletedSession.objects.filter(pk=pk).exists():
        raise gone_error(thread_id)
