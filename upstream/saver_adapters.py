"""What upstream's saver and history tests construct, built on ``DjangoSaver`` / ``DjangoChatMessageHistory``.

``upstream/saver_plugin.py`` puts these in place of the names the test files construct from
(``PostgresSaver``, ``AsyncPostgresSaver``, ``SqliteSaver``, ``AsyncSqliteSaver``, ``InMemorySaver``,
``PostgresChatMessageHistory``) and of their saver-building helpers. Each adapter adds only the
construction surface upstream's class has and DjangoSaver has no need of, and nothing that a test
checks:

* ``from_conn_string(...)`` (sync or async context manager; the string is ignored: the saver runs on
  pytest-django's test database) and ``setup()`` (a no-op: migrations made the tables);
* ``_cursor()``: the psycopg-cursor-shaped object a few tests use to read upstream's tables with raw SQL
  (``test_prune.py``'s ``_rows``): the same SQL on Django's connection, the table names mapped to ours
  (DjangoSaver keeps upstream's column names);
* the async class only marks "the async API" for ``test_prune.py``'s ``_call``, which picks ``aprune`` /
  ``aput`` for an ``AsyncPostgresSaver`` and ``prune`` / ``put`` otherwise.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from sql_cursor import AsyncDictCursor, DictCursor

from sessions_app.checkpoint import DjangoSaver, dispatch

_TABLES = {
    "checkpoints": "sessions_app_checkpoint",
    "checkpoint_writes": "sessions_app_checkpointwrite",
    "checkpoint_blobs": "sessions_app_checkpointblob",
}
_TABLE = re.compile(r"\b(" + "|".join(_TABLES) + r")\b")


def _on_db_thread(fn: Any, *args: Any) -> Any:
    """Run ``fn`` on the saver's own database thread, even from the main thread while a loop runs
    (the adapter's SQL must not be what trips Django's async-safety check)."""
    return dispatch._get_executor().submit(dispatch._call_on_db_thread, fn, *args).result()


def _rename(sql: str) -> str:
    return _TABLE.sub(lambda m: _TABLES[m.group(1)], sql)


async def _on_db_thread_async(fn: Any, *args: Any) -> Any:
    return await asyncio.to_thread(_on_db_thread, fn, *args)


class UpstreamDjangoSaver(DjangoSaver):
    """DjangoSaver constructed the way upstream's sync savers are (a connection argument is ignored)."""

    def __init__(self, *conn: Any, serde: Any = None, **kwargs: Any) -> None:
        super().__init__(serde=serde)

    @classmethod
    @contextlib.contextmanager
    def from_conn_string(cls, *args: Any, **kwargs: Any) -> Iterator[UpstreamDjangoSaver]:
        yield cls()

    def setup(self) -> None:
        """The tables exist: pytest-django migrated the test database."""

    @contextlib.contextmanager
    def _cursor(self, **kwargs: Any) -> Iterator[DictCursor]:
        yield DictCursor(_rename, _on_db_thread)


class UpstreamAsyncDjangoSaver(UpstreamDjangoSaver):
    """The same DjangoSaver where a test builds upstream's *async* class (and then calls its ``a*`` methods)."""

    @classmethod
    @contextlib.asynccontextmanager
    async def from_conn_string(cls, *args: Any, **kwargs: Any) -> AsyncIterator[UpstreamAsyncDjangoSaver]:  # type: ignore[override]
        yield cls()

    async def setup(self) -> None:  # type: ignore[override]
        """The tables exist: pytest-django migrated the test database."""

    @contextlib.asynccontextmanager  # type: ignore[arg-type]
    async def _cursor(self, **kwargs: Any) -> AsyncIterator[AsyncDictCursor]:  # type: ignore[override]
        yield AsyncDictCursor(_rename, _on_db_thread_async)


# ----- langchain-postgres' chat-history tests ------------------------------------------------------

HARNESS_USER = "upstream-harness"


def _harness_user_id() -> int:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=HARNESS_USER)
    return int(user.pk)


def _drop_sessions() -> None:
    from sessions_app.models import ChatSession

    ChatSession.objects.filter(owner__username=HARNESS_USER).delete()


class UpstreamDjangoHistory:
    """Where the tests build ``PostgresChatMessageHistory(table, session_id, sync_connection=…)``, the
    history a LangChain app gets from the README's factory: ``DjangoChatMessageHistory.for_user``.

    A "table" is the harness user's sessions: ``create_tables`` makes the user, ``drop_table``
    deletes its sessions (the async twins run them on a worker thread, as an app would)."""

    def __new__(cls, table_name: str, session_id: str, /, *, sync_connection: Any = None,
                async_connection: Any = None) -> Any:
        from sessions_app.history import DjangoChatMessageHistory

        return DjangoChatMessageHistory.for_user(user_id=HARNESS_USER, session_id=session_id)

    @staticmethod
    def create_tables(connection: Any, table_name: str, /) -> None:
        _harness_user_id()

    @staticmethod
    def drop_table(connection: Any, table_name: str, /) -> None:
        _drop_sessions()

    @staticmethod
    async def acreate_tables(connection: Any, table_name: str, /) -> None:
        await asyncio.to_thread(_on_db_thread, _harness_user_id)

    @staticmethod
    async def adrop_table(connection: Any, table_name: str, /) -> None:
        await asyncio.to_thread(_on_db_thread, _drop_sessions)


@contextlib.contextmanager
def no_connection() -> Iterator[None]:
    """``syncpg_client()``: DjangoChatMessageHistory needs no connection of the test's."""
    yield None


@contextlib.asynccontextmanager
async def no_async_connection() -> AsyncIterator[None]:
    """``asyncpg_client()``: likewise."""
    yield None
