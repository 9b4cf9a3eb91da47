"""Run upstream's saver and history test files unchanged against ``DjangoSaver`` / ``DjangoChatMessageHistory``.

``upstream/run_saver_suites.sh`` extracts the pinned sdists and runs pytest in each twice with this
plugin (``-p saver_plugin``): target ``django`` (ours) and target ``upstream`` (upstream's own class on
the same server, same files, same run). ``CHATMEMORY_UPSTREAM_SUITE`` names the suite:

==================== ============================================ ======================================
suite                files                                        replaced (target ``django``)
==================== ============================================ ======================================
checkpoint-postgres  langgraph-checkpoint-postgres 3.2.0 tests/   ``PostgresSaver`` / ``AsyncPostgresSaver``
                     (the store suites: ``make test-upstream-      (and the shallow classes), the helpers
                     store``)                                     ``_saver`` / ``_second_saver``
checkpoint-sqlite    langgraph-checkpoint-sqlite 3.1.2 tests/     ``SqliteSaver`` / ``AsyncSqliteSaver``
                     (the store suites aside)
checkpoint-memory    langgraph-checkpoint 4.3.2 test_memory.py    ``InMemorySaver``
langgraph            langgraph 1.2.22: every test taking          the two fixtures (one param each)
                     ``sync_checkpointer`` / ``async_checkpointer``
langchain-postgres   langchain-postgres 0.0.19 v1 chat history    ``PostgresChatMessageHistory`` and its
                                                                  connection helpers
==================== ============================================ ======================================

The replacements are the adapters of ``upstream/saver_adapters.py``: DjangoSaver with upstream's
construction surface. Target ``upstream`` replaces nothing but the server address (``DATABASE_URL``'s
server; upstream's helpers create and drop their own databases there) and, for ``langgraph``, the
fixtures: PostgresSaver (``postgres``) and AsyncPostgresSaver (``postgres_aio``) only, built as upstream's
helpers build them but on one database for the run (emptied after each test) instead of one per test.

Target ``django`` runs on pytest-django's test database ``test_<name>`` (one ``django_db`` mark makes
pytest-django set it up; every test unblocks the database itself and the checkpoint tables are emptied
after it), never on DATABASE_URL's own database.

``upstream/saver_expected.txt`` lists the tests upstream's own class fails too (strict xfail: a fix
turns into an XPASS failure) and the tests that cannot run against DjangoSaver (an upstream internal),
each with its reason. Everything else that fails is a DjangoSaver defect.
"""
from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django_test_db import mark_first_collected, refuse_unless_test_database
from langgraph_fixtures import upstream_pg_database  # noqa: F401  (a session fixture: registered with this plugin)

ROOT = Path(__file__).resolve().parents[1]
SUITE = os.environ.get("CHATMEMORY_UPSTREAM_SUITE", "")
TARGET = os.environ.get("CHATMEMORY_UPSTREAM_TARGET", "django")
EXPECTED = Path(__file__).with_name("saver_expected.txt")
CHECKPOINTER_FIXTURES = ("sync_checkpointer", "async_checkpointer")


def _server() -> str:
    """``postgres://user@host:port/`` of DATABASE_URL (no database)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise pytest.UsageError("the upstream saver suites need DATABASE_URL=postgres://…")
    return url.rsplit("/", 1)[0] + "/"


# ----- configuration ---------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    if SUITE not in SUITES:
        raise pytest.UsageError(f"CHATMEMORY_UPSTREAM_SUITE must be one of {sorted(SUITES)}")
    if TARGET == "django":
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatmemory.settings")


def pytest_plugin_registered(plugin: Any, manager: Any) -> None:
    """Point upstream's conftest constants at our server as soon as pytest imports them."""
    if getattr(plugin, "__name__", "") != "tests.conftest":
        return
    if hasattr(plugin, "DEFAULT_URI"):  # checkpoint-postgres
        plugin.DEFAULT_POSTGRES_URI = _server()
        plugin.DEFAULT_URI = _server() + "postgres?sslmode=disable"
    helpers = sys.modules.get("tests.conftest_checkpointer")  # langgraph
    if helpers is not None:
        helpers.DEFAULT_POSTGRES_URI = _server()


# ----- per suite: what the test modules construct ----------------------------------------------


def _patch_checkpoint_postgres(mod: Any) -> None:
    if hasattr(mod, "DEFAULT_URI"):
        mod.DEFAULT_URI = _server() + "postgres?sslmode=disable"
    if hasattr(mod, "DEFAULT_POSTGRES_URI"):
        mod.DEFAULT_POSTGRES_URI = _server()
    if TARGET != "django":
        return
    from saver_adapters import UpstreamAsyncDjangoSaver, UpstreamDjangoSaver

    replace = {"PostgresSaver": UpstreamDjangoSaver, "ShallowPostgresSaver": UpstreamDjangoSaver,
               "AsyncPostgresSaver": UpstreamAsyncDjangoSaver, "AsyncShallowPostgresSaver": UpstreamAsyncDjangoSaver}
    for name, cls in replace.items():
        if hasattr(mod, name):
            setattr(mod, name, cls)
    name = mod.__name__.rsplit(".", 1)[-1]
    if name == "test_sync":
        mod._saver = UpstreamDjangoSaver.from_conn_string  # base / pool / pipe / shallow: one class
    elif name == "test_async":
        mod._saver = UpstreamAsyncDjangoSaver.from_conn_string
    elif name == "test_prune":
        mod._sync_saver = UpstreamDjangoSaver.from_conn_string
        mod._async_saver = UpstreamAsyncDjangoSaver.from_conn_string
        mod._second_saver = UpstreamAsyncDjangoSaver.from_conn_string  # another saver, same database


def _patch_checkpoint_sqlite(mod: Any) -> None:
    if TARGET != "django":
        return
    from saver_adapters import UpstreamAsyncDjangoSaver, UpstreamDjangoSaver

    for name, cls in {"SqliteSaver": UpstreamDjangoSaver, "AsyncSqliteSaver": UpstreamAsyncDjangoSaver}.items():
        if hasattr(mod, name):
            setattr(mod, name, cls)


def _patch_checkpoint_memory(mod: Any) -> None:
    if TARGET != "django":
        return
    from saver_adapters import UpstreamDjangoSaver

    if hasattr(mod, "InMemorySaver"):
        mod.InMemorySaver = UpstreamDjangoSaver


def _patch_langgraph(mod: Any) -> None:
    import langgraph_fixtures as f

    if TARGET == "django":
        mod.sync_checkpointer, mod.async_checkpointer = f.django_sync_checkpointer, f.django_async_checkpointer
    else:
        mod.sync_checkpointer, mod.async_checkpointer = f.postgres_sync_checkpointer, f.postgres_async_checkpointer


def _patch_langchain_postgres(mod: Any) -> None:
    if TARGET == "django":
        from saver_adapters import UpstreamDjangoHistory, no_async_connection, no_connection

        mod.PostgresChatMessageHistory = UpstreamDjangoHistory
        mod.syncpg_client, mod.asyncpg_client = no_connection, no_async_connection
    else:
        sys.modules["tests.utils"].DSN = _server() + LCPG_DATABASE


SUITES = {
    "checkpoint-postgres": _patch_checkpoint_postgres,
    "checkpoint-sqlite": _patch_checkpoint_sqlite,
    "checkpoint-memory": _patch_checkpoint_memory,
    "langgraph": _patch_langgraph,
    "langchain-postgres": _patch_langchain_postgres,
}
LCPG_DATABASE = "test_chatmemory_upstream_lcpg"


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Before a test module's tests and fixtures are collected (not at ``pytest_pycollect_makemodule``:
    pytest makes a node for every file of a package, and only the collected ones may be imported)."""
    if isinstance(collector, pytest.Module) and collector.path.name.startswith("test_"):
        SUITES[SUITE](collector.obj)


# ----- the expected-failure / skip list --------------------------------------------------------


def _matches(nodeid: str, pattern: str) -> bool:
    """``*`` matches anything; brackets are literal (``test_x[*]``: every parametrization of test_x)."""
    return fnmatch.fnmatchcase(nodeid, pattern.replace("[", "\0").replace("]", "[]]").replace("\0", "[[]"))


def _expected() -> list[tuple[str, str, str, str]]:
    """``(kind, targets, pattern, reason)`` of this suite's section of saver_expected.txt."""
    rows, section = [], ""
    for n, raw in enumerate(EXPECTED.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        body, _, reason = line.partition("#")
        fields = body.split()
        kinds, targets = ("xfail", "flaky", "skip"), ("both", "django", "upstream")
        if len(fields) != 3 or fields[0] not in kinds or fields[1] not in targets or not reason.strip():
            want = f"{'|'.join(kinds)} {'|'.join(targets)} PATTERN  # reason"
            raise pytest.UsageError(f"{EXPECTED.name}:{n}: want `{want}`")
        if section == SUITE:
            rows.append((fields[0], fields[1], fields[2], reason.strip()))
    return rows


@pytest.hookimpl(trylast=True)  # after -k / -m deselection: the django_db mark must stay on a collected test
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SUITE == "langgraph":  # every test that takes a checkpointer fixture, and only those
        keep = [i for i in items if any(f in getattr(i, "fixturenames", ()) for f in CHECKPOINTER_FIXTURES)]
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    rows = _expected()
    for item in items:
        for kind, targets, pattern, reason in rows:
            if targets not in ("both", TARGET) or not _matches(item.nodeid, pattern):
                continue
            if kind == "xfail":
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"upstream fails too: {reason}"))
            elif kind == "flaky":
                item.add_marker(pytest.mark.xfail(strict=False, reason=f"flaky for upstream too: {reason}"))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))
            break
    if TARGET == "django":
        mark_first_collected(items)


# ----- target django: the test database for every test -----------------------------------------


@pytest.fixture(autouse=True)
def _chatmemory_test_database(request: pytest.FixtureRequest) -> Iterator[None]:
    if TARGET != "django":
        yield
        return
    request.getfixturevalue("django_db_setup")
    refuse_unless_test_database()
    with request.getfixturevalue("django_db_blocker").unblock():
        yield
        _empty_tables()


def _empty_tables() -> None:
    """Checkpoint tables emptied (TRUNCATE) on the saver's thread; its connection then closed."""
    from django.apps import apps
    from saver_adapters import _on_db_thread

    from sessions_app.checkpoint import close_db_thread

    tables = [m._meta.db_table for m in apps.get_app_config("sessions_app").get_models()
              if m._meta.db_table.startswith("sessions_app_checkpoint")]

    def truncate() -> None:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(tables)}")

    _on_db_thread(truncate)
    close_db_thread()


@pytest.fixture(autouse=True, scope="session")
def _langchain_postgres_database() -> Iterator[None]:
    """Target upstream, suite langchain-postgres: a database of its own on our server."""
    if SUITE != "langchain-postgres" or TARGET != "upstream":
        yield
        return
    import psycopg

    with psycopg.connect(_server() + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {LCPG_DATABASE}")
        conn.execute(f"CREATE DATABASE {LCPG_DATABASE}")
    yield
    with psycopg.connect(_server() + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {LCPG_DATABASE} WITH (FORCE)")
