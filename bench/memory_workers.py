"""Measurement side of ``bench/memory_bench.py``: one store family per process, JSON out.

``python bench/memory_workers.py chatmemory|embedded|peers OUT.json`` — the orchestrator sets
the environment (``DATABASE_URL`` / ``REDIS_URL`` for the chatmemory process, a temporary
``CHATMEMORY_VAR_DIR`` for the embedded one) and collects the files. A *turn* is what a chat
request does with its memory: append a human + AI pair (~300 characters each), then read the
context window of the last 20 messages. Times are wall-clock nanoseconds per turn.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sessions_app.conversations.sessions import session_create

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEXT = ("Benchmark message with realistic prose about the weather, the invoice, the meeting notes "
        "and a follow-up question about the next steps. ") * 2  # ~300 characters (ours and peers)
WINDOW = 20
QUICK = os.environ.get("BENCH_QUICK") == "1"  # a smoke run: small sessions, few turns
LENGTHS = [10, 1_000] if QUICK else [10, 1_000, 10_000, 100_000]
FULL_READ_LENGTHS = [1_000, 10_000]
WRITERS, WRITER_TURNS = 8, 25
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/chatmemory_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")


def turns_for(length: int, *, full_read_store: bool = False) -> int:
    """Turns measured at a length; stores that read the whole session each turn are capped."""
    if not full_read_store:
        return 20 if QUICK else 300
    return 5 if QUICK else {10: 200, 1_000: 60, 10_000: 12, 100_000: 3}[length]


def pair(i: int) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage

    return [HumanMessage(content=f"q{i} {TEXT}"), AIMessage(content=f"a{i} {TEXT}")]


def seed_records(n: int) -> list[dict[str, Any]]:
    from langchain_core.messages import message_to_dict

    out = []
    for i in range(n // 2 + 1):
        out.extend(message_to_dict(m) for m in pair(-1 - i))
    return out[:n]


def summarize(samples_ns: list[int]) -> dict[str, Any]:
    ms = sorted(s / 1e6 for s in samples_ns)
    p99 = ms[min(len(ms) - 1, max(0, round(0.99 * len(ms)) - 1))]
    return {"n": len(ms), "median_ms": statistics.median(ms), "p99_ms": p99}


def measure(turn: Callable[[int], Any], count: int, before: Callable[[], Any] | None = None) -> dict[str, Any]:
    turn(-1)  # warm-up (connections, prepared caches)
    samples = []
    for i in range(count):
        if before is not None:
            before()
        t0 = time.perf_counter_ns()
        turn(i)
        samples.append(time.perf_counter_ns() - t0)
    return summarize(samples)


def split_pairs(contents: list[str], writers: int = WRITERS, turns: int = WRITER_TURNS) -> dict[str, int]:
    """Pairs whose answer is not the very next message, lost and duplicated messages."""
    expected = {f"{k}{w}-{t}" for w in range(writers) for t in range(turns) for k in ("q", "a")}
    tags = [c.split(" ", 1)[0] for c in contents]
    position = {tag: i for i, tag in enumerate(tags)}
    split = sum(1 for w in range(writers) for t in range(turns)
                if f"q{w}-{t}" in position and position.get(f"a{w}-{t}") != position[f"q{w}-{t}"] + 1)
    return {"pairs": writers * turns, "split": split, "lost": len(expected - set(tags)),
            "duplicated": len(tags) - len(set(tags))}


def concurrent_writers(make_writer: Callable[[], Callable[[list[Any]], None]], close: Callable[[], None] | None = None
                       ) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def run(w: int) -> None:
        try:
            write = make_writer()
            barrier.wait(timeout=60)
            for t in range(WRITER_TURNS):
                write([HumanMessage(content=f"q{w}-{t} {TEXT}"), AIMessage(content=f"a{w}-{t} {TEXT}")])
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            if close is not None:
                close()

    threads = [threading.Thread(target=run, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    if errors:
        raise errors[0]


# -- chatmemory (Django) --------------------------------------------------------------------------
def chatmemory(embedded: bool) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatmemory.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from sessions_app import cache
    from sessions_app.conversations.history import DjangoChatMessageHistory
    from sessions_app.models import ChatMessage, ChatSession

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench")
    results: dict[str, Any] = {"turn": {}, "full_read": {}, "concurrency": {}}

    def seeded(n: int) -> ChatSession:
        session = session_create(owner=user, title=f"bench {n}")
        records = seed_records(n)
        now = timezone.now()
        rows = [(session.pk, i + 1, r["type"], json.dumps(r), r["data"]["content"], now) for i, r in enumerate(records)]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor, cursor.cursor.copy(
                "COPY sessions_app_chatmessage (session_id, seq, type, message, content_text, created_at) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            with connection.cursor() as cursor:  # fresh statistics, as for every store seeded here
                cursor.execute("ANALYZE sessions_app_chatmessage")
                cursor.execute("CHECKPOINT")  # the bulk load's dirty pages are flushed before timing
        else:
            ChatMessage.objects.bulk_create(
                [ChatMessage(session_id=s, seq=q, type=t, message=json.loads(m), content_text=c, created_at=d)
                 for s, q, t, m, c, d in rows], batch_size=5000)
        ChatSession.objects.filter(pk=session.pk).update(last_seq=n, message_count=n)
        session.refresh_from_db()
        return session

    if not embedded:
        import psycopg
        from langchain_core.messages import message_to_dict, messages_from_dict

        from sessions_app.conversations.messages import append_statement

        raw_pg = psycopg.connect(PG_URL.replace("postgres://", "postgresql://"), autocommit=True)
        store = cache._store()  # the Redis store: its registered Lua scripts and key names

    def design_floor_turn(session: ChatSession, length: int) -> Callable[[int], None]:
        """chatmemory's round trips with nothing around them: the prepared append statement on a
        raw psycopg connection, the cache's Lua append and Lua read on redis-py, then
        ``messages_from_dict`` — no Django, no history class, no error handling."""
        keys = store._keys(session.pk)

        def turn(i: int) -> None:
            records = [message_to_dict(m) for m in pair(i)]
            raw = [json.dumps(r) for r in records]
            now = timezone.now()
            params: list[Any] = [2, 2, now, session.pk, "active", session.pk, 2, now]
            for k, r in enumerate(records):
                params += [k + 1, r["type"], raw[k], r["data"]["content"]]
            seqs = sorted(row[0] for row in raw_pg.execute(append_statement(2), params, prepare=True).fetchall())
            args: list[Any] = [cache.session_ttl(None), cache.window_cap(), seqs[-1]]
            for seq, record in zip(seqs, raw, strict=True):
                args += [seq, f"{seq}:{record}"]
            store._append(keys=keys[:2], args=args)
            reply = store._read(keys=keys, args=[WINDOW, 1])
            assert len(messages_from_dict(json.loads(reply[4]))) >= min(WINDOW, length)

        return turn

    # Full reads first, each on a session of exactly that many messages (as the peers' are).
    if not embedded:
        for length in (n for n in FULL_READ_LENGTHS if n in LENGTHS):
            history = DjangoChatMessageHistory(seeded(length).pk, cache=False)
            results["full_read"][str(length)] = measure(lambda i, h=history: h.messages, 20)
    # Turns. "warm" and "no_cache" build the history once and reuse it, as the peers' rows do;
    # "warm_request" and "cold" build it every turn, as a request does (the ownership gate: from
    # the cache when warm, from the database when cold).
    variants = ["embedded"] if embedded else ["warm", "warm_one_call", "warm_request", "cold", "no_cache"]
    for length in LENGTHS:
        session = seeded(length)
        for variant in variants:
            per_request = variant in ("warm_request", "cold")
            reused = DjangoChatMessageHistory(session.pk, user=user, cache=variant != "no_cache")

            def turn(i: int, session: ChatSession = session, per_request: bool = per_request,
                     reused: DjangoChatMessageHistory = reused, length: int = length, variant: str = variant) -> None:
                history = DjangoChatMessageHistory(session.pk, user=user) if per_request else reused
                if variant == "warm_one_call":  # the append + read API: one Redis operation for both
                    window = history.add_messages_and_get_recent(pair(i), WINDOW)
                else:
                    history.add_messages(pair(i))
                    window = history.get_recent_messages(WINDOW)
                assert len(window) >= min(WINDOW, length)

            before = (lambda s=session: cache.evict(s.pk)) if variant == "cold" else None
            results["turn"][f"{variant}/{length}"] = measure(turn, turns_for(length), before)
        if not embedded:
            results["turn"][f"design_floor/{length}"] = measure(design_floor_turn(session, length), turns_for(length))
    if not embedded:
        raw_pg.close()
    # Concurrency: 8 writers on one session, each its own connection.
    session = session_create(owner=user, title="writers")

    def make_writer() -> Callable[[list[Any]], None]:
        history = DjangoChatMessageHistory(session.pk)
        return history.add_messages

    concurrent_writers(make_writer, close=lambda: connection.close())
    contents = list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("content_text", flat=True))
    results["concurrency"]["embedded" if embedded else "chatmemory"] = split_pairs(contents)
    return results


# -- LangChain's stores and the floors (no Django) -------------------------------------------------
def peers() -> dict[str, Any]:
    import psycopg
    import redis
    from langchain_community.chat_message_histories import RedisChatMessageHistory, SQLChatMessageHistory
    from langchain_core.messages import message_to_dict
    from langchain_postgres import PostgresChatMessageHistory

    results: dict[str, Any] = {"turn": {}, "full_read": {}, "concurrency": {}}
    dsn = PG_URL.replace("postgres://", "postgresql://")
    opened: list[Any] = []

    def connect() -> Any:
        """A psycopg connection as langchain-postgres' docs make one (not autocommit)."""
        conn = psycopg.connect(dsn)
        opened.append(conn)
        return conn

    pg = psycopg.connect(dsn, autocommit=True)
    rds = redis.Redis.from_url(REDIS_URL)
    pg.execute("DROP TABLE IF EXISTS bench_floor, bench_lc_pg, message_store")
    pg.execute("CREATE TABLE bench_floor (session_id uuid, seq bigint, message jsonb, PRIMARY KEY (session_id, seq))")
    PostgresChatMessageHistory.create_tables(pg, "bench_lc_pg")
    sql_url = dsn.replace("postgresql://", "postgresql+psycopg://")
    SQLChatMessageHistory(session_id="init", connection=sql_url)  # creates message_store
    rds.flushdb()

    def copy_rows(sql: str, rows: list[tuple[Any, ...]]) -> None:
        with pg.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        # Fresh planner statistics after a bulk load (autovacuum may not have run yet): without
        # them the floor's last-20 SELECT was planned badly and grew with the table.
        pg.execute(f"ANALYZE {sql.split()[1]}")
        pg.execute("CHECKPOINT")  # the bulk load's dirty pages are flushed before timing (as for ours)

    for length in LENGTHS:
        records = seed_records(length)
        raw = [json.dumps(r) for r in records]
        sid = str(uuid.uuid4())
        # floor: raw psycopg, 2-row INSERT + last-20 SELECT by the primary key index
        copy_rows("COPY bench_floor (session_id, seq, message) FROM STDIN",
                  [(sid, i + 1, m) for i, m in enumerate(raw)])
        seq = [length]

        def floor_pg(i: int, sid: str = sid, seq: list[int] = seq) -> None:
            h, a = (json.dumps(message_to_dict(m)) for m in pair(i))
            pg.execute("INSERT INTO bench_floor (session_id, seq, message) VALUES (%s, %s, %s), (%s, %s, %s)",
                       [sid, seq[0] + 1, h, sid, seq[0] + 2, a])
            seq[0] += 2
            rows = pg.execute("SELECT message FROM bench_floor WHERE session_id = %s ORDER BY seq DESC LIMIT 20",
                              [sid]).fetchall()
            assert len(rows) == min(WINDOW, seq[0])

        results["turn"][f"floor_pg/{length}"] = measure(floor_pg, turns_for(length))
        # floor: raw Redis RPUSH + LRANGE pipeline
        key = f"floor:{sid}"
        for start in range(0, length, 10_000):
            rds.rpush(key, *raw[start:start + 10_000])

        def floor_redis(i: int, key: str = key) -> None:
            h, a = (json.dumps(message_to_dict(m)) for m in pair(i))
            pipe = rds.pipeline(transaction=False)
            pipe.rpush(key, h, a)
            pipe.lrange(key, -WINDOW, -1)
            pipe.execute()

        results["turn"][f"floor_redis/{length}"] = measure(floor_redis, turns_for(length))
        # langchain-postgres PostgresChatMessageHistory, as its docs show
        copy_rows("COPY bench_lc_pg (session_id, message) FROM STDIN", [(sid, m) for m in raw])
        lc_pg = PostgresChatMessageHistory("bench_lc_pg", sid, sync_connection=connect())

        def lc_pg_turn(i: int, h: Any = lc_pg, length: int = length) -> None:
            h.add_messages(pair(i))
            assert len(h.messages[-WINDOW:]) >= min(WINDOW, length)

        if length in FULL_READ_LENGTHS:  # before the turns add to it: exactly `length` messages
            results["full_read"][str(length)] = measure(lambda i, h=lc_pg: h.messages, 20)
        results["turn"][f"lc_postgres/{length}"] = measure(lc_pg_turn, turns_for(length, full_read_store=True))
        # langchain-community RedisChatMessageHistory
        lc_redis = RedisChatMessageHistory(sid, url=REDIS_URL)
        for start in range(0, length, 10_000):
            rds.lpush(lc_redis.key, *raw[start:start + 10_000])

        def lc_redis_turn(i: int, h: Any = lc_redis, length: int = length) -> None:
            h.add_messages(pair(i))
            assert len(h.messages[-WINDOW:]) >= min(WINDOW, length)

        results["turn"][f"lc_redis/{length}"] = measure(lc_redis_turn, turns_for(length, full_read_store=True))
        # langchain-community SQLChatMessageHistory (SQLAlchemy) on the same PostgreSQL
        copy_rows("COPY message_store (session_id, message) FROM STDIN", [(sid, m) for m in raw])
        lc_sql = SQLChatMessageHistory(session_id=sid, connection=sql_url)

        def lc_sql_turn(i: int, h: Any = lc_sql, length: int = length) -> None:
            h.add_messages(pair(i))
            assert len(h.messages[-WINDOW:]) >= min(WINDOW, length)

        results["turn"][f"lc_sql/{length}"] = measure(lc_sql_turn, turns_for(length, full_read_store=True))

    # Concurrency: 8 writers on one session per store, each with its own connection/client.
    sid = str(uuid.uuid4())
    concurrent_writers(lambda: PostgresChatMessageHistory("bench_lc_pg", sid, sync_connection=connect())
                       .add_messages)
    results["concurrency"]["lc_postgres"] = split_pairs(
        [m.content for m in PostgresChatMessageHistory("bench_lc_pg", sid, sync_connection=pg).messages])
    sid = str(uuid.uuid4())
    concurrent_writers(lambda: RedisChatMessageHistory(sid, url=REDIS_URL).add_messages)
    results["concurrency"]["lc_redis"] = split_pairs(
        [m.content for m in RedisChatMessageHistory(sid, url=REDIS_URL).messages])
    sid = str(uuid.uuid4())
    concurrent_writers(lambda: SQLChatMessageHistory(session_id=sid, connection=sql_url).add_messages)
    results["concurrency"]["lc_sql"] = split_pairs(
        [m.content for m in SQLChatMessageHistory(session_id=sid, connection=sql_url).messages])
    for conn in opened:
        conn.close()
    pg.execute("DROP TABLE IF EXISTS bench_floor, bench_lc_pg, message_store")
    rds.flushdb()
    return results


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "peers":
        data = peers()
    else:
        data = chatmemory(embedded=kind == "embedded")
    Path(out).write_text(json.dumps(data, indent=1))
