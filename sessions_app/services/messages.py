"""Appending and clearing messages: the write half of the hot path."""
from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone
from langchain_core.messages import BaseMessage

from ..exceptions import InvalidInput, SessionGone, SessionReadOnly
from ..models import ChatMessage, ChatSession
from ..serialization import plain_text, to_record

_SESSION_TABLE = ChatSession._meta.db_table


def _reserve_seqs(session_id: uuid.UUID, count: int) -> int | None:
    """Reserve ``count`` sequence numbers on an *active* session; return the new ``last_seq``.

    One ``UPDATE … RETURNING`` (PostgreSQL, and SQLite ≥ 3.35). On PostgreSQL the row lock it
    takes is held until the surrounding transaction commits, so a concurrent appender on the
    same session blocks here and then re-reads the committed ``last_seq`` (READ COMMITTED
    re-evaluation): seqs never collide and never skip. On SQLite the IMMEDIATE transaction holds
    the database write lock instead. Returns ``None`` when no active row matched.
    """
    now = timezone.now()
    pk = ChatSession._meta.pk.get_db_prep_value(session_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_SESSION_TABLE} SET last_seq = last_seq + %s, message_count = message_count + %s, "
            f"last_active_at = %s WHERE id = %s AND status = %s RETURNING last_seq",
            [count, count, connection.ops.adapt_datetimefield_value(now), pk, ChatSession.Status.ACTIVE],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _raise_for_missing(session_id: uuid.UUID) -> None:
    status = ChatSession.objects.filter(pk=session_id).values_list("status", flat=True).first()
    if status is None:
        raise SessionGone(f"session {session_id} was deleted")
    raise SessionReadOnly(f"session {session_id} is archived; unarchive it to add messages")


def messages_append(
    *, session_id: uuid.UUID, messages: Sequence[BaseMessage], max_chars: int | None = None
) -> list[int]:
    """Append ``messages`` to the session in one transaction; return their ``seq`` numbers.

    The batch gets consecutive seqs after the session's ``last_seq`` (see ``_reserve_seqs``),
    is written with one multi-row INSERT, and updates ``message_count`` / ``last_active_at`` in
    the same transaction: either the whole batch is stored or nothing is. A human message and
    its answer appended together therefore stay adjacent even with concurrent writers.

    Raises ``SessionGone`` (410) if the session no longer exists — an append never re-creates a
    deleted session — ``SessionReadOnly`` (409) if it is archived, and ``InvalidInput`` (400)
    for something that is not a ``BaseMessage`` or a text longer than ``max_chars``.
    """
    if not messages:
        return []
    records = [to_record(m) for m in messages]
    texts = [plain_text(m) for m in messages]
    if max_chars is not None:
        for text in texts:
            if len(text) > max_chars:
                raise InvalidInput(f"message is longer than {max_chars} characters")
    with transaction.atomic():
        last_seq = _reserve_seqs(session_id, len(messages))
        if last_seq is None:
            _raise_for_missing(session_id)
            raise AssertionError("unreachable")  # pragma: no cover
        first = last_seq - len(messages) + 1
        now = timezone.now()
        ChatMessage.objects.bulk_create(
            [
                ChatMessage(
                    session_id=session_id,
                    seq=first + i,
                    type=record["type"],
                    message=record,
                    content_text=texts[i],
                    created_at=now,
                )
                for i, record in enumerate(records)
            ]
        )
    return list(range(first, last_seq + 1))


@transaction.atomic
def messages_clear(*, session_id: uuid.UUID) -> int:
    """Delete every message of the session, keep the session; return how many were deleted.

    ``last_seq`` is kept, so seqs are never reused after a clear. Raises ``SessionGone`` if the
    session does not exist.
    """
    updated = ChatSession.objects.filter(pk=session_id).update(message_count=0, last_active_at=timezone.now())
    if not updated:
        raise SessionGone(f"session {session_id} was deleted")
    deleted, _ = ChatMessage.objects.filter(session_id=session_id).delete()
    return deleted
