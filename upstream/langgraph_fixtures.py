"""langgraph's ``sync_checkpointer`` / ``async_checkpointer`` fixtures, one param each, for ``saver_plugin``.

The plugin puts them into every langgraph test module (a module's fixture overrides ``tests/conftest.py``'s,
whose params are memory, sqlite, postgres …): target ``django`` gets ``DjangoSaver()`` (sync and async API of
one class), target ``upstream`` PostgresSaver / AsyncPostgresSaver. ``_upstream_pg_database`` (session scope)
is registered through the plugin module, not per test module.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(name="sync_checkpointer", params=["django"])
def django_sync_checkpointer() -> Iterator[Any]:
    from sessions_app.checkpoint import DjangoSaver

    yield DjangoSaver()


@pytest.fixture(name="async_checkpointer", params=["django"])
def django_async_checkpointer() -> Iterator[Any]:
    from sessions_app.checkpoint import DjangoSaver

    yield DjangoSaver()


# Target upstream: PostgresSaver / AsyncPostgresSaver built as upstream's _checkpointer_postgres(_aio) builds
# them (from_conn_string, setup), on one database of their own for the whole run, emptied after every test,
# instead of a CREATE DATABASE + DROP DATABASE per test (648 of them: most of the suite's time).
PG_DATABASE = "test_chatmemory_upstream_pg"


@pytest.fixture(name="_upstream_pg_database", scope="session")
def upstream_pg_database() -> Iterator[str]:
    import psycopg
    from saver_plugin import _server

    with psycopg.connect(_server() + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    yield _server() + PG_DATABASE
    with psycopg.connect(_server() + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def _empty_upstream_tables(uri: str) -> None:
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("TRUNCATE checkpoints, checkpoint_blobs, checkpoint_writes")


@pytest.fixture(name="sync_checkpointer", params=["postgres"])
def postgres_sync_checkpointer(_upstream_pg_database: str) -> Iterator[Any]:
    from langgraph.checkpoint.postgres import PostgresSaver
    from tests.conftest_checkpointer import _apply_strict_msgpack

    try:
        with PostgresSaver.from_conn_string(_upstream_pg_database) as checkpointer:
            checkpointer.setup()
            _apply_strict_msgpack(checkpointer)
            yield checkpointer
    finally:
        _empty_upstream_tables(_upstream_pg_database)


@pytest.fixture(name="async_checkpointer", params=["postgres_aio"])
async def postgres_async_checkpointer(_upstream_pg_database: str) -> Any:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from tests.conftest_checkpointer import _apply_strict_msgpack

    try:
        async with AsyncPostgresSaver.from_conn_string(_upstream_pg_database) as checkpointer:
            await checkpointer.setup()
            _apply_strict_msgpack(checkpointer)
            yield checkpointer
    finally:
        _empty_upstream_tables(_upstream_pg_database)
