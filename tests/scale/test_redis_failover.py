"""Redis failover: a promoted replica that missed the last writes serves no stale window; a Sentinel
failover under concurrent writers loses, splits, duplicates no turn and serves no stale read.

The cache is configured exactly as ``chatmemory.settings_scale`` does from ``REDIS_SENTINELS``
(``sentinel_caches``), so these tests also run the settings code.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection
from langchain_core.messages import AIMessage, HumanMessage

from chatmemory import settings_scale
from sessions_app.cache.failover import GuardedConnection
from sessions_app.history import DjangoChatMessageHistory
from sessions_app.models import ChatMessage

from ..factories import ChatSessionFactory, UserFactory
from .servers import RedisNode, redis_command, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def plain_caches(port: int) -> dict[str, Any]:
    options = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5,
               "CONNECTION_POOL_KWARGS": {"connection_class": GuardedConnection}}
    return {alias: {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0",
                    "KEY_PREFIX": prefix, "OPTIONS": dict(options)}
            for alias, prefix in (("default", "cm"), ("chatmemory", "cms"))}


def sentinel_caches(monkeypatch: Any, group: Any) -> dict[str, Any]:
    monkeypatch.setenv("REDIS_SENTINELS", group.sentinels_setting)
    monkeypatch.setenv("REDIS_SENTINEL_SERVICE", group.service)
    ns: dict[str, Any] = {"CACHES": {}, "CHATMEMORY_CACHE_ALIAS": "chatmemory"}
    settings_scale._sentinels(ns)
    return ns["CACHES"]


def pair(text: str) -> list[Any]:
    return [HumanMessage(content=text), AIMessage(content=f"answer to {text}")]


def contents(messages: list[Any]) -> list[str]:
    return [str(m.content) for m in messages]


def in_sync(master: RedisNode, replica: RedisNode) -> bool:
    offset = master.info("replication").get("master_repl_offset")
    return replica.info("replication").get("slave_repl_offset") == offset


def test_a_promoted_replica_that_missed_the_last_writes_serves_no_stale_window(settings):
    master, replica = RedisNode(), None
    master.start()
    replica = RedisNode(replica_of=master.port)
    replica.start()
    try:
        settings.CACHES = plain_caches(master.port)
        owner = UserFactory()
        kept, cleared = ChatSessionFactory(owner=owner), ChatSessionFactory(owner=owner)
        for session in (kept, cleared):
            history = DjangoChatMessageHistory(session.pk, user=owner)
            history.add_messages(pair("one"))
            assert contents(history.get_recent_messages(10)) == ["one", "answer to one"]  # warm, filled
        wait_until(lambda: in_sync(master, replica), timeout=10, what="replica in sync")
        generation = int(redis_command(replica.port, "GET", "cms:1:gen").split(b"\r\n")[1])
        # The replica stops following (as a partition or a crash would) and is promoted by hand.
        assert redis_command(replica.port, "REPLICAOF", "NO", "ONE").startswith(b"+OK")
        # The old master takes writes the promoted replica never gets: an append and a clear.
        DjangoChatMessageHistory(kept.pk, user=owner).add_messages(pair("two"))
        DjangoChatMessageHistory(cleared.pk, user=owner).clear()
        # The promoted replica still holds the old windows (what a stale read would serve) ...
        stale = redis_command(replica.port, "HGET", f"cms:1:m:{kept.pk}", "last_seq")
        assert stale.endswith(b"2\r\n"), stale
        # ... and the app fails over to it.
        settings.CACHES = plain_caches(replica.port)
        assert contents(DjangoChatMessageHistory(kept.pk, user=owner).get_recent_messages(10)) == [
            "one", "answer to one", "two", "answer to two"]
        assert DjangoChatMessageHistory(cleared.pk, user=owner).get_recent_messages(10) == []
        after = int(redis_command(replica.port, "GET", "cms:1:gen").split(b"\r\n")[1])
        assert after == generation + 1  # raised once, by the first connection to the promoted replica
        # Refilled under the new generation: warm again, and still exact.
        history = DjangoChatMessageHistory(kept.pk, user=owner)
        history.add_messages(pair("three"))
        assert contents(history.get_recent_messages(2)) == ["three", "answer to three"]
    finally:
        master.close()
        if replica is not None:
            replica.close()
        connection.close()


WRITERS = 4  # one session each: the exact window before every turn is known
SHARED_WRITERS = 2  # one session shared: pairs must stay adjacent
MAX_TURNS = 3000  # per writer; they run until told to stop (a bound, never reached)


def test_sentinel_failover_under_concurrent_writers_loses_nothing_and_reads_nothing_stale(
        settings, monkeypatch, sentinel_group):
    from django.core.cache import caches

    settings.CACHES = sentinel_caches(monkeypatch, sentinel_group)
    owner = UserFactory()
    own = [ChatSessionFactory(owner=owner) for _ in range(WRITERS)]
    shared = ChatSessionFactory(owner=owner)
    stale: list[tuple[int, int, list[str], list[str]]] = []
    errors: list[BaseException] = []
    turns = [0] * (WRITERS + SHARED_WRITERS)
    latencies: list[tuple[float, float]] = []  # (started, seconds) per turn
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w: int) -> None:
        try:
            session = own[w]
            expected: list[str] = []
            for t in range(MAX_TURNS):
                if stop.is_set():
                    break
                started = time.monotonic()
                history = DjangoChatMessageHistory(session.pk, user=owner)
                window = contents(history.get_recent_messages(20))
                if window != expected[-20:]:
                    with lock:
                        stale.append((w, t, window, expected[-20:]))
                history.add_messages(pair(f"w{w} t{t}"))
                expected += [f"w{w} t{t}", f"answer to w{w} t{t}"]
                turns[w] = t + 1
                with lock:
                    latencies.append((started, time.monotonic() - started))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    def shared_writer(w: int) -> None:
        try:
            for t in range(MAX_TURNS):
                if stop.is_set():
                    break
                history = DjangoChatMessageHistory(shared.pk, user=owner)
                history.get_recent_messages(20)
                history.add_messages(pair(f"s{w} t{t}"))
                turns[WRITERS + w] = t + 1
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    threads += [threading.Thread(target=shared_writer, args=(w,)) for w in range(SHARED_WRITERS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)  # warm: every window cached
        old_port = sentinel_group.current_master_port()
        killed_at = time.monotonic()
        sentinel_group.kill_master()
        new_port = sentinel_group.wait_failover(old_port)
        promoted_after = time.monotonic() - killed_at
        client = caches["chatmemory"].client.get_client(write=True)
        wait_until(lambda: client.ping(), timeout=30, interval=0.02, what="cache back")
        cache_back_after = time.monotonic() - killed_at
        time.sleep(2)  # and on the new master for a while
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, errors[:3]
    assert not stale, stale[:3]  # no turn ever read a window other than the database's tail

    for w, session in enumerate(own):
        rows = list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", "content_text"))
        assert [s for s, _ in rows] == list(range(1, 2 * turns[w] + 1))  # none lost, none duplicated
        assert [c for _, c in rows][0::2] == [f"w{w} t{t}" for t in range(turns[w])]
    rows = list(ChatMessage.objects.filter(session=shared).order_by("seq").values_list("seq", "content_text"))
    assert [s for s, _ in rows] == list(range(1, 2 * sum(turns[WRITERS:]) + 1))
    for (_, question), (_, answer) in zip(rows[0::2], rows[1::2], strict=True):
        assert answer == f"answer to {question}"  # pairs never split
    assert sorted(q for _, q in rows[0::2]) == sorted(f"s{w} t{t}" for w in range(SHARED_WRITERS)
                                                      for t in range(turns[WRITERS + w]))
    # The cache works again on the new master, and what it serves is the database's tail.
    assert sentinel_group.current_master_port() == new_port
    history = DjangoChatMessageHistory(own[0].pk, user=owner)
    tail = list(ChatMessage.objects.filter(session=own[0]).order_by("seq").values_list("content_text", flat=True))
    assert contents(history.get_recent_messages(4)) == tail[-4:]
    assert history.cache_ttl_remaining is not None

    before = sorted(s for started, s in latencies if started < killed_at)
    during = sorted(s for started, s in latencies if killed_at <= started <= killed_at + cache_back_after)
    after = sorted(s for started, s in latencies if started > killed_at + cache_back_after)
    assert before and during and after
    report = {
        "promoted_after_s": round(promoted_after, 2), "cache_back_after_s": round(cache_back_after, 2),
        "turns": sum(turns), "turns_during_failover": len(during),
        "median_turn_ms_before": round(1000 * before[len(before) // 2], 1),
        "median_turn_ms_during": round(1000 * during[len(during) // 2], 1),
        "max_turn_ms_during": round(1000 * during[-1], 1),
        "median_turn_ms_after": round(1000 * after[len(after) // 2], 1),
        "lost": 0, "split": 0, "duplicated": 0, "stale": len(stale),
    }
    print(f"\nFAILOVER {report}")
