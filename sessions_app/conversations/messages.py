"""Appending and clearing messages: the write half of the hot path."""
from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone
from langchain_core.messages import BaseMessage

from .. import cache
from ..db import pg_fetchall
from ..exceptions import InvalidInput, SessionGone, SessionReadOnly
from ..models import ChatMessage, ChatSession
from .serialization import plain_text, stored_json, to_record

_SESSION_TABLE = ChatSession._meta.db_table
_MESSAGE_TABLE = ChatMessage._meta.db_table
_ACTIVE = str(ChatSession.Status.ACTIVE.value)
# Batches up to this size go as one statement (4 parameters per message; PostgreSQL's protocol
# allows 65,535 per statement); bigger ones take the portable path, still one transaction.
ONE_STATEMENT_MAX = 1000


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


def _append_one_statement(
    session_id: uuid.UUID, records: list[dict], record_json: list[str], texts: list[str]
) -> list[int]:
    """PostgreSQL: reserve the seqs and insert the rows in ONE statement (one round trip).

    ``WITH s AS (UPDATE session … RETURNING last_seq) INSERT INTO message … SELECT … FROM s``: a
    single statement is atomic even in autocommit, and the UPDATE's row lock serializes
    concurrent appenders exactly like ``_reserve_seqs`` does. No row returned means the UPDATE
    matched nothing (deleted or archived session) and nothing was inserted.

    Sent with server-side binding and prepared once per connection (``sessions_app.db``): the
    ~300-character texts are not quoted into the SQL and the statement is not re-planned each turn.
    """
    if not isinstance(session_id, uuid.UUID):  # server-side binding: send a uuid, not text
        session_id = uuid.UUID(str(session_id))
    n = len(records)
    now = timezone.now()
    params: list[object] = [n, n, now, session_id, _ACTIVE, session_id, n, now]
    for i, record in enumerate(records):
        params += [i + 1, record["type"], record_json[i], texts[i]]
    rows = pg_fetchall(append_statement(n), params, prepare=True)
    return sorted(int(row[0]) for row in rows)


@functools.lru_cache(maxsize=16)
def append_statement(count: int) -> str:
    """The PostgreSQL append statement for a batch of ``count`` messages (see ``_append_one_statement``).

    Parameters, in order: count, count, now, session id, "active", session id, count, now, then per
    message its 1-based index, type, ``message_to_dict`` JSON and plain text. Returns ``seq`` rows.
    """
    values = ", ".join(["(%s::int, %s::text, %s::text, %s::text)"] * count)
    return (
        f"WITH s AS (UPDATE {_SESSION_TABLE} SET last_seq = last_seq + %s, message_count = message_count + %s, "
        f"last_active_at = %s WHERE id = %s AND status = %s RETURNING last_seq) "
        f"INSERT INTO {_MESSAGE_TABLE} (session_id, seq, type, message, content_text, created_at) "
        f"SELECT %s, s.last_seq - %s + v.i, v.type, v.message::jsonb, v.content_text, %s "
        f"FROM s CROSS JOIN (VALUES {values}) AS v(i, type, message, content_text) RETURNING seq"
    )


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

    On PostgreSQL this is a single statement (``_append_one_statement``: one round trip) for
    batches up to ``ONE_STATEMENT_MAX`` messages; otherwise (and on other databases)
    ``_reserve_seqs`` + a batched multi-row INSERT in one transaction. After the
    commit the new messages are added to the active-session cache (``sessions_app.cache``);
    a cache failure is logged and never fails the append.

    Raises ``SessionGone`` (410) if the session no longer exists — an append never re-creates a
    deleted session — ``SessionReadOnly`` (409) if it is archived, and ``InvalidInput`` (400)
    for something that is not a ``BaseMessage`` or a text longer than ``max_chars``.
    """
    if not messages:
        return []
    entries = _append_rows(session_id, messages, max_chars)
    # The database is written; now the cache, after the commit (at once in autocommit).
    cache.append_after_commit(session_id, entries)
    return [seq for seq, _ in entries]


def messages_append_and_read(
    *, session_id: uuid.UUID, messages: Sequence[BaseMessage], limit: int
) -> tuple[list[int], cache.CachedWindow | None]:
    """``messages_append``, then the session's last ``limit`` records from the cache, the cache update
    and the read being ONE cache operation (one Redis round trip instead of two).

    For loops that append and immediately need the new context (an agent adding its tool calls and
    results). Returns ``(seqs, window)``; ``window`` is ``None`` inside a transaction (the cache is
    updated at the commit, so read the database) and a miss (``records is None``) when the cache has
    no complete window; the caller then reads the usual way. Raises what ``messages_append`` raises.
    """
    if not messages:
        return [], None
    if connection.in_atomic_block or not connection.get_autocommit():
        return messages_append(session_id=session_id, messages=messages), None
    entries = _append_rows(session_id, messages, None)  # committed: autocommit, one statement/transaction
    return [seq for seq, _ in entries], cache.append_entries_and_read(session_id, entries, limit)


def _append_rows(session_id: uuid.UUID, messages: Sequence[BaseMessage], max_chars: int | None
                 ) -> list[tuple[int, str]]:
    """Write the batch (see ``messages_append``); return its cache entries ``(seq, JSON)``."""
    stored = [stored_json(to_record(m)) for m in messages]  # NUL-escaped where needed (models.fields)
    texts = [plain_text(m) for m in messages]
    if max_chars is not None:
        for text in texts:
            if len(text) > max_chars:
                raise InvalidInput(f"message is longer than {max_chars} characters")
    records = [record for record, _ in stored]
    record_json = [text for _, text in stored]
    if connection.vendor == "postgresql" and len(records) <= ONE_STATEMENT_MAX:
        seqs = _append_one_statement(session_id, records, record_json, texts)
        if not seqs:
            _raise_for_missing(session_id)
    else:
        seqs = _append_portable(session_id, records, texts)
    return [cache.entry(seq, raw) for seq, raw in zip(seqs, record_json, strict=True)]


@transaction.atomic
def _append_portable(session_id: uuid.UUID, records: list[dict], texts: list[str]) -> list[int]:
    """Any database: ``_reserve_seqs`` then one multi-row INSERT, in one transaction."""
    last_seq = _reserve_seqs(session_id, len(records))
    if last_seq is None:
        _raise_for_missing(session_id)
        raise AssertionError("unreachable")  # pragma: no cover
    first = last_seq - len(records) + 1
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

    ``last_seq`` is kept, so seqs are never reused after a clear. Evicts the session from the
    cache after the commit. Raises ``SessionGone`` if the session does not exist.
    """
    updated = ChatSession.objects.filter(pk=session_id).update(message_count=0, last_active_at=timezone.now())
    if not updated:
        raise SessionGone(f"session {session_id} was deleted")
    deleted, _ = ChatMessage.objects.filter(session_id=session_id).delete()
    cache.evict_after_commit(session_id)
    return deleted
