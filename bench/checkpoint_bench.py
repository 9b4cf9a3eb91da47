"""Checkpoint saver benchmark: DjangoSaver vs LangGraph's savers vs langgraph-checkpoint-django.

Usage: ``python bench/checkpoint_bench.py [--out docs/benchmarks-checkpoints.md] [--quick]``
(``make bench-checkpoints``). Each saver runs in its own subprocess (Django is configured once per
process), all in one run, on this machine's PostgreSQL (``BENCH_PG``, default
``postgres://postgres@127.0.0.1:5432``; databases ``chatmemory_bench_*`` are dropped and
re-created) and on SQLite files in a temporary directory.

Measured per saver (milliseconds, median of N calls, one thread):
* ``put`` — a new checkpoint whose ``messages`` channel (20 or 200 messages of ~300 characters)
  has a new version, as after a graph step; ``put_writes`` — one task's two writes;
  ``get_tuple`` — the latest checkpoint; ``list(limit=10)``.
* ``get_tuple``/``list(limit=10)`` at step 10 and at step 10,000 of a thread (small state).
* invokes per second of a two-node ``MessagesState`` graph, 200 invokes on one thread, and the
  bytes stored per checkpoint after that run (sum of the stored columns' lengths / checkpoints).

``langgraph-checkpoint-django`` 0.1.1 does not run on our LangGraph (it calls
``JsonPlusSerializer.dumps``, removed in langgraph-checkpoint 3) and its wheel ships
``langgraph/__init__.py`` files, so it runs in its own virtualenv (``var/bench-lgcd-venv``, pins in
``bench/requirements-lgcd.txt``, created on first run) with the LangGraph it supports; its row is
therefore measured on langgraph 1.1 / langgraph-checkpoint 2.1, everything else on our pins.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
LGCD_VENV = ROOT / "var" / "bench-lgcd-venv"
LGCD_REQUIREMENTS = ROOT / "bench" / "requirements-lgcd.txt"
TEXT = ("Checkpoint benchmark message with some realistic prose about the weather, the invoice, "
        "the meeting notes and a follow-up question. ") * 3  # ~300 characters

TARGETS = {
    # name: (label, kind)
    "django_pg": "DjangoSaver (PostgreSQL)",
    "django_pg_async": "DjangoSaver async API (PostgreSQL)",
    "django_sqlite": "DjangoSaver (SQLite)",
    "postgres": "PostgresSaver",
    "postgres_async": "AsyncPostgresSaver",
    "sqlite": "SqliteSaver",
    "lgcd": "langgraph-checkpoint-django 0.1.1 (PostgreSQL, own venv)",
}
DEPTH_TARGETS = {"django_pg", "django_sqlite", "postgres"}


# ----------------------------------------------------------------------------------------------
# worker side
# ----------------------------------------------------------------------------------------------

def _messages(n: int) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage

    return [(HumanMessage if i % 2 == 0 else AIMessage)(f"{i}: {TEXT}", id=str(uuid.uuid4())) for i in range(n)]


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


class Runner:
    """Sync facade over a saver (async savers are driven through one event loop)."""

    def __init__(self, saver: Any, *, is_async: bool) -> None:
        self.saver = saver
        self.is_async = is_async
        self.loop = asyncio.new_event_loop() if is_async else None

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.is_async:
            result = getattr(self.saver, name)(*args, **kwargs)
            return list(result) if name == "list" else result
        if name == "list":
            async def collect() -> list[Any]:
                return [t async for t in self.saver.alist(*args, **kwargs)]
            return self.loop.run_until_complete(collect())
        return self.loop.run_until_complete(getattr(self.saver, "a" + name)(*args, **kwargs))

    def timed(self, name: str, *args: Any, **kwargs: Any) -> tuple[float, Any]:
        start = time.perf_counter()
        result = self.call(name, *args, **kwargs)
        return time.perf_counter() - start, result


def _put_chain(
    runner: Runner, thread_id: str, steps: int, messages: list[Any], *, timed: bool = True
) -> tuple[list[float], dict]:
    from langgraph.checkpoint.base import empty_checkpoint

    saver = runner.saver
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    version = None
    samples: list[float] = []
    for step in range(steps):
        cp = empty_checkpoint()
        version = saver.get_next_version(version, None)
        cp["channel_values"] = {"messages": messages, "step_note": f"step {step}"}
        cp["channel_versions"] = {"messages": version, "step_note": version}
        elapsed, config = runner.timed(
            "put", config, cp, {"source": "loop", "step": step, "parents": {}},
            {"messages": version, "step_note": version},
        )
        samples.append(elapsed)
    return samples, config


def bench_ops(runner: Runner, n_messages: int, calls: int) -> dict[str, float]:
    from langchain_core.messages import AIMessage

    messages = _messages(n_messages)
    thread_id = f"ops-{n_messages}-{uuid.uuid4()}"
    put_samples, config = _put_chain(runner, thread_id, calls, messages)
    writes_samples = []
    for i in range(calls):
        elapsed, _ = runner.timed(
            "put_writes", config, [("messages", [AIMessage(TEXT)]), ("branch:to:review", None)], f"task-{i}"
        )
        writes_samples.append(elapsed)
    latest = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    get_samples = [runner.timed("get_tuple", latest)[0] for _ in range(calls)]
    assert len(runner.call("get_tuple", latest).checkpoint["channel_values"]["messages"]) == n_messages
    list_samples = [runner.timed("list", latest, limit=10)[0] for _ in range(calls)]
    return {
        "put": _median_ms(put_samples),
        "put_writes": _median_ms(writes_samples),
        "get_tuple": _median_ms(get_samples),
        "list10": _median_ms(list_samples),
    }


def bench_depth(runner: Runner, deep: int) -> dict[str, float]:
    small = _messages(2)
    result: dict[str, float] = {}
    for steps in (10, deep):
        thread_id = f"depth-{steps}-{uuid.uuid4()}"
        _put_chain(runner, thread_id, steps, small)
        latest = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        result[f"get_tuple@{steps}"] = _median_ms([runner.timed("get_tuple", latest)[0] for _ in range(200)])
        result[f"list10@{steps}"] = _median_ms([runner.timed("list", latest, limit=10)[0] for _ in range(200)])
    return result


def _two_node_graph(saver: Any) -> Any:
    """START → first → second → END over ``MessagesState``; each node appends one AI message."""
    from langchain_core.messages import AIMessage

    from tests.graphs import linear_graph  # LangGraph only: runs in the lgcd virtualenv too

    return linear_graph(saver, [
        ("first", lambda state: {"messages": [AIMessage(f"first: {TEXT}")]}),
        ("second", lambda state: {"messages": [AIMessage(f"second: {TEXT}")]}),
    ])


def bench_graph(
    saver: Any, *, is_async: bool, invokes: int, loop: asyncio.AbstractEventLoop | None = None,
) -> tuple[float, str]:
    """Invokes per second of ``_two_node_graph``, ``invokes`` turns on one new thread; async savers
    run on ``loop`` (the saver's own, for one bound to its loop) or a new one."""
    from langchain_core.messages import HumanMessage

    graph = _two_node_graph(saver)
    thread_id = f"graph-{uuid.uuid4()}"
    config = {"configurable": {"thread_id": thread_id}}
    start = time.perf_counter()
    if is_async:
        async def run() -> None:
            for i in range(invokes):
                await graph.ainvoke({"messages": [HumanMessage(f"{i}: {TEXT}")]}, config)
        (loop or asyncio.new_event_loop()).run_until_complete(run())
    else:
        for i in range(invokes):
            graph.invoke({"messages": [HumanMessage(f"{i}: {TEXT}")]}, config)
    elapsed = time.perf_counter() - start
    state = graph.get_state(config) if not is_async else None
    if state is not None:
        assert len(state.values["messages"]) == 3 * invokes
    return round(invokes / elapsed, 1), thread_id


def _sql_scalar(run_sql: Callable[[str, list[Any]], Any], query: str, params: list[Any]) -> int:
    return int(run_sql(query, params) or 0)


def stored_bytes(target: str, thread_id: str, handle: Any) -> float:
    """Bytes stored per checkpoint of ``thread_id``: lengths of every stored column / checkpoints."""
    if target.startswith("django_"):
        from django.db import connection

        def q(query: str, params: list[Any]) -> Any:
            with connection.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchone()[0]
        ln = "octet_length" if connection.vendor == "postgresql" else "length"
        cps = q("SELECT count(*) FROM sessions_app_checkpoint WHERE thread_id = %s", [thread_id])
        total = q(f"SELECT coalesce(sum({ln}(checkpoint) + {ln}(CAST(channel_versions AS TEXT)) + "
                  f"{ln}(CAST(metadata AS TEXT))), 0) FROM sessions_app_checkpoint WHERE thread_id = %s", [thread_id])
        total += q(f"SELECT coalesce(sum(coalesce({ln}(blob), 0)), 0) FROM sessions_app_checkpointblob "
                   "WHERE thread_id = %s", [thread_id])
        total += q(f"SELECT coalesce(sum({ln}(blob)), 0) FROM sessions_app_checkpointwrite WHERE thread_id = %s",
                   [thread_id])
        return round(total / cps)
    if target == "lgcd":
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("SELECT count(*), "
                        "coalesce(sum(octet_length(checkpoint) + octet_length(CAST(metadata AS TEXT))), 0) "
                        "FROM checkpoint WHERE thread_id = %s", [thread_id])
            cps, total = cur.fetchone()
            cur.execute("SELECT coalesce(sum(octet_length(w.value)), 0) FROM write w JOIN checkpoint c "
                        "ON c.composite_id = w.checkpoint_id WHERE c.thread_id = %s", [thread_id])
            total += cur.fetchone()[0]
        return round(total / cps)
    if target.startswith("postgres"):
        import psycopg

        with psycopg.connect(handle) as conn:
            cps = conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", [thread_id]).fetchone()[0]
            total = conn.execute(
                "SELECT coalesce(sum(octet_length(checkpoint::text) + octet_length(metadata::text)), 0) "
                "FROM checkpoints WHERE thread_id = %s", [thread_id]).fetchone()[0]
            total += conn.execute("SELECT coalesce(sum(coalesce(octet_length(blob), 0)), 0) FROM checkpoint_blobs "
                                  "WHERE thread_id = %s", [thread_id]).fetchone()[0]
            total += conn.execute("SELECT coalesce(sum(octet_length(blob)), 0) FROM checkpoint_writes "
                                  "WHERE thread_id = %s", [thread_id]).fetchone()[0]
        return round(total / cps)
    import sqlite3

    conn = sqlite3.connect(handle)
    cps, total = conn.execute("SELECT count(*), coalesce(sum(length(checkpoint) + length(metadata)), 0) "
                              "FROM checkpoints WHERE thread_id = ?", [thread_id]).fetchone()
    total += conn.execute("SELECT coalesce(sum(length(value)), 0) FROM writes WHERE thread_id = ?",
                          [thread_id]).fetchone()[0]
    conn.close()
    return round(total / cps)


def worker(target: str, handle: str, quick: bool) -> dict[str, Any]:
    calls = 20 if quick else 60
    invokes = 40 if quick else 200
    deep = 1000 if quick else 10_000
    is_async = target.endswith("_async")
    result: dict[str, Any] = {"target": target}
    cleanup: list[Callable[[], None]] = []
    if target.startswith("django_") or target == "lgcd":
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if target == "lgcd":
            from langgraph.checkpoint.django.saver import DjangoSaver as LGCDSaver

            saver = LGCDSaver()
        else:
            from sessions_app.checkpoint import DjangoSaver, close_db_thread

            saver = DjangoSaver()
            cleanup.append(close_db_thread)
    elif target.startswith("postgres"):
        if is_async:
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
            from psycopg import AsyncConnection
            from psycopg.rows import dict_row

            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)

            async def make() -> Any:
                conn = await AsyncConnection.connect(handle, autocommit=True, prepare_threshold=0, row_factory=dict_row)
                made = AsyncPostgresSaver(conn)  # binds to the running loop
                await made.setup()
                return made

            saver = loop.run_until_complete(make())
        else:
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg import Connection
            from psycopg.rows import dict_row

            conn = Connection.connect(handle, autocommit=True, prepare_threshold=0, row_factory=dict_row)
            saver = PostgresSaver(conn)
            saver.setup()
    else:
        import sqlite3

        from langgraph.checkpoint.sqlite import SqliteSaver

        saver = SqliteSaver(sqlite3.connect(handle, check_same_thread=False))
        saver.setup()

    runner = Runner(saver, is_async=is_async)
    if target == "postgres_async":
        runner.loop = asyncio.get_event_loop()
    for n in (20, 200):
        result[f"ops{n}"] = bench_ops(runner, n, calls)
    if target in DEPTH_TARGETS:
        result["depth"] = bench_depth(runner, deep)
    # AsyncPostgresSaver is bound to its loop: run the graph on it.
    loop = runner.loop if target == "postgres_async" else None
    rate, thread_id = bench_graph(saver, is_async=is_async, invokes=invokes, loop=loop)
    result["invokes_per_s"] = rate
    result["bytes_per_checkpoint"] = stored_bytes(target, thread_id, handle)
    for fn in cleanup:
        fn()
    return result


# ----------------------------------------------------------------------------------------------
# orchestrator side
# ----------------------------------------------------------------------------------------------

def _recreate_pg_database(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def _ensure_lgcd() -> str | None:
    """Create the separate virtualenv for langgraph-checkpoint-django (see module doc)."""
    python = LGCD_VENV / "bin" / "python"
    if python.exists():
        return None
    steps = [
        [sys.executable, "-m", "venv", str(LGCD_VENV)],
        [str(python), "-m", "pip", "install", "-q", "-r", str(LGCD_REQUIREMENTS)],
    ]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
        if proc.returncode != 0:
            return proc.stderr[-2000:]
    return None


def run_target(target: str, tmp: Path, quick: bool) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}}
    env.update(DEBUG="false", SECRET_KEY="bench-only-secret", DJANGO_SETTINGS_MODULE="chatmemory.settings",
               CONN_MAX_AGE="600", CHATMEMORY_VAR_DIR=str(tmp), PYTHONPATH=str(ROOT))
    if target in ("django_pg", "django_pg_async"):
        handle = env["DATABASE_URL"] = _recreate_pg_database(f"chatmemory_bench_{target}")
    elif target == "django_sqlite":
        handle = env["SQLITE_PATH"] = str(tmp / "django.sqlite3")
    elif target.startswith("postgres"):
        handle = _recreate_pg_database(f"chatmemory_bench_{target}")
    elif target == "lgcd":
        if err := _ensure_lgcd():
            return {"target": target, "error": f"could not create its virtualenv: {err}"}
        handle = env["DATABASE_URL"] = _recreate_pg_database("chatmemory_bench_lgcd")
        env["DJANGO_SETTINGS_MODULE"] = "bench.lgcd_settings"
    else:
        handle = str(tmp / "langgraph.sqlite3")
    python = str(LGCD_VENV / "bin" / "python") if target == "lgcd" else sys.executable
    cmd = [python, str(Path(__file__).resolve()), "--worker", target, "--handle", handle]
    if quick:
        cmd.append("--quick")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False)
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.strip().splitlines() if ln.strip()] or ["failed"]
        where = next((ln for ln in reversed(lines) if ln.startswith("File ")), "")
        return {"target": target, "error": f"{lines[-1]} (at {where})" if where else lines[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge rounds of one saver: the lowest milliseconds, the highest invokes/s (a shared machine
    only ever adds time, so the best round is the least disturbed one)."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    best: dict[str, Any] = json.loads(json.dumps(ok[0]))
    for run in ok[1:]:
        for key, value in run.items():
            if isinstance(value, dict):
                for k, v in value.items():
                    best[key][k] = min(best[key][k], v)
            elif key == "invokes_per_s":
                best[key] = max(best[key], value)
    best["rounds"] = len(ok)
    return best


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value}"


def render(results: list[dict[str, Any]], quick: bool, seconds: float) -> str:
    by = {r["target"]: r for r in results}
    ref = by.get("postgres", {})
    lines = [
        "# Checkpoint saver benchmarks",
        "",
        f"Generated by `make bench-checkpoints` (`bench/checkpoint_bench.py{' --quick' if quick else ''}`) "
        f"on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, one run, {seconds:.0f} s. "
        "Milliseconds are medians of single calls on one thread (lower is better), the best of the "
        "round-robin rounds; the machine is shared (2 cores, several engineers), so compare rows of the "
        "same run, not runs.",
        "",
    ]
    for n in (20, 200):
        lines += [f"## Operations, `messages` channel of {n} messages (~300 characters each), ms", "",
                  "| saver | put | put_writes | get_tuple | list(limit=10) |", "|---|---|---|---|---|"]
        for target, label in TARGETS.items():
            r = by.get(target, {})
            if "error" in r:
                lines.append(f"| {label} | error: {r['error']} | | | |")
                continue
            ops = r.get(f"ops{n}", {})
            cells = " | ".join(_fmt(ops.get(k)) for k in ("put", "put_writes", "get_tuple", "list10"))
            lines.append(f"| {label} | {cells} |")
        lines.append("")
    lines += ["## Graph: two-node `MessagesState` graph, 200 invokes on one thread", "",
              "| saver | invokes/s | bytes stored per checkpoint |", "|---|---|---|"]
    for target, label in TARGETS.items():
        r = by.get(target, {})
        if "error" not in r:
            lines.append(f"| {label} | {_fmt(r.get('invokes_per_s'))} | {_fmt(r.get('bytes_per_checkpoint'))} |")
    deep = 1000 if quick else 10_000
    lines += ["", f"## Cost by thread depth (small state), ms: step 10 vs step {deep:,}", "",
              f"| saver | get_tuple@10 | get_tuple@{deep} | list10@10 | list10@{deep} |", "|---|---|---|---|---|"]
    for target in DEPTH_TARGETS:
        r = by.get(target, {}).get("depth")
        if r:
            lines.append(f"| {TARGETS[target]} | {r['get_tuple@10']} | {r[f'get_tuple@{deep}']} | "
                         f"{r['list10@10']} | {r[f'list10@{deep}']} |")
    if ref and "django_pg" in by and "error" not in by["django_pg"]:
        dj = by["django_pg"]
        lines += ["", "## DjangoSaver (PostgreSQL) against the targets", "",
                  "| measure | DjangoSaver | PostgresSaver | ratio | target |", "|---|---|---|---|---|"]
        for n in (20, 200):
            for k in ("put", "put_writes", "get_tuple", "list10"):
                a, b = dj[f"ops{n}"][k], ref[f"ops{n}"][k]
                ratio = round(a / b, 2) if b else None
                ok = "met" if ratio is not None and ratio <= 1.25 else "NOT met"
                lines.append(f"| {k} ({n} msgs) | {a} | {b} | {ratio}× | ≤ 1.25× ({ok}) |")
        a, b = dj["invokes_per_s"], ref["invokes_per_s"]
        ratio = round(a / b, 2) if b else None
        ok = "met" if ratio is not None and ratio >= 0.8 else "NOT met"
        lines.append(f"| invokes/s | {a} | {b} | {ratio}× | ≥ 0.8× ({ok}) |")
    lines.append("")
    lines.append("Raw results (JSON):")
    lines.append("")
    lines.append("```json")
    lines.append(json.dumps(results, indent=1))
    lines.append("```")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-checkpoints.md"))
    parser.add_argument("--quick", action="store_true", help="fewer calls and a 1,000-step depth test")
    parser.add_argument("--only", nargs="*", choices=list(TARGETS), help="run only these savers")
    parser.add_argument("--rounds", type=int, default=2, help="round-robin rounds; the best of each figure is kept")
    parser.add_argument("--worker", choices=list(TARGETS), help=argparse.SUPPRESS)
    parser.add_argument("--handle", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.handle, args.quick)))
        return 0
    started = time.perf_counter()
    rounds: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(args.rounds):
            for target in args.only or TARGETS:
                print(f"round {round_no + 1}: benchmarking {TARGETS[target]} …", flush=True)
                rounds.setdefault(target, []).append(run_target(target, Path(tmp), args.quick))
                print(json.dumps(rounds[target][-1]), flush=True)
    results = [_best(runs) for runs in rounds.values()]
    Path(args.out).write_text(render(results, args.quick, time.perf_counter() - started))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
