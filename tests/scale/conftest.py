"""Fixtures of the scale-out suite (``make test-scale``): real replica, PgBouncer, Redis Sentinel.

The suite starts servers (a ``pg_basebackup`` of the whole cluster, PgBouncer, five Redis
processes) and needs PostgreSQL, so it runs only when ``CHATMEMORY_SCALE_TESTS=1`` (set by
``make test-scale``) and ``DATABASE_URL`` is PostgreSQL; otherwise its tests are skipped with that
reason. Servers are session-scoped (started once, stopped at the end) except where a test breaks
one on purpose.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .servers import PgBouncer, PgReplica, SentinelGroup, primary_dsn

HERE = Path(__file__).resolve().parent
REPLICA_ALIAS = "replica1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    enabled = os.environ.get("CHATMEMORY_SCALE_TESTS") == "1"
    pg = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    reason = None
    if not enabled:
        reason = "scale-out suite: starts a replica, PgBouncer and Sentinels; run it with `make test-scale`"
    elif not pg:
        reason = "scale-out suite needs PostgreSQL: set DATABASE_URL=postgres://…"
    for item in items:
        if reason and HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def pg_replica(django_db_setup: Any, django_db_blocker: Any) -> Iterator[PgReplica]:
    """A streaming hot standby of the test cluster (the test database included), for the session."""
    replica = PgReplica(primary_dsn(os.environ["DATABASE_URL"]))
    try:
        replica.create()
        replica.start()
        replica.wait_caught_up()
        yield replica
    finally:
        replica.close()


@pytest.fixture(scope="session")
def replica_alias(pg_replica: PgReplica) -> Iterator[str]:
    """``replica1`` in ``DATABASES``: the test database on the replica (what ``DATABASE_REPLICA_URLS``
    configures), marked a test mirror so test teardown never flushes it (it is read-only)."""
    from django.conf import settings
    from django.db import connections

    default = connections["default"].settings_dict
    config = {**default, "HOST": "127.0.0.1", "PORT": str(pg_replica.port),
              "OPTIONS": {**default.get("OPTIONS", {}), "connect_timeout": 1},
              "TEST": {**default.get("TEST", {}), "MIRROR": "default"}}
    settings.DATABASES[REPLICA_ALIAS] = config  # the same dict as connections.settings
    try:
        yield REPLICA_ALIAS
    finally:
        connections[REPLICA_ALIAS].close()
        del settings.DATABASES[REPLICA_ALIAS]


@pytest.fixture(scope="session")
def pgbouncer() -> Iterator[PgBouncer]:
    """PgBouncer in transaction pooling mode in front of the test cluster."""
    bouncer = PgBouncer(primary_dsn(os.environ["DATABASE_URL"]))
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.close()


@pytest.fixture
def sentinel_group() -> Iterator[SentinelGroup]:
    """Redis master + replica + 3 Sentinels, new for each test (the tests kill the master)."""
    group = SentinelGroup()
    try:
        group.start()
        yield group
    finally:
        group.close()
