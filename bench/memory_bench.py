"""Conversation-memory benchmark: chatmemory vs LangChain's stores vs the raw floors, and HTTP.

Usage: ``python bench/memory_bench.py [--out docs/benchmarks.md] [--quick | --small]``
(``make bench-memory``, part of ``make bench``; ``--small`` prints only the 10 / 100 / 1,000-message
comparison with langchain-postgres and the floor, in a few minutes). Everything runs in one
invocation, side by side, on this machine's PostgreSQL (database ``chatmemory_bench``, dropped and
re-created; ``BENCH_PG_URL``) and Redis (db 10, flushed; ``BENCH_REDIS_URL``):

* per chat turn — append a human + AI pair of ~300 characters each, then read the context window
  of the last 20 messages — median and p99 at 10 / 100 / 1,000 / 10,000 / 100,000 messages for
  chatmemory (warm cache, cold cache, ``cache=False``, the embedded SQLite default) and for
  ``langchain_postgres.PostgresChatMessageHistory``, ``langchain_community``'s
  ``RedisChatMessageHistory`` and ``SQLChatMessageHistory`` used as their docs show (their read
  is ``history.messages[-20:]``: they have no window read), and the floors: raw psycopg (2-row
  INSERT + ``ORDER BY seq DESC LIMIT 20`` on the primary key) and a raw Redis RPUSH + LRANGE
  pipeline. Every turn starts from a session of exactly that many messages (the previous turn's
  pair is deleted again, untimed); stores that read the whole session each turn run fewer turns at
  large sizes (the count is in the table);
* the independent cross-check (``memory_workers.py check``): langchain-postgres exactly as its
  README shows and the plain-psycopg floor, a new session of N messages per turn, in their own
  process and tables, next to the main rows at 10 / 100 / 1,000 messages;
* full reads (``messages``) at 1,000 and 10,000 messages vs ``PostgresChatMessageHistory``;
* 8 concurrent writers appending 25 human/AI pairs each to one session: split, lost and
  duplicated pairs per store;
* HTTP: ``POST /api/sessions/{id}/chat`` through gunicorn with the offline model under ``wrk``
  (Debian's package, a Lua script; a C load generator keeps the client's CPU use small on a
  2-core machine) at 1, 8 and 32 connections (JSON, model delay 0), plus 8 connections streaming
  (SSE) at the offline model's default pacing, and the share of server time spent in the memory
  layer, wall clock and CPU (``bench/timed_wsgi.py``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/chatmemory_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
CONCURRENCY = [1, 8, 32]
# HTTP levels: (clients, offline model's delay per token in ms). 0: JSON answers from a model that
# takes no time, so the memory layer is measured against the rest of the server's own work only;
# None: the browser's kind of turn, streamed (SSE) at the product's default pacing
# (CHATMEMORY_OFFLINE_TOKEN_DELAY_MS, 15 ms per word; the pacing only applies when streaming).
HTTP_LEVELS: list[tuple[int, int | None]] = [(c, 0) for c in CONCURRENCY] + [(8, None)]

LABELS = {
    "warm": "chatmemory, warm cache (PostgreSQL + Redis)",
    "warm_one_call": "chatmemory, warm cache, `add_messages_and_get_recent` (append + read, one Redis call)",
    "warm_request": "chatmemory, warm cache, history built every turn (ownership gate)",
    "cold": "chatmemory, cold cache (evicted before each turn; history built every turn)",
    "no_cache": "chatmemory, `cache=False` (ORM only)",
    "embedded": "chatmemory, embedded default (SQLite + local memory)",
    "lc_postgres": "langchain-postgres `PostgresChatMessageHistory`",
    "lc_redis": "langchain-community `RedisChatMessageHistory`",
    "lc_sql": "langchain-community `SQLChatMessageHistory` (PostgreSQL)",
    "design_floor": "design floor: chatmemory's round trips alone (raw psycopg append statement + Redis Lua "
                    "append + Lua read + `messages_from_dict`; no Django, no history class)",
    "floor_pg": "floor: raw psycopg 2-row INSERT + last-20 SELECT",
    "floor_redis": "floor: raw Redis RPUSH + LRANGE pipeline",
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def reset_stores() -> None:
    import psycopg
    import redis

    name = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(REDIS_URL).flushdb()


def run_worker(kind: str, env: dict[str, str], quick: bool) -> dict[str, Any]:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    full_env = {**os.environ, **env, "PYTHONWARNINGS": "ignore", "BENCH_QUICK": "1" if quick else "0"}
    started = time.monotonic()
    subprocess.run([PY, str(ROOT / "bench" / "memory_workers.py"), kind, str(out)], env=full_env, check=True,
                   cwd=ROOT, timeout=1800)
    log(f"{kind}: {time.monotonic() - started:.0f} s")
    data = json.loads(out.read_text())
    out.unlink()
    return data


def django_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="chatmemory.settings", **extra)
    return env


# -- HTTP ----------------------------------------------------------------------------------------------
SETUP_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from sessions_app.accounts.tokens import api_token_create
from sessions_app.conversations.sessions import session_create
user, _ = get_user_model().objects.get_or_create(username="http-bench")
_, token = api_token_create(user=user, name="bench")
ids = [str(session_create(owner=user, title=f"http {i}").pk) for i in range(64)]
print(json.dumps({"token": token, "sessions": ids}))
"""

WRK_SCRIPT = """
local sessions = {%s}
local token = "%s"
local accept = "%s"
local counter = 0
request = function()
  counter = counter + 1
  local sid = sessions[(counter %% #sessions) + 1]
  local body = '{"message": "HTTP benchmark turn ' .. counter .. ': what did I say before?"}'
  return wrk.format("POST", "/api/sessions/" .. sid .. "/chat",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token, ["Accept"] = accept}, body)
end
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_bench(duration: int) -> dict[str, Any]:
    import urllib.request

    env = django_env(DATABASE_URL=PG_URL, REDIS_URL=REDIS_URL, DEBUG="false", SECRET_KEY="bench-" + "x" * 50,
                     ALLOWED_HOSTS="127.0.0.1", CHATMEMORY_CHAT_RATE_LIMIT="0",
                     LOG_LEVEL="ERROR", CHATMEMORY_LOG_LEVEL="ERROR")
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True, timeout=600)
    setup = subprocess.run([PY, "manage.py", "shell", "-c", SETUP_SCRIPT], env=env, cwd=ROOT, check=True,
                           capture_output=True, text=True, timeout=600)
    info = json.loads(setup.stdout.strip().splitlines()[-1])
    sessions = ", ".join(f'"{s}"' for s in info["sessions"])
    results: dict[str, Any] = {}
    for clients, delay_ms in HTTP_LEVELS:
        level = str(clients) if delay_ms == 0 else f"{clients}, streamed (SSE), default model pacing"
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(WRK_SCRIPT % (sessions, info["token"],
                                        "application/json" if delay_ms == 0 else "text/event-stream"))
        level_env = {**env, "CHATMEMORY_OFFLINE_TOKEN_DELAY_MS": str(delay_ms)} if delay_ms is not None else env
        stats_dir = Path(tempfile.mkdtemp(prefix="cm-bench-stats-"))
        port = free_port()
        server = subprocess.Popen(
            [PY, "-m", "gunicorn", "bench.timed_wsgi:application", "-c", "bench/gunicorn_bench.py",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "16", "--worker-class", "gthread",
             "--timeout", "60", "--graceful-timeout", "10", "--log-level", "error"],
            env={**level_env, "BENCH_STATS_DIR": str(stats_dir)}, cwd=ROOT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start")
                time.sleep(0.3)
            out = subprocess.run(
                ["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{duration}s", "--latency",
                 "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}"],
                capture_output=True, text=True, check=True, timeout=duration + 120).stdout
        finally:
            server.terminate()
            server.wait(timeout=60)
            script.unlink()
        totals = {"requests": 0, "server_s": 0.0, "memory_s": 0.0, "server_cpu_s": 0.0, "memory_cpu_s": 0.0}
        for f in stats_dir.glob("*.json"):
            data = json.loads(f.read_text())
            for key in totals:
                totals[key] += data[key]
        shutil.rmtree(stats_dir, ignore_errors=True)
        per_request = 1000 / max(1, totals["requests"])
        results[level] = parse_wrk(out) | {
            "clients": clients,
            "model_delay_ms": delay_ms,
            "memory_share": totals["memory_s"] / totals["server_s"] if totals["server_s"] else None,
            "memory_cpu_share": totals["memory_cpu_s"] / totals["server_cpu_s"] if totals["server_cpu_s"] else None,
            "server_ms_per_request": totals["server_s"] * per_request,
            "memory_ms_per_request": totals["memory_s"] * per_request,
            "server_cpu_ms_per_request": totals["server_cpu_s"] * per_request,
            "memory_cpu_ms_per_request": totals["memory_cpu_s"] * per_request,
        }
        log(f"HTTP {level}: {results[level]}")
    return results


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"raw": text}
    out["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    out["requests"] = int(re.search(r"(\d+) requests in", text).group(1))
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s|m)\b", text)
        out[f"p{pct}_ms"] = _ms(m.group(1), m.group(2)) if m else None
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    out["socket_errors"] = sum(int(x) for x in socket_errors.groups()) if socket_errors else 0
    return out


# -- report -----------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    import django
    import psycopg
    import redis

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    with psycopg.connect(PG_URL.replace("postgres://", "postgresql://")) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    redis_version = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]

    def version(dist: str) -> str:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as v

        try:
            return v(dist)
        except PackageNotFoundError:
            return "missing"

    wrk = (subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
           if shutil.which("wrk") else "not installed (`--small` does not use it)")
    return {
        "CPU": f"{cpu} — `nproc` = {os.cpu_count()}", "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(), "Python": platform.python_version(), "PostgreSQL": pg_version,
        "Redis server": redis_version, "Django": django.get_version(), "psycopg": psycopg.__version__,
        "redis-py": redis.__version__, "django-redis": version("django-redis"),
        "langchain-core": version("langchain-core"), "langchain-postgres": version("langchain-postgres"),
        "langchain-community": version("langchain-community"), "SQLAlchemy": version("SQLAlchemy"),
        "gunicorn": version("gunicorn"), "wrk": wrk or "wrk",
    }


def cell(turn: dict[str, Any], key: str, floor: float | None) -> str:
    if key not in turn:
        return "—"
    r = turn[key]
    ratio = f" ({r['median_ms'] / floor:.2f}×)" if floor else ""
    n = f" n={r['n']}" if r["n"] < 100 else ""
    return f"{r['median_ms']:.2f} / {r['p99_ms']:.2f}{ratio}{n}"


def all_turns(results: dict[str, Any]) -> dict[str, Any]:
    return {**results["peers"]["turn"], **results["chatmemory"]["turn"], **results["embedded"]["turn"]}


def load_text(results: dict[str, Any]) -> str:
    start, end = results["load"]
    return (f"The machine was shared: other jobs were running (load average over 1 min {start:.1f} at the start, "
            f"{end:.1f} at the end, on {os.cpu_count()} cores), so absolute figures are noisy; the ratios within "
            "one run are what to compare.")


def report(results: dict[str, Any], lengths: list[int], elapsed: float) -> str:
    from bench.memory_small import section as small_section
    from bench.tables import head, row

    turn = all_turns(results)
    lines = [
        "# chatmemory benchmarks",
        "",
        f"Generated by `make bench` (`bench/memory_bench.py`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in "
        f"{elapsed / 60:.1f} min. All stores ran side by side in this one run on the same PostgreSQL and Redis. "
        + load_text(results),
        "",
        "## Machine and versions",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in results["machine"].items()]
    lines += [
        "",
        "## Per chat turn: append a human + AI pair, read the last 20 messages",
        "",
        "Every turn, for every store, starts from a session of exactly that many messages: before each turn "
        "(untimed) the pair the previous one appended is deleted again — for chatmemory with `last_seq` put "
        "back and the cache entry evicted, then filled again by one window read for the warm rows. (Runs before "
        "2026-12-02 kept appending to one session, so a store that reads the whole session each turn was "
        "measured on 10 … 410 messages in the 10 column: langchain-postgres read 4.2 ms there.) "
        "Median / p99 in milliseconds; in brackets the median as a multiple of the PostgreSQL floor's median "
        "at the same length (the Redis floor row: of itself). `n=` is the number of turns when fewer than 100 "
        "(stores that read the whole session each turn are capped at large sizes). The peers are used as their "
        "docs show: one connection (or client) made once and reused, tables created once; their read is "
        "`history.messages[-20:]` (they have no window read). `SQLChatMessageHistory` creates its table "
        "without an index on `session_id`, so its read scans every session's rows. Each row here runs its turns "
        "in a loop of its own, one store after another: on a shared machine the load changes between rows, so "
        "at 10–1,000 messages compare the stores in the interleaved section below, not across these rows. "
        "Like the peers' rows, the "
        "warm and `cache=False` rows build the history object once and reuse it; the *history built every turn* "
        "and cold rows also pay its construction (the ownership gate), as a request does.",
        "",
        *head("store", lengths),
    ]
    for key in ["warm", "warm_one_call", "warm_request", "cold", "no_cache", "embedded", "lc_postgres", "lc_redis",
                "lc_sql",
                "design_floor", "floor_pg", "floor_redis"]:
        cells = []
        for n in lengths:
            ref = f"floor_redis/{n}" if key == "floor_redis" else f"floor_pg/{n}"
            cells.append(cell(turn, f"{key}/{n}", turn.get(ref, {}).get("median_ms")))
        lines.append(row(LABELS[key], cells))
    lines += ["", *small_section(results)]
    full_ours, full_peer = results["chatmemory"]["full_read"], results["peers"]["full_read"]
    lines += [
        "",
        "## Full read of a session (`messages`), median / p99 ms",
        "",
        "Each store reads a session seeded with exactly that many messages (before any turn is added).",
        "",
        "| messages | chatmemory `messages` | `PostgresChatMessageHistory.messages` | ratio |",
        "|---|---|---|---|",
    ]
    for n in sorted(full_ours, key=int):
        a, b = full_ours[n], full_peer.get(n)
        lines.append(f"| {int(n):,} | {a['median_ms']:.1f} / {a['p99_ms']:.1f} | "
                     f"{b['median_ms']:.1f} / {b['p99_ms']:.1f} | {a['median_ms'] / b['median_ms']:.2f}× |")
    conc = {**results["peers"]["concurrency"], **results["chatmemory"]["concurrency"],
            **results["embedded"]["concurrency"]}
    lines += [
        "",
        "## 8 concurrent writers on one session (25 human/AI pairs each)",
        "",
        "| store | pairs | split | split rate | lost | duplicated |",
        "|---|---|---|---|---|---|",
    ]
    names = {"chatmemory": LABELS["warm"].split(",")[0] + " (PostgreSQL)", "embedded": LABELS["embedded"],
             "lc_postgres": LABELS["lc_postgres"], "lc_redis": LABELS["lc_redis"], "lc_sql": LABELS["lc_sql"]}
    for key, c in conc.items():
        lines.append(f"| {names[key]} | {c['pairs']} | {c['split']} | {100 * c['split'] / c['pairs']:.1f}% | "
                     f"{c['lost']} | {c['duplicated']} |")
    lines += [
        "",
        "## HTTP: `POST /api/sessions/{id}/chat` through gunicorn, offline model",
        "",
        "gunicorn 2 workers × 16 threads (gthread), PostgreSQL + Redis, 64 sessions round-robin, `wrk` with "
        f"a Lua script, {results['http_duration']} s per level. *memory*: time inside "
        "`DjangoChatMessageHistory` (construction, `get_recent_messages`, `session_append`); *server*: the "
        "requests' WSGI calls; summed over the workers. *wall* is elapsed time (includes waiting for "
        "PostgreSQL, Redis and, with many threads on 2 cores, for the GIL); *CPU* is the request thread's "
        "own CPU time (`time.thread_time`). The first rows ask for JSON with the offline model's delay set to "
        "0 (a model that takes no time: the memory layer against everything else the server does); the last "
        "row streams the answer (SSE) as the browser does, at the offline model's default pacing "
        "(15 ms per word), a turn shaped like a real streamed model's.",
        "",
        "| clients (model delay 0 unless said) | turns/s | p50 ms | p99 ms | requests | errors (non-2xx + socket) | "
        "server ms/turn wall / CPU | memory ms/turn wall / CPU | memory share wall / CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c, r in results["http"].items():
        share = (f"{100 * r['memory_share']:.1f}% / {100 * r['memory_cpu_share']:.1f}%"
                 if r["memory_share"] is not None else "—")
        lines.append(f"| {c} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['requests']} | "
                     f"{r['non_2xx'] + r['socket_errors']} | {r['server_ms_per_request']:.2f} / "
                     f"{r['server_cpu_ms_per_request']:.2f} | {r['memory_ms_per_request']:.2f} / "
                     f"{r['memory_cpu_ms_per_request']:.2f} | {share} |")
    lines += ["", "## Against the issue's targets", ""]
    lines += ["Turn ratios at 10–1,000 messages come from the interleaved comparison (*Small conversations*), "
              "the others from the first table.", ""]
    lines += targets(turn, results["chatmemory"].get("interleaved", {}), full_ours, full_peer, conc, results["http"],
                     lengths)
    return "\n".join(lines) + "\n"


def targets(sequential: dict[str, Any], interleaved: dict[str, Any], full_ours: dict[str, Any],
            full_peer: dict[str, Any], conc: dict[str, Any], http: dict[str, Any], lengths: list[int]) -> list[str]:
    out = []
    turn = {**sequential, **interleaved}  # the interleaved figures where there are some: comparable under load

    def ok(flag: bool) -> str:
        return "met" if flag else "**not met**"

    for n in lengths:
        ratio = turn[f"warm/{n}"]["median_ms"] / turn[f"floor_pg/{n}"]["median_ms"]
        per_request = turn[f"warm_request/{n}"]["median_ms"] / turn[f"floor_pg/{n}"]["median_ms"]
        design = turn.get(f"design_floor/{n}", {}).get("median_ms")
        context = f"; the design floor itself: {design / turn[f'floor_pg/{n}']['median_ms']:.2f}×" if design else ""
        out.append(f"- warm turn within 1.5× of the PostgreSQL floor at {n:,}: {ratio:.2f}× — {ok(ratio <= 1.5)} "
                   f"(history built every turn, which the floor and the peers do not do: {per_request:.2f}×"
                   f"{context})")
        one_call = turn.get(f"warm_one_call/{n}", {}).get("median_ms")
        if one_call:
            r1 = one_call / turn[f"floor_pg/{n}"]["median_ms"]
            out.append(f"  - the same turn through `add_messages_and_get_recent` (append + read as one Redis call): "
                       f"{r1:.2f}× — {ok(r1 <= 1.5)}")
    big, small = (sequential[f"warm/{n}"]["median_ms"] for n in (lengths[-1], lengths[0]))
    out.append(f"- warm turn at {lengths[-1]:,} within 1.2× of the turn at {lengths[0]}: {big / small:.2f}× — "
               f"{ok(big / small <= 1.2)}")
    for n in (n for n in lengths if n < 1000 and f"lc_postgres/{n}" in turn):
        ours, theirs = turn[f"warm/{n}"]["median_ms"], turn[f"lc_postgres/{n}"]["median_ms"]
        out.append(f"- at {n:,} messages, warm turn vs `PostgresChatMessageHistory`: "
                   + (f"{theirs / ours:.2f}× faster" if ours <= theirs else f"**{ours / theirs:.2f}× slower**")
                   + " (no target; see *Small conversations*)")
    if "lc_postgres/1000" in turn:
        speed = turn["lc_postgres/1000"]["median_ms"] / turn["warm/1000"]["median_ms"]
        out.append(f"- at 1,000 messages, warm turn vs `PostgresChatMessageHistory`: {speed:.1f}× faster — "
                   f"{ok(speed >= 10)} (target > 10×)")
    for n in sorted(full_ours, key=int):
        r = full_ours[n]["median_ms"] / full_peer[n]["median_ms"]
        out.append(f"- full read at {int(n):,} no slower than `PostgresChatMessageHistory`: {r:.2f}× — {ok(r <= 1.0)}")
    ours = [conc[k] for k in ("chatmemory", "embedded") if k in conc]
    clean = all(c["split"] == c["lost"] == c["duplicated"] == 0 for c in ours)
    out.append(f"- zero split, lost or duplicated pairs under 8 writers (chatmemory): {ok(clean)}")
    top = http[str(max(CONCURRENCY))]
    errors = top["non_2xx"] + top["socket_errors"]
    out.append(f"- HTTP, no errors at {max(CONCURRENCY)} clients: {errors} errors — {ok(errors == 0)}")
    for paced in (False, True):
        rows = [r for r in http.values() if (r["model_delay_ms"] is None) == paced]
        what = ("streamed turns at the offline model's default pacing" if paced
                else "JSON turns with a model that takes no time")
        for kind, key in (("wall clock", "memory_share"), ("CPU time", "memory_cpu_share")):
            shares = [r[key] for r in rows if r.get(key) is not None]
            if shares:
                out.append(f"- memory layer under 10% of a turn's server time, {what}, {kind}: "
                           f"{100 * min(shares):.1f}–{100 * max(shares):.1f}% — {ok(max(shares) < 0.10)}")
    return out


def main() -> None:
    from bench.memory_small import SIZES as SMALL_SIZES
    from bench.memory_small import section as small_section

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="a smoke run: small sessions, few turns")
    mode.add_argument("--small", action="store_true",
                      help="only the 10 / 100 / 1,000-message turns vs langchain-postgres and the floor; printed")
    args = parser.parse_args()
    started = time.monotonic()
    reset_stores()
    results: dict[str, Any] = {"machine": machine(), "load": [os.getloadavg()[0]]}
    small = {"BENCH_LENGTHS": ",".join(map(str, SMALL_SIZES)), "BENCH_SMALL_ONLY": "1"} if args.small else {}
    results["peers"] = {"turn": {}} if args.small else run_worker("peers", small, args.quick)
    results["check"] = run_worker("check", small, args.quick)
    results["chatmemory"] = run_worker("chatmemory", django_env(DATABASE_URL=PG_URL, REDIS_URL=REDIS_URL, **small),
                                       args.quick)
    if args.small:
        results["load"].append(os.getloadavg()[0])
        print("\n".join([load_text(results), "", *small_section(results)]))
        log(f"done in {(time.monotonic() - started) / 60:.1f} min")
        return
    with tempfile.TemporaryDirectory(prefix="cm-bench-embedded-") as var:
        results["embedded"] = run_worker("embedded", django_env(CHATMEMORY_VAR_DIR=var), args.quick)
    results["http_duration"] = 5 if args.quick else 15
    results["http"] = http_bench(results["http_duration"])
    results["load"].append(os.getloadavg()[0])
    lengths = SMALL_SIZES if args.quick else [*SMALL_SIZES, 10_000, 100_000]
    text = report(results, lengths, time.monotonic() - started)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    Path(args.out).with_suffix(".json").write_text(json.dumps(
        {k: v for k, v in results.items() if k != "http"} | {"http": {c: {k: v for k, v in r.items() if k != "raw"}
                                                                     for c, r in results["http"].items()}},
        indent=1, default=str))
    log(f"wrote {args.out} in {(time.monotonic() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
