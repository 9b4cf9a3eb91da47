"""Scale benchmark: the per-turn and full-read cost at 100,000 vs 10,000,000 messages, and HTTP
throughput with 1, 2 and 4 app instances. Writes ``docs/scaling.md`` (tables) + ``docs/scaling.json``.

Usage: ``python bench/scale_bench.py [--out docs/scaling.md] [--quick]`` (``make bench-scale``). One
invocation does everything, on a dedicated PostgreSQL database (``chatmemory_scale_bench``, dropped
and re-created; ``BENCH_SCALE_PG``) and Redis db 11 (flushed; ``BENCH_SCALE_REDIS``):

1. migrate, then seed 1,000 conversations × 100 messages (100,000 rows) with one
   ``INSERT … SELECT generate_series`` per 10,000 conversations (the database builds the rows:
   no Python per row), ``VACUUM ANALYZE`` and ``CHECKPOINT``; measure;
2. grow to 100,000 conversations × 100 messages (10,000,000 rows; the unique ``(session, seq)``
   index and the search GIN index are dropped for the load and rebuilt after, as a bulk import
   would), ``VACUUM ANALYZE``, ``CHECKPOINT``; measure again;
3. at 10M: ``POST /api/sessions/{id}/chat`` (offline model, no delay) through 1, 2 and 4 gunicorn
   instances (1 worker × 8 threads each) driven by one ``wrk`` per instance (4 connections each);
   rolling summaries off (``CHATMEMORY_MEMORY_SUMMARY=false``: they run in Celery workers, which
   this benchmark has none of, and would otherwise run inside the web process).

Measured per scale, in a fresh process (``measure``): a *warm* turn (append a human + AI pair and
read the last 20: ``add_messages_and_get_recent``) on 50 conversations whose windows are cached; a
*cold* turn (the first on a conversation not in the cache: the window is read from PostgreSQL); and
the *full read* (``history.messages``, 100 messages, uncached) of random conversations. Unless
``--keep``, the database is dropped at the end (10M rows are ~5 GB, and a replica test's
``pg_basebackup`` copies the whole cluster).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_BASE = os.environ.get("BENCH_SCALE_PG", "postgres://postgres@127.0.0.1:5432")
DB = "chatmemory_scale_bench"
PG_URL = f"{PG_BASE}/{DB}"
REDIS_URL = os.environ.get("BENCH_SCALE_REDIS", "redis://127.0.0.1:6379/11")
PER_SESSION = 100
CHUNK = 10_000  # conversations per INSERT statement


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def django_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_"))}
    return {**env, "DJANGO_SETTINGS_MODULE": "chatmemory.settings", "DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL,
            "DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
            "CHATMEMORY_CHAT_RATE_LIMIT": "0", "CHATMEMORY_OFFLINE_TOKEN_DELAY_MS": "0", "LOG_LEVEL": "ERROR",
            "CHATMEMORY_LOG_LEVEL": "ERROR", "PYTHONPATH": str(ROOT), **extra}


def pg(dbname: str = DB, autocommit: bool = True) -> psycopg.Connection[Any]:
    return psycopg.connect(f"{PG_BASE.replace('postgres://', 'postgresql://')}/{dbname}", autocommit=autocommit)


# -- seeding ---------------------------------------------------------------------------------------------
SESSIONS_SQL = """
INSERT INTO sessions_app_chatsession (id, tenant, title, status, metadata, created_at, last_active_at,
    message_count, last_seq, owner_id)
SELECT md5('cm' || i)::uuid, '', 'conversation ' || i, 'active', '{}'::jsonb,
    now() - interval '30 days', now() - (i %% 1000) * interval '1 minute', %(n)s, %(n)s, %(owner)s
FROM generate_series(%(lo)s::int, %(hi)s::int) AS i
"""
MESSAGES_SQL = """
INSERT INTO sessions_app_chatmessage (session_id, seq, type, message, content_text, created_at)
SELECT md5('cm' || i)::uuid, s, t.kind,
    jsonb_build_object('type', t.kind, 'data', jsonb_build_object('content', t.text, 'type', t.kind)),
    t.text, now() - interval '30 days' + s * interval '1 second'
FROM generate_series(%(lo)s::int, %(hi)s::int) AS i CROSS JOIN generate_series(1, %(n)s::int) AS s
CROSS JOIN LATERAL (SELECT CASE WHEN s %% 2 = 1 THEN 'human' ELSE 'ai' END AS kind,
    CASE WHEN s %% 2 = 1 THEN 'Question ' || s || ' in conversation ' || i || ': what did we decide about the plan?'
         ELSE 'Answer ' || s || ': we agreed to keep the schedule, review the budget and meet on Friday.' END
    AS text) AS t
"""
BULK_INDEXES = {  # dropped for the 10M load, rebuilt after (name → how to rebuild)
    "chatmessage_search_idx":
        "CREATE INDEX chatmessage_search_idx ON sessions_app_chatmessage USING gin (search_vector)",
}
UNIQUE = ("chatmessage_session_seq_uniq",
          "ALTER TABLE sessions_app_chatmessage ADD CONSTRAINT chatmessage_session_seq_uniq UNIQUE (session_id, seq)")


def create_database() -> None:
    with pg("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], env=django_env(), cwd=ROOT, check=True,
                   timeout=900)


def seed(first: int, last: int, *, bulk: bool) -> float:
    """Add conversations ``first … last`` (1-based) with their messages; seconds taken."""
    started = time.monotonic()
    with pg() as conn:
        owner = conn.execute("INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,"
                             " is_staff, is_active, date_joined) VALUES ('!', false, 'scale-bench', '', '', '',"
                             " false, true, now()) ON CONFLICT (username) DO UPDATE SET is_active = true"
                             " RETURNING id").fetchone()[0]  # type: ignore[index]
        if bulk:
            for name in BULK_INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")
            conn.execute(f"ALTER TABLE sessions_app_chatmessage DROP CONSTRAINT IF EXISTS {UNIQUE[0]}")
        for lo in range(first, last + 1, CHUNK):
            hi = min(last, lo + CHUNK - 1)
            params = {"lo": lo, "hi": hi, "n": PER_SESSION, "owner": owner}
            conn.execute(SESSIONS_SQL, params)
            conn.execute(MESSAGES_SQL, params)
            log(f"  seeded conversations {lo:,}–{hi:,} ({time.monotonic() - started:.0f} s)")
        if bulk:
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute(UNIQUE[1])
            for sql in BULK_INDEXES.values():
                conn.execute(sql)
        conn.execute("VACUUM ANALYZE sessions_app_chatmessage")
        conn.execute("VACUUM ANALYZE sessions_app_chatsession")
        conn.execute("CHECKPOINT")
    return time.monotonic() - started


def table_facts() -> dict[str, Any]:
    with pg() as conn:
        rows = conn.execute("SELECT count(*) FROM sessions_app_chatmessage").fetchone()[0]  # type: ignore[index]
        sessions = conn.execute("SELECT count(*) FROM sessions_app_chatsession").fetchone()[0]  # type: ignore[index]
        size = conn.execute("SELECT pg_total_relation_size('sessions_app_chatmessage')").fetchone()[0]  # type: ignore[index]
    return {"messages": rows, "sessions": sessions, "table_bytes": size}


# -- one measurement, in a fresh process ----------------------------------------------------------------
MEASURE = r"""
import json, random, statistics, sys, time, uuid, hashlib
import django
django.setup()
from django.core.cache import caches
from django.contrib.auth import get_user_model
from langchain_core.messages import AIMessage, HumanMessage
from sessions_app.history import DjangoChatMessageHistory

sessions, turns, reads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for alias in ("default", "chatmemory"):
    caches[alias].clear()
owner = get_user_model().objects.get(username="scale-bench")
sid = lambda i: uuid.UUID(hashlib.md5(f"cm{i}".encode()).hexdigest())
rng = random.Random(7)
pick = rng.sample(range(1, sessions + 1), 50 + turns + reads)
warm_ids, cold_ids, read_ids = pick[:50], pick[50:50 + turns], pick[50 + turns:]
pair = lambda n: [HumanMessage(content=f"bench question {n}"), AIMessage(content=f"bench answer {n}")]
for i in warm_ids:  # fill their windows
    DjangoChatMessageHistory(sid(i), user=owner).get_recent_messages(20)
histories = [DjangoChatMessageHistory(sid(i), user=owner) for i in warm_ids]
warm, cold, full = [], [], []
for n in range(turns):
    h = histories[n % len(histories)]
    t = time.perf_counter(); h.add_messages_and_get_recent(pair(n), 20); warm.append(time.perf_counter() - t)
for n, i in enumerate(cold_ids):
    t = time.perf_counter()
    h = DjangoChatMessageHistory(sid(i), user=owner)
    h.get_recent_messages(20)
    h.add_messages_and_get_recent(pair(n), 20)
    cold.append(time.perf_counter() - t)
for i in read_ids:
    h = DjangoChatMessageHistory(sid(i), user=owner, cache=False)
    t = time.perf_counter(); msgs = h.messages; full.append(time.perf_counter() - t)
    assert len(msgs) >= 100
def stats(xs):
    xs = sorted(xs)
    return {"median_ms": 1000 * statistics.median(xs), "p95_ms": 1000 * xs[int(0.95 * (len(xs) - 1))],
            "n": len(xs)}
print(json.dumps({"warm_turn": stats(warm), "cold_turn": stats(cold), "full_read": stats(full)}))
"""


def measure(sessions: int, turns: int, reads: int) -> dict[str, Any]:
    out = subprocess.run([PY, "-c", MEASURE, str(sessions), str(turns), str(reads)], env=django_env(), cwd=ROOT,
                         check=True, capture_output=True, text=True, timeout=1800)
    return json.loads(out.stdout.strip().splitlines()[-1])


def explain_window() -> str:
    with pg() as conn:
        plan = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT seq, message::text FROM sessions_app_chatmessage"
            " WHERE session_id = md5('cm77')::uuid ORDER BY seq DESC LIMIT 100").fetchall()
    return "\n".join(row[0] for row in plan)


# -- throughput with 1, 2, 4 instances -------------------------------------------------------------------
TOKEN_SCRIPT = """
from django.contrib.auth import get_user_model
from sessions_app.accounts.tokens import api_token_create
_, token = api_token_create(user=get_user_model().objects.get(username="scale-bench"), name="scale bench")
print(token)
"""
WRK_LUA = """
local sessions = {%s}
local token = "%s"
local counter = 0
request = function()
  counter = counter + 1
  local sid = sessions[(counter %% #sessions) + 1]
  return wrk.format("POST", "/api/sessions/" .. sid .. "/chat", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, '{"message": "throughput turn ' .. counter .. '"}')
end
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def throughput(levels: list[int], duration: int, sessions: int) -> dict[str, Any]:
    import hashlib
    import urllib.request
    import uuid

    token = subprocess.run([PY, "manage.py", "shell", "-c", TOKEN_SCRIPT], env=django_env(), cwd=ROOT, check=True,
                           capture_output=True, text=True, timeout=300).stdout.strip().splitlines()[-1]
    results: dict[str, Any] = {}
    for instances in levels:
        servers, ports, scripts = [], [], []
        for n in range(instances):
            port = free_port()
            ids = ", ".join(f'"{uuid.UUID(hashlib.md5(f"cm{i}".encode()).hexdigest())}"'
                            for i in range(1 + 64 * n, 65 + 64 * n) if i <= sessions)
            script = Path(tempfile.mkstemp(suffix=".lua")[1])
            script.write_text(WRK_LUA % (ids, token))
            scripts.append(script)
            servers.append(subprocess.Popen(
                [PY, "-m", "gunicorn", "chatmemory.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                 "--threads", "8", "--worker-class", "gthread", "--timeout", "60", "--log-level", "error"],
                # Summaries belong to Celery workers; without a broker they would run in the web process.
                env=django_env(CONN_MAX_AGE="60", CHATMEMORY_MEMORY_SUMMARY="false"), cwd=ROOT))
            ports.append(port)
        try:
            for port in ports:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                            if response.status in (200, 503):
                                break
                    except OSError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError("gunicorn did not start")
                    time.sleep(0.3)
            cpu_before = _cpu_times()
            wrks = [subprocess.Popen(["wrk", "-t", "1", "-c", "4", "-d", f"{duration}s", "--latency", "--timeout",
                                      "30s", "-s", str(script), f"http://127.0.0.1:{port}"],
                                     stdout=subprocess.PIPE, text=True)
                    for port, script in zip(ports, scripts, strict=True)]
            outs = [w.communicate(timeout=duration + 120)[0] for w in wrks]
            cpu_after = _cpu_times()
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=60)
            for script in scripts:
                script.unlink()
        parsed = [parse_wrk(o) for o in outs]
        busy = 1 - (cpu_after[1] - cpu_before[1]) / max(1, cpu_after[0] - cpu_before[0])
        results[str(instances)] = {
            "instances": instances, "rps": sum(p["rps"] for p in parsed),
            "requests": sum(p["requests"] for p in parsed),
            "p50_ms": statistics.median(p["p50_ms"] for p in parsed), "p99_ms": max(p["p99_ms"] for p in parsed),
            "errors": sum(p["non_2xx"] + p["socket_errors"] for p in parsed), "cpu_busy": busy,
        }
        log(f"  {instances} instance(s): {results[str(instances)]}")
    return results


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),  # type: ignore[union-attr]
                           "requests": int(re.search(r"(\d+) requests in", text).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s|m)\b", text)
        out[f"p{pct}_ms"] = _ms(m.group(1), m.group(2)) if m else 0.0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    out["socket_errors"] = sum(int(x) for x in errors.groups()) if errors else 0
    return out


# -- report ----------------------------------------------------------------------------------------------
def write_report(out: Path, data: dict[str, Any]) -> None:
    small, large = data["scales"]["small"], data["scales"]["large"]
    lines = [
        "<!-- generated by `make bench-scale` (bench/scale_bench.py); the prose around the tables is in "
        "docs/scaling.md below the marker -->",
        f"Measured {data['when']} on {data['machine']} (`make bench-scale`, {data['seconds'] / 60:.0f} min).",
        "",
        "| per operation, median (p95) ms | "
        f"{small['facts']['messages']:,} messages ({small['facts']['sessions']:,} conversations) | "
        f"{large['facts']['messages']:,} messages ({large['facts']['sessions']:,} conversations) | ratio |",
        "|---|---|---|---|",
    ]
    for key, label in (("warm_turn", "warm turn (append 2, read last 20; cached window)"),
                       ("cold_turn", "cold turn (window read from PostgreSQL, then the turn)"),
                       ("full_read", "full read (`messages`, 100 messages, uncached)")):
        a, b = small["measure"][key], large["measure"][key]
        lines.append(f"| {label} | {a['median_ms']:.2f} ({a['p95_ms']:.2f}) | {b['median_ms']:.2f} "
                     f"({b['p95_ms']:.2f}) | {b['median_ms'] / a['median_ms']:.2f}× |")
    lines += [
        f"| `chatmessage` table + indexes | {small['facts']['table_bytes'] / 2**20:,.0f} MiB | "
        f"{large['facts']['table_bytes'] / 2**30:,.1f} GiB | |",
        f"| seeding time | {small['seed_s']:.0f} s | {large['seed_s']:.0f} s | |",
        "",
        f"HTTP `POST /api/sessions/{{id}}/chat` at {large['facts']['messages']:,} messages (offline model, no delay; "
        "each instance = gunicorn 1 worker × 8 threads, driven by its own `wrk -c 4`):",
        "",
        "| app instances | turns/s | × one instance | p50 ms | p99 ms | errors | machine CPU busy |",
        "|---|---|---|---|---|---|---|",
    ]
    base = data["throughput"]["1"]["rps"]
    for level in data["throughput"].values():
        lines.append(f"| {level['instances']} | {level['rps']:.0f} | {level['rps'] / base:.2f}× "
                     f"| {level['p50_ms']:.1f} | {level['p99_ms']:.1f} | {level['errors']} "
                     f"| {100 * level['cpu_busy']:.0f}% |")
    lines += ["", "The window read's plan at 10M rows (`EXPLAIN (ANALYZE, BUFFERS)`):", "", "```",
              data["explain"], "```", ""]
    table = "\n".join(lines)
    marker = "<!-- end of generated tables -->"
    text = out.read_text() if out.exists() else ""
    start = "<!-- generated by `make bench-scale`"
    if start in text and marker in text:
        text = text[: text.index(start)] + table + "\n" + text[text.index(marker):]
    else:
        text = "# Scaling chatmemory\n\n" + table + "\n" + marker + "\n" + text
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(data, indent=2, default=str))


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    with pg("postgres") as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return f"{os.cpu_count()} cores ({cpu}), PostgreSQL {version}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/scaling.md")
    parser.add_argument("--quick", action="store_true", help="500 and 5,000 conversations, short runs (a smoke test)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    args = parser.parse_args()
    started = time.monotonic()
    small_n, large_n = (500, 5000) if args.quick else (1000, 100_000)
    turns, reads, duration = (100, 50, 3) if args.quick else (400, 200, 15)
    data: dict[str, Any] = {"when": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "machine": machine(), "scales": {}}
    subprocess.run(["redis-cli", "-u", REDIS_URL, "FLUSHDB"], check=False, capture_output=True, timeout=30)
    log(f"database {DB}: migrate")
    create_database()
    try:
        log(f"seed {small_n:,} conversations")
        seed_s = seed(1, small_n, bulk=False)
        data["scales"]["small"] = {"facts": table_facts(), "seed_s": seed_s, "measure": measure(small_n, turns, reads)}
        log(f"  {data['scales']['small']}")
        log(f"grow to {large_n:,} conversations")
        seed_s = seed(small_n + 1, large_n, bulk=True)
        data["scales"]["large"] = {"facts": table_facts(), "seed_s": seed_s, "measure": measure(large_n, turns, reads)}
        log(f"  {data['scales']['large']}")
        data["explain"] = explain_window()
        log("throughput with 1, 2, 4 instances")
        data["throughput"] = throughput([1, 2, 4], duration, large_n)
    finally:
        if not args.keep:
            with pg("postgres") as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    data["seconds"] = time.monotonic() - started
    write_report(ROOT / args.out, data)
    log(f"wrote {args.out} in {data['seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
