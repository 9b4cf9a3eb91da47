"""Measurement side of ``bench/memory_bench.py``: one store family per process, JSON out.

``python bench/memory_workers.py chatmemory|embedded|peers|check OUT.json`` — the orchestrator
sets the environment (``DATABASE_URL`` / ``REDIS_URL`` for the chatmemory process, a temporary
``CHATMEMORY_VAR_DIR`` for the embedded one) and collects the files. A *turn* is what a chat
request does with its memory: append a human + AI pair (~300 characters each), then read the
context window of the last 20 messages. Times are wall-clock nanoseconds per turn.

A turn "at N messages" starts from a session of exactly N messages, for every store: before each
turn (untimed) the pair the previous turn appended is deleted again (``reset``). Without it a
store that reads the whole session each turn measured a growing session: at "10 messages" its
200 turns read 10 … 410 messages, ~210 on average. ``check`` is the independent cross-check of
that: its own process and table, langchain-postgres exactly as its README shows, a new session of
N messages for every turn (nothing deleted), next to the same turn in plain psycopg.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEXT = ("Benchmark message with realistic prose about the weather, the invoice, the meeting notes "
        "and a follow-up question about the next steps. ") * 2  # ~300 characters (ours and peers)
WINDOW = 20
QUICK = os.environ.get("BENCH_QUICK") == "1"  # a smoke run: small sessions, few turns
SMALL_LENGTHS = [10, 100, 1_000]  # the small-conversation comparison (and ``--small``)
LENGTHS = ([int(n) for n in os.environ["BENCH_LENGTHS"].split(",")] if os.environ.get("BENCH_LENGTHS")
           else SMALL_LENGTHS if QUICK else [*SMALL_LENGTHS, 10_000, 100_000])
SMALL_ONLY = os.environ.get("BENCH_SMALL_ONLY") == "1"  # ``--small``: the interleaved comparison and the check only
INTERLEAVED_ROUNDS = 10 if QUICK else 150
FULL_READ_LENGTHS = [1_000, 10_000]
CHECK_TURNS = 10 if QUICK else 100
WRITERS, WRITER_TURNS = 8, 25
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/chatmemory_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")


def turns_for(length: int, *, full_read_store: bool = False) -> int:
    """Turns measured at a length; stores that read the whole session each turn are capped."""
    if not full_read_store:
        return 20 if QUICK else 300
    return 5 if QUICK else {10: 200, 100: 200, 1_000: 60, 10_000: 12, 100_000: 3}[length]


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
    """Median / p99 of ``count`` turns; ``before`` runs untimed before each (the reset to N messages)."""
    if before is not None:
        before()
    turn(-1)  # warm-up (connections, prepared caches)
    samples = []
    for i in range(count):
        if before is not None:
            before()
        t0 = time.perf_counter_ns()
        turn(i)
        samples.append(time.perf_counter_ns() - t0)
    return summarize(samples)


Turn = Callable[[int], Any]
Store = tuple[Turn, Callable[[], Any]]  # a turn and its untimed reset to N messages


def measure_interleaved(stores: dict[str, Store], rounds: int) -> dict[str, dict[str, Any]]:
    """The stores' turns taken in turn, round after round (the order rotated each round), each after
    its untimed reset: on a shared machine every store meets the same load, so their ratios hold."""
    for turn, before in stores.values():  # warm-up (connections, prepared caches)
        before()
        turn(-1)
    names = list(stores)
    samples: dict[str, list[int]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            turn, before = stores[name]
            before()
            t0 = time.perf_counter_ns()
            turn(r)
            samples[name].append(time.perf_counter_ns() - t0)
    return {name: summarize(s) for name, s in samples.items()}


def pg_copy(pg: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Bulk-load ``rows`` (``COPY table (…) FROM STDIN``) on an autocommit connection."""
    with pg.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
    # Fresh planner statistics after a bulk load (autovacuum may not have run yet): without
    # them the floor's last-20 SELECT was planned badly and grew with the table.
    pg.execute(f"ANALYZE {sql.split()[1]}")
    pg.execute("CHECKPOINT")  # the bulk load's dirty pages are flushed before timing (as for ours)


def floor_pg_store(pg: Any, table: str, length: int) -> Store:
    """The floor: plain psycopg (autocommit), 2-row INSERT + the last 20 by the primary key index,
    on a new session of ``length`` messages in ``table`` (session_id, seq, message)."""
    from langchain_core.messages import message_to_dict

    sid = str(uuid.uuid4())
    pg_copy(pg, f"COPY {table} (session_id, seq, message) FROM STDIN",
            [(sid, i + 1, json.dumps(r)) for i, r in enumerate(seed_records(length))])
    insert = f"INSERT INTO {table} (session_id, seq, message) VALUES (%s, %s, %s), (%s, %s, %s)"
    select = f"SELECT message FROM {table} WHERE session_id = %s ORDER BY seq DESC LIMIT 20"

    def turn(i: int) -> None:
        h, a = (json.dumps(message_to_dict(m)) for m in pair(i))
        pg.execute(insert, [sid, length + 1, h, sid, length + 2, a])
        assert len(pg.execute(select, [sid]).fetchall()) == min(WINDOW, length + 2)

    return turn, lambda: pg.execute(f"DELETE FROM {table} WHERE session_id = %s AND seq > %s", [sid, length])


def lc_pg_store(pg: Any, sync_connection: Any, table: str, length: int) -> tuple[Store, Any]:
    """langchain-postgres as its README shows (``PostgresChatMessageHistory(table, session_id,
    sync_connection=conn)`` on one connection made once, the table made once by ``create_tables``)
    on a new session of ``length`` messages; its read is ``messages[-20:]`` (it has no window read).
    The reset deletes what the turn added, on ``pg`` (autocommit)."""
    from langchain_postgres import PostgresChatMessageHistory

    sid = str(uuid.uuid4())
    pg_copy(pg, f"COPY {table} (session_id, message) FROM STDIN", [(sid, json.dumps(r)) for r in seed_records(length)])
    seeded_id = pg.execute(f"SELECT max(id) FROM {table} WHERE session_id = %s", [sid]).fetchone()[0]
    history = PostgresChatMessageHistory(table, sid, sync_connection=sync_connection)

    def turn(i: int) -> None:
        history.add_messages(pair(i))
        assert len(history.messages[-WINDOW:]) == min(WINDOW, length + 2)

    def reset() -> None:
        pg.execute(f"DELETE FROM {table} WHERE session_id = %s AND id > %s", [sid, seeded_id])

    return (turn, reset), history


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
    from sessions_app.conversations.sessions import session_create
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

        from sessions_app.cache.registry import current_store
        from sessions_app.conversations.messages import append_statement

        raw_pg = psycopg.connect(PG_URL.replace("postgres://", "postgresql://"), autocommit=True)
        store: Any = current_store()  # the Redis store: its registered Lua scripts and key names

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
            store._append(keys=keys, args=args)
            reply = store._read(keys=keys, args=[WINDOW, 1])
            assert len(messages_from_dict(json.loads(reply[4]))) >= min(WINDOW, length)

        return turn

    def reset(session: ChatSession, length: int, refill: DjangoChatMessageHistory | None) -> None:
        """Untimed, before each turn: the session back to exactly ``length`` messages (the pair the
        last turn appended deleted, ``last_seq`` put back with it, as seeded), its cache entry
        evicted and, for the warm rows, filled again by one window read."""
        ChatMessage.objects.filter(session_id=session.pk, seq__gt=length).delete()
        ChatSession.objects.filter(pk=session.pk).update(last_seq=length, message_count=length)
        cache.evict(session.pk)
        if refill is not None:
            assert len(refill.get_recent_messages(WINDOW)) == min(WINDOW, length)

    # Full reads first, each on a session of exactly that many messages (as the peers' are).
    if not embedded and not SMALL_ONLY:
        for length in (n for n in FULL_READ_LENGTHS if n in LENGTHS):
            history = DjangoChatMessageHistory(seeded(length).pk, cache=False)
            results["full_read"][str(length)] = measure(lambda i, h=history: h.messages, 20)

    def variant_store(session: ChatSession, length: int, variant: str) -> Store:
        """One way of using the history for a turn, and its reset. "warm", "warm_one_call" and "no_cache"
        build the history once and reuse it, as the peers' rows do; "warm_request" and "cold" build it
        every turn, as a request does (the ownership gate: from the cache when warm, from the database
        when cold)."""
        per_request = variant in ("warm_request", "cold")
        reused = DjangoChatMessageHistory(session.pk, user=user, cache=variant != "no_cache")
        warm = variant not in ("cold", "no_cache")

        def turn(i: int) -> None:
            history = DjangoChatMessageHistory(session.pk, user=user) if per_request else reused
            if variant == "warm_one_call":  # the append + read API: one Redis operation for both
                window = history.add_messages_and_get_recent(pair(i), WINDOW)
            else:
                history.add_messages(pair(i))
                window = history.get_recent_messages(WINDOW)
            assert len(window) == min(WINDOW, length + 2)

        return turn, lambda: reset(session, length, reused if warm else None)

    def design_floor_store(session: ChatSession, length: int) -> Store:
        refill = DjangoChatMessageHistory(session.pk)
        return design_floor_turn(session, length), lambda: reset(session, length, refill)

    # Turns, each store in its own loop (the big table).
    variants = ["embedded"] if embedded else ["warm", "warm_one_call", "warm_request", "cold", "no_cache"]
    for length in [] if SMALL_ONLY else LENGTHS:
        session = seeded(length)
        for variant in variants:
            turn, before = variant_store(session, length, variant)
            results["turn"][f"{variant}/{length}"] = measure(turn, turns_for(length), before)
        if not embedded:
            turn, before = design_floor_store(session, length)
            results["turn"][f"design_floor/{length}"] = measure(turn, turns_for(length), before)
    # The small-conversation comparison: chatmemory, langchain-postgres and the floor interleaved turn
    # by turn in this one process, so that all of them meet the same load (``measure_interleaved``).
    if not embedded:
        from langchain_postgres import PostgresChatMessageHistory

        dsn = PG_URL.replace("postgres://", "postgresql://")
        sync_connection = psycopg.connect(dsn)  # langchain-postgres' README: one connection, not autocommit
        raw_pg.execute("DROP TABLE IF EXISTS bench_i_floor, bench_i_lc_pg")
        raw_pg.execute("CREATE TABLE bench_i_floor "
                       "(session_id uuid, seq bigint, message jsonb, PRIMARY KEY (session_id, seq))")
        PostgresChatMessageHistory.create_tables(sync_connection, "bench_i_lc_pg")
        results["interleaved"] = {}
        for length in (n for n in SMALL_LENGTHS if n in LENGTHS):
            session = seeded(length)
            stores: dict[str, Store] = {
                "floor_pg": floor_pg_store(raw_pg, "bench_i_floor", length),
                "lc_postgres": lc_pg_store(raw_pg, sync_connection, "bench_i_lc_pg", length)[0],
                "design_floor": design_floor_store(session, length),
                **{v: variant_store(session, length, v) for v in ("warm", "warm_one_call", "warm_request", "cold")},
            }
            for name, row in measure_interleaved(stores, INTERLEAVED_ROUNDS).items():
                results["interleaved"][f"{name}/{length}"] = row
        sync_connection.close()  # first: the history leaves it idle in a transaction
        raw_pg.execute("DROP TABLE IF EXISTS bench_i_floor, bench_i_lc_pg")
    if not embedded:
        raw_pg.close()
    if SMALL_ONLY:
        return results
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

    def done(results: dict[str, Any]) -> dict[str, Any]:
        for conn in opened:  # first: langchain-postgres leaves its connection idle in a transaction
            conn.close()
        pg.execute("DROP TABLE IF EXISTS bench_floor, bench_lc_pg, message_store")
        rds.flushdb()
        return results

    for length in LENGTHS:
        raw = [json.dumps(r) for r in seed_records(length)]
        sid = str(uuid.uuid4())
        floor_turn, floor_reset = floor_pg_store(pg, "bench_floor", length)
        results["turn"][f"floor_pg/{length}"] = measure(floor_turn, turns_for(length), floor_reset)
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

        results["turn"][f"floor_redis/{length}"] = measure(
            floor_redis, turns_for(length), lambda key=key, n=length: rds.ltrim(key, 0, n - 1))
        # langchain-postgres PostgresChatMessageHistory, as its docs show
        (lc_pg_turn, lc_pg_reset), lc_pg = lc_pg_store(pg, connect(), "bench_lc_pg", length)
        if length in FULL_READ_LENGTHS and not SMALL_ONLY:  # before any turn: exactly `length` messages
            results["full_read"][str(length)] = measure(lambda i, h=lc_pg: h.messages, 20)
        results["turn"][f"lc_postgres/{length}"] = measure(lc_pg_turn, turns_for(length, full_read_store=True),
                                                          lc_pg_reset)
        # langchain-community RedisChatMessageHistory
        lc_redis = RedisChatMessageHistory(sid, url=REDIS_URL)
        for start in range(0, length, 10_000):
            rds.lpush(lc_redis.key, *raw[start:start + 10_000])

        def lc_redis_turn(i: int, h: Any = lc_redis, length: int = length) -> None:
            h.add_messages(pair(i))
            assert len(h.messages[-WINDOW:]) >= min(WINDOW, length)

        results["turn"][f"lc_redis/{length}"] = measure(  # LPUSH puts new messages first: keep the oldest N
            lc_redis_turn, turns_for(length, full_read_store=True),
            lambda key=lc_redis.key, n=length: rds.ltrim(key, -n, -1))
        # langchain-community SQLChatMessageHistory (SQLAlchemy) on the same PostgreSQL
        pg_copy(pg, "COPY message_store (session_id, message) FROM STDIN", [(sid, m) for m in raw])
        lc_sql = SQLChatMessageHistory(session_id=sid, connection=sql_url)
        seeded_id = pg.execute("SELECT max(id) FROM message_store WHERE session_id = %s", [sid]).fetchone()[0]

        def lc_sql_turn(i: int, h: Any = lc_sql, length: int = length) -> None:
            h.add_messages(pair(i))
            assert len(h.messages[-WINDOW:]) >= min(WINDOW, length)

        results["turn"][f"lc_sql/{length}"] = measure(
            lc_sql_turn, turns_for(length, full_read_store=True),
            lambda sid=sid, last=seeded_id: pg.execute("DELETE FROM message_store WHERE session_id = %s AND id > %s",
                                                       [sid, last]))

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
    return done(results)


# -- the independent cross-check (no Django, no reset) ---------------------------------------------
def check() -> dict[str, Any]:
    """langchain-postgres exactly as its README shows, and the same turn in plain psycopg.

    Its own process, tables and connections; every turn on a new session holding exactly N
    messages, all written through the store itself (``add_messages`` / an INSERT) before timing
    starts: nothing is deleted, so this does not depend on the other rows' reset. The two are interleaved turn by turn
    (as the small-conversation comparison is), so their ratio is the figure to hold against it.
    """
    import psycopg
    from langchain_core.messages import message_to_dict
    from langchain_postgres import PostgresChatMessageHistory

    dsn = PG_URL.replace("postgres://", "postgresql://")
    sync_connection = psycopg.connect(dsn)  # the README's connection (not autocommit), made once
    table_name = "bench_check_chat_history"
    PostgresChatMessageHistory.create_tables(sync_connection, table_name)  # "only needs to be done once"
    plain = psycopg.connect(dsn, autocommit=True)
    plain.execute("CREATE TABLE IF NOT EXISTS bench_check_floor "
                  "(session_id uuid, seq bigint, message jsonb, PRIMARY KEY (session_id, seq))")
    insert = "INSERT INTO bench_check_floor (session_id, seq, message) VALUES (%s, %s, %s)"
    results: dict[str, Any] = {"turn": {}}
    for length in (n for n in SMALL_LENGTHS if n in LENGTHS):
        seed = [m for i in range(length // 2 + 1) for m in pair(-1 - i)][:length]
        rows = [json.dumps(message_to_dict(m)) for m in seed]
        # Every session is written before any turn is timed (a session written just before a timed
        # turn would leave that turn waiting on its WAL); each turn then takes the next one.
        histories = []
        sessions = []
        for _ in range(CHECK_TURNS + 1):
            history = PostgresChatMessageHistory(table_name, str(uuid.uuid4()), sync_connection=sync_connection)
            history.add_messages(seed)
            histories.append(history)
            sid = str(uuid.uuid4())
            with plain.transaction(), plain.cursor() as cur:
                cur.executemany(insert, [(sid, k + 1, m) for k, m in enumerate(rows)])
            sessions.append(sid)
        plain.execute(f"ANALYZE {table_name}")  # as autovacuum would have by now on a live system
        plain.execute("ANALYZE bench_check_floor")
        plain.execute("CHECKPOINT")
        current: dict[str, Any] = {}

        def new_history(histories: list[Any] = histories, current: dict[str, Any] = current) -> None:
            current["history"] = histories.pop()

        def lc_pg_turn(i: int, current: dict[str, Any] = current, length: int = length) -> None:
            current["history"].add_messages(pair(i))
            assert len(current["history"].messages[-WINDOW:]) == min(WINDOW, length + 2)

        def new_session(sessions: list[str] = sessions, current: dict[str, Any] = current) -> None:
            current["sid"] = sessions.pop()

        def floor_turn(i: int, current: dict[str, Any] = current, length: int = length) -> None:
            sid = current["sid"]
            h, a = (json.dumps(message_to_dict(m)) for m in pair(i))
            plain.execute("INSERT INTO bench_check_floor (session_id, seq, message) VALUES (%s, %s, %s), (%s, %s, %s)",
                          [sid, length + 1, h, sid, length + 2, a])
            got = plain.execute("SELECT message FROM bench_check_floor WHERE session_id = %s ORDER BY seq DESC "
                                "LIMIT 20", [sid]).fetchall()
            assert len(got) == min(WINDOW, length + 2)

        measured = measure_interleaved({"lc_postgres": (lc_pg_turn, new_history),
                                        "floor_pg": (floor_turn, new_session)}, CHECK_TURNS)
        for name, row in measured.items():
            results["turn"][f"check_{name}/{length}"] = row
    sync_connection.close()  # first: the history leaves it idle in a transaction
    plain.execute(f"DROP TABLE IF EXISTS {table_name}, bench_check_floor")
    plain.close()
    return results


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "peers":
        data = peers()
    elif kind == "check":
        data = check()
    else:
        data = chatmemory(embedded=kind == "embedded")
    Path(out).write_text(json.dumps(data, indent=1))
