"""The replica router against a real streaming replica: which reads go where, lag, a replica down.

The replica is a ``pg_basebackup -R`` of the test cluster (``conftest.pg_replica``); ``replica1``
points Django at the test database on it. Pausing WAL replay on the replica
(``pg_wal_replay_pause()``) makes it lag on demand; stopping it makes it down.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections, router, transaction

from sessions_app.db import replicas as routers
from sessions_app.models import ChatSession

from ..factories import ChatSessionFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, databases=["default", "replica1"])]


@pytest.fixture(autouse=True)
def _routed(settings: Any, replica_alias: str, pg_replica: Any) -> Iterator[None]:
    settings.DATABASE_ROUTERS = ["chatmemory.routers.ReplicaRouter"]
    settings.CHATMEMORY_REPLICA_MAX_LAG = 1
    settings.CHATMEMORY_REPLICA_CHECK_INTERVAL = 0  # measure at every block: the tests change the replica
    routers.forget_health()
    yield
    pg_replica.resume_replay()
    routers.forget_health()
    for alias in connections:
        connections[alias].close()


def served_by(alias: str) -> bool:
    """Whether the server behind ``alias`` is a standby (True) or the primary (False)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return bool(cursor.fetchone()[0])


def test_only_reads_in_a_lag_tolerant_block_go_to_the_replica(pg_replica):
    owner = UserFactory()
    ChatSessionFactory(owner=owner, title="seen everywhere")
    pg_replica.wait_caught_up()
    assert router.db_for_read(ChatSession) == "default"  # outside a block: the primary
    with routers.replica_reads(user_id=None) as scope:
        assert router.db_for_read(ChatSession) == "replica1"
        assert list(ChatSession.objects.values_list("title", flat=True)) == ["seen everywhere"]
        assert served_by(router.db_for_read(ChatSession))
        assert router.db_for_write(ChatSession) == "default"
        created = ChatSession.objects.create(owner=owner, title="written inside")  # writes: the primary
        assert created._state.db == "default"
        with transaction.atomic():  # inside a transaction: its own writes, on the primary
            assert router.db_for_read(ChatSession) == "default"
    assert scope.used == {"replica1"}
    assert not served_by("default")


def test_the_user_who_just_wrote_reads_the_primary_others_may_read_the_replica(pg_replica, settings):
    settings.CHATMEMORY_REPLICA_MAX_LAG = 30  # the replica stays usable while paused
    writer, reader = UserFactory(), UserFactory()
    pg_replica.wait_caught_up()
    pg_replica.pause_replay()
    ChatSessionFactory(owner=writer, title="just written")
    routers.note_write(writer.pk)
    with routers.replica_reads(user_id=writer.pk):
        assert router.db_for_read(ChatSession) == "default"
        assert ChatSession.objects.filter(owner=writer).count() == 1  # read-your-writes
    with routers.replica_reads(user_id=reader.pk):
        assert router.db_for_read(ChatSession) == "replica1"
        assert ChatSession.objects.filter(owner=writer).count() == 0  # lag-tolerant: a bit old is fine
    pg_replica.resume_replay()
    pg_replica.wait_caught_up()
    with routers.replica_reads(user_id=reader.pk):
        assert ChatSession.objects.filter(owner=writer).count() == 1


def test_a_replica_lagging_past_the_bound_is_skipped(pg_replica):
    owner = UserFactory()
    pg_replica.wait_caught_up()
    pg_replica.pause_replay()
    ChatSessionFactory(owner=owner, title="after the pause")
    time.sleep(1.3)  # past CHATMEMORY_REPLICA_MAX_LAG = 1
    health = routers.measure("replica1")
    assert not health.ok and health.lag is not None and health.lag > 1, health
    with routers.replica_reads() as scope:
        assert list(ChatSession.objects.values_list("title", flat=True)) == ["after the pause"]  # primary
    assert scope.chosen == "default" and not scope.used
    pg_replica.resume_replay()
    pg_replica.wait_caught_up()
    assert routers.measure("replica1").ok
    with routers.replica_reads():
        assert router.db_for_read(ChatSession) == "replica1"


def test_a_replica_down_is_skipped_and_a_read_it_broke_is_rerun_on_the_primary(pg_replica):
    owner = UserFactory()
    ChatSessionFactory(owner=owner, title="kept")
    pg_replica.wait_caught_up()
    calls: list[str] = []

    def report() -> list[str]:
        calls.append(router.db_for_read(ChatSession))
        if len(calls) == 1:
            pg_replica.stop("immediate")  # dies between the choice and the query
        return list(ChatSession.objects.values_list("title", flat=True))

    try:
        assert routers.run_lag_tolerant(report) == ["kept"]
        assert calls == ["replica1", "default"]
        assert not routers.health("replica1").ok  # marked down: the next blocks skip it at once
        started = time.monotonic()
        with routers.replica_reads():
            assert router.db_for_read(ChatSession) == "default"
            assert ChatSession.objects.count() == 1
        assert time.monotonic() - started < 3  # connection refused is immediate; connect_timeout=1 bounds it
    finally:
        pg_replica.start()
    routers.forget_health()
    pg_replica.wait_caught_up()
    with routers.replica_reads():
        assert router.db_for_read(ChatSession) == "replica1"


def test_a_promoted_or_misconfigured_replica_that_is_not_in_recovery_is_not_used():
    """An alias pointing at a server that is not a standby (here: the primary itself) is skipped."""
    config = connections["replica1"].settings_dict
    replica_port = config["PORT"]
    config["PORT"] = connections["default"].settings_dict.get("PORT") or "5432"
    connections["replica1"].close()
    try:
        health = routers.measure("replica1")
        assert not health.ok and "not in recovery" in health.error
    finally:
        connections["replica1"].close()
        config["PORT"] = replica_port


def test_migrations_never_target_a_replica():
    assert router.allow_migrate("replica1", "sessions_app") is False
    assert router.allow_migrate("default", "sessions_app") is not False
