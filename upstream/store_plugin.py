"""Run ``langgraph-checkpoint-postgres`` 3.2.0's store suites unchanged against ``DjangoStore``.

``upstream/run_store_suites.sh`` extracts the sdist's ``tests/`` and runs pytest there twice:
with this plugin (``-p store_plugin``, target ``django``) and without our store (target
``postgres``: upstream's own ``PostgresStore`` against the same server) — same files, same run.

What this plugin replaces, and nothing else (the test functions run as shipped):

* the *construction* of stores — the ``store`` fixture of ``test_store.py`` /
  ``test_async_store.py`` and their helpers ``_create_vector_store`` / ``_create_pool_store``
  (which create a database and a ``PostgresStore`` from a connection string): ours yield a
  ``DjangoStore`` on the Django test database with the same TTL / index configuration;
* ``store._cursor()``, which a few tests use to run raw SQL against upstream's ``store`` table
  (backdating ``expires_at`` / ``updated_at``): the adapter runs that SQL on Django's
  connection with the table name mapped to ours (``StoreItem`` keeps upstream's column names);
* ``DEFAULT_URI`` of upstream's ``tests/conftest.py`` points at our PostgreSQL server (target
  ``postgres`` too), whose ``clear_test_db`` fixture then runs there harmlessly.

Target ``django`` needs ``DATABASE_URL`` (PostgreSQL: the suites' raw SQL is PostgreSQL's).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_test_db import mark_first_collected, refuse_unless_test_database

ROOT = Path(__file__).resolve().parents[1]
TARGET = os.environ.get("CHATMEMORY_UPSTREAM_TARGET", "django")
SCORER = os.environ.get("CHATMEMORY_UPSTREAM_SCORER", "pgvector")  # or "python": the portable scorer
_TABLE = re.compile(r"\bstore\b(?!_)")


def _server_uri() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise pytest.UsageError("the upstream store suites need DATABASE_URL=postgres://…")
    base = url.rsplit("/", 1)[0]
    return f"{base}/postgres?sslmode=disable"


def pytest_plugin_registered(plugin: Any, manager: Any) -> None:
    """Point upstream's conftest at our server as soon as pytest imports it."""
    if getattr(plugin, "__name__", "") == "tests.conftest" and hasattr(plugin, "DEFAULT_URI"):
        plugin.DEFAULT_URI = _server_uri()
        plugin.DEFAULT_POSTGRES_URI = _server_uri().split("postgres?")[0]


def pytest_configure(config: pytest.Config) -> None:
    if TARGET == "django":
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatmemory.settings")


@pytest.hookimpl(trylast=True)  # after -k / -m deselection: the django_db mark must stay on a collected test
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Target ``django``: make pytest-django create the test database ``test_<name>``
    (``django_test_db.py``); every store fixture then checks it is on it, unblocks database access
    itself and empties the store tables afterwards (no per-test flush of every table)."""
    if TARGET == "django":
        mark_first_collected(items)
        _mark_known_differences(items)


EXPECTED = ROOT / "upstream" / "store_expected_failures.txt"


def _mark_known_differences(items: list[pytest.Item]) -> None:
    """Apply ``upstream/store_expected_failures.txt``: ``xfail`` lines become strict xfails (a test
    that starts passing fails the run, so the list cannot go stale) that accept only the test's own
    assertion failing (``AssertionError``, ``pytest.fail`` as in "DID NOT RAISE"): a crash is still
    a failure. ``skip`` lines become skips. Each with the reason written there."""
    rules: list[tuple[str, str, str]] = []
    for line in EXPECTED.read_text(encoding="utf-8").splitlines():
        body, _, reason = line.partition("#")
        words = body.split()
        if len(words) == 2 and words[0] in ("xfail", "skip"):
            rules.append((words[0], words[1], reason.strip()))
    for item in items:
        test_id = item.nodeid
        for kind, pattern, reason in rules:
            if test_id == pattern or test_id.startswith(pattern + "["):
                mark = (pytest.mark.xfail(strict=True, reason=reason, raises=(AssertionError, pytest.fail.Exception))
                        if kind == "xfail" else pytest.mark.skip(reason))
                item.add_marker(mark)


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makemodule(module_path: Path, parent: Any) -> Any:
    module = yield
    if module_path.name in ("test_store.py", "test_async_store.py"):
        mod = module.obj
        mod.DEFAULT_URI = _server_uri()
        if TARGET == "django":
            mod.store = _store_fixture
            sync = module_path.name == "test_store.py"
            mod._create_vector_store = _vector_store_sync if sync else _vector_store_async
            mod._create_pool_store = _pool_store
    return module


# ----- DjangoStore construction ------------------------------------------------------------------


def _adapter(is_async: bool) -> type:
    from sql_cursor import AsyncDictCursor, DictCursor

    from sessions_app.checkpoint.dispatch import run_async, run_sync
    from sessions_app.store import DjangoStore

    def rename(sql: str) -> str:
        return _TABLE.sub("sessions_app_storeitem", sql)

    class _Cursors:
        def __init__(self) -> None:
            self.sync, self.aio = DictCursor(rename, run_sync), AsyncDictCursor(rename, run_async)

        def __enter__(self) -> DictCursor:
            return self.sync

        def __exit__(self, *exc: Any) -> None:
            return None

        async def __aenter__(self) -> AsyncDictCursor:
            return self.aio

        async def __aexit__(self, *exc: Any) -> None:
            return None

    class UpstreamDjangoStore(DjangoStore):
        def _cursor(self, *, pipeline: bool = False) -> _Cursors:
            return _Cursors()

    class UpstreamAsyncDjangoStore(UpstreamDjangoStore):
        """``AsyncPostgresStore`` names its sweeper controls without the ``a``: map the names to
        DjangoStore's async twins (``astart_ttl_sweeper`` / ``astop_ttl_sweeper``)."""

        async def start_ttl_sweeper(self, sweep_interval_minutes: float | None = None) -> None:  # type: ignore[override]
            await self.astart_ttl_sweeper(sweep_interval_minutes)

        async def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:  # type: ignore[override]
            return await self.astop_ttl_sweeper(timeout)

    return UpstreamAsyncDjangoStore if is_async else UpstreamDjangoStore


@contextlib.contextmanager
def _django_store(request: Any, **kwargs: Any) -> Iterator[Any]:
    request.getfixturevalue("django_db_setup")  # the test database (see pytest_collection_modifyitems)
    refuse_unless_test_database()
    from sessions_app.checkpoint import close_db_thread
    from sessions_app.store import DjangoStore

    is_async = request.module.__name__.endswith("test_async_store")
    with request.getfixturevalue("django_db_blocker").unblock():
        store = _adapter(is_async)(**kwargs)
        try:
            yield store
        finally:
            DjangoStore.stop_ttl_sweeper(store)
            close_db_thread()
            # Async tests tear down inside the event loop, where the ORM refuses to run: a thread.
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(_clear).result()


def _clear() -> None:
    from django.db import connection

    from sessions_app.models import StoreItem

    StoreItem.objects.all().delete()
    connection.close()


def _scorer(store: Any) -> None:
    """``setup()`` adds pgvector (when installed); the ``python`` pass removes it instead."""
    from sessions_app.store import vectors

    if SCORER == "python":
        def drop() -> None:
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute(f"ALTER TABLE sessions_app_storevector DROP COLUMN IF EXISTS {vectors.PG_COLUMN}")
            vectors.forget_pgvector_cache()

        from sessions_app.checkpoint.dispatch import run_sync

        run_sync(drop)
    else:
        store.setup()


@pytest.fixture(params=["default"])
def _store_fixture(request: Any) -> Iterator[Any]:
    minutes = request.module.TTL_MINUTES
    ttl = {"default_ttl": minutes, "refresh_on_read": True, "sweep_interval_minutes": minutes / 2}
    with _django_store(request, ttl=ttl) as store:
        from sessions_app.store import DjangoStore

        DjangoStore.start_ttl_sweeper(store)  # the sync control, also for the async suite's adapter
        yield store


def _index(vector_type: str, distance_type: str, embeddings: Any, fields: Any) -> dict[str, Any]:
    return {"dims": embeddings.dims, "embed": embeddings, "ann_index_config": {"vector_type": vector_type},
            "distance_type": distance_type, "fields": fields}


def _request() -> Any:
    return _CURRENT["request"]


_CURRENT: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _remember_request(request: Any) -> None:
    _CURRENT["request"] = request


@contextlib.contextmanager
def _vector_store_sync(vector_type: str, distance_type: str, fake_embeddings: Any,
                       text_fields: list[str] | None = None, enable_ttl: bool = True) -> Iterator[Any]:
    ttl = {"default_ttl": 2, "refresh_on_read": True} if enable_ttl else None
    with _django_store(_request(), index=_index(vector_type, distance_type, fake_embeddings, text_fields),
                       ttl=ttl) as store:
        _scorer(store)
        _scorer(store)  # idempotent, as upstream checks
        yield store


@contextlib.asynccontextmanager
async def _vector_store_async(vector_type: str, distance_type: str, fake_embeddings: Any,
                              text_fields: list[str] | None = None) -> AsyncIterator[Any]:
    with _django_store(_request(), index=_index(vector_type, distance_type, fake_embeddings, text_fields)) as store:
        await asyncio.to_thread(_scorer, store)
        yield store
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def _pool_store() -> AsyncIterator[Any]:
    with _django_store(_request()) as store:
        yield store
