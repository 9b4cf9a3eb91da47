"""Hot statements on PostgreSQL: psycopg 3 cursors on Django's own connection.

Django's PostgreSQL backend gives client-side-binding cursors (``psycopg.ClientCursor``): every
statement is sent as text with its parameters quoted in Python, parsed and planned anew by the
server, and ``bytea`` comes back hex-encoded. For the few statements that run on every chat turn
or checkpoint write this module uses a *server-side-binding* ``psycopg.Cursor`` on the same
connection (so the same transaction, the same ``atomic()`` block): parameters travel separately
(binary where asked), and with ``prepare=True`` the statement is prepared once per connection and
then executed by name (psycopg's prepared-statement cache; see
https://www.psycopg.org/psycopg3/docs/advanced/prepare.html).

Everything Django's own cursors give is kept: errors are Django's (``connection.wrap_database_errors``
turns ``psycopg.OperationalError`` into ``django.db.OperationalError``, which the 503 middleware
maps), the connection is opened or re-checked as usual (``ensure_connection``; pytest-django's
database blocker applies), and the statement goes to ``connection.queries_log`` when queries are
logged (``DEBUG``, ``assertNumQueries``/``django_assert_num_queries`` count it).

Preparing needs the connection's ``prepare_threshold`` not to be ``None`` (Django's default);
``chatmemory/settings.py`` sets it unless ``CHATMEMORY_PREPARED_STATEMENTS=false`` (for a pooler in
transaction mode that cannot keep per-connection prepared statements, PgBouncer < 1.21), in which
case ``prepare=True`` is ignored by psycopg.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections


def pg_fetchall(query: str, params: Sequence[Any], *, prepare: bool = False, binary: bool = False
                ) -> list[tuple[Any, ...]]:
    """Run one statement with server-side binding on Django's PostgreSQL connection; all its rows.

    ``prepare=True`` prepares it on this connection the first time (then executes it by name);
    ``binary=True`` asks for binary results (``bytea`` as bytes, no hex). Raises Django's
    ``DatabaseError`` family. PostgreSQL only: callers branch on ``connection.vendor``.
    """
    conn = connections[DEFAULT_DB_ALIAS]  # one lookup: the ``connection`` proxy resolves it per attribute
    conn.ensure_connection()
    start = time.monotonic()
    with conn.wrap_database_errors, psycopg.Cursor(conn.connection) as cur:
        cur.execute(query, params, prepare=prepare, binary=binary)
        rows = cur.fetchall() if cur.description is not None else []
    if conn.queries_logged:
        conn.queries_log.append({"sql": query, "time": f"{time.monotonic() - start:.3f}"})
    return rows


def pg_execute(query: str, params: Sequence[Any], *, prepare: bool = False) -> None:
    """``pg_fetchall`` for a statement whose rows are not needed."""
    pg_fetchall(query, params, prepare=prepare)


def pg_copy_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """``COPY table (columns) FROM STDIN`` of ``rows`` on Django's PostgreSQL connection; the row count.

    For bulk loads (the conversation importer): one statement per call, values sent in COPY's
    text format by psycopg's C dumpers — no SQL text to build or quote in Python (Django's
    ``bulk_create`` on a client-side-binding cursor spent most of an import quoting arrays). Runs
    in the caller's transaction; generated columns and triggers apply as for INSERT. ``table`` and
    ``columns`` are trusted identifiers (quoted here), never user input. PostgreSQL only.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    conn.ensure_connection()
    quote = conn.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    start = time.monotonic()
    with conn.wrap_database_errors, psycopg.Cursor(conn.connection) as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    if conn.queries_logged:
        conn.queries_log.append({"sql": f"{statement} -- {len(rows)} rows", "time": f"{time.monotonic() - start:.3f}"})
    return len(rows)


def release_connections() -> None:
    """Hand this thread's database connections back when no transaction is open: closed — that
    is, returned to psycopg's pool — under ``CONN_MAX_AGE=0``, kept while a persistent one is
    younger than ``CONN_MAX_AGE`` (Django's own end-of-request rule, ``close_if_unusable_or_obsolete``).

    Async views call it after each storage step of a streamed turn, so a stream that lasts
    minutes holds no connection while it streams (``conversations.chat``).
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()
