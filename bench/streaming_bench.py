"""Streaming benchmark: concurrent streamed turns on the gthread (WSGI) and the ASGI deployment.

Usage: ``python bench/streaming_bench.py [--out docs/benchmarks-streaming.md] [--levels 16,128,…]``
(``make bench-streaming``, part of ``make bench``; run it under ``flock /work/notes/bench.lock``).
One invocation, both deployments, same machine, same run:

* the model: ``tests/openai_server.py`` in its own process — 500 ms to the first token, then
  20 tokens/s, ``ANSWER_TOKENS`` tokens per answer — reached by ``ChatOpenAI`` through
  ``OPENAI_BASE_URL`` (the real client path);
* (a) gthread: ``gunicorn chatmemory.wsgi`` with 2 workers × 16 threads (the HTTP benchmark's
  deployment before the ASGI work, ``CONN_MAX_AGE=60``); (b) ASGI: the production web process,
  ``gunicorn -c python:chatmemory.gunicorn chatmemory.asgi`` (2 uvicorn workers, psycopg pool of
  10 per worker, ``CONN_MAX_AGE=0``);
* per level (16 / 128 / 512 / 1,024 / 2,048 concurrent turns, each on its own session, started
  evenly over ``RAMP`` seconds, a turn giving up after ``TIMEOUT`` s): ``bench/streaming_load.py``
  in its own process (aiohttp) measures the time to the first token; *added* TTFT is that minus
  the model's own 500 ms. Tokens/s is per turn (tokens / (end − first token)), median. Server RSS
  (peak, master + workers) and CPU (% of one core over the level) come from ``/proc``. Afterwards
  the database is checked: every turn that ended with ``done`` has exactly its 2 messages, and no
  session has more than 2 (stored exactly once).

PostgreSQL database ``chatmemory_bench_streaming`` (dropped and re-created; ``BENCH_PG_URL``),
Redis db 11 (flushed; ``BENCH_REDIS_URL``). The file descriptor limit is raised to its hard limit.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/chatmemory_bench_streaming")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
LEVELS = [16, 128, 512, 1024, 2048]
TTFT_MS, TOKENS_PER_S, ANSWER_TOKENS = 500, 20, 60
RAMP, TIMEOUT = 2.0, 60.0  # seconds
DRAIN = 180.0  # seconds at most to wait for turns whose client gave up to be stored
DEPLOYMENTS = {
    "gthread": "gthread (WSGI): gunicorn, 2 workers × 16 threads",
    "asgi": "ASGI: gunicorn + 2 uvicorn workers (chatmemory/gunicorn.py)",
}


def log(msg: str) -> None:
    print(f"[bench-streaming {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PROMETHEUS_", "DATABASE_POOL"))}
    env.update(DJANGO_SETTINGS_MODULE="chatmemory.settings", DATABASE_URL=PG_URL, REDIS_URL=REDIS_URL, DEBUG="false",
               SECRET_KEY="bench-only-secret-key-0123456789abcdef", CHATMEMORY_STATIC_MANIFEST="false",
               CHATMEMORY_CHAT_RATE_LIMIT="0", LOG_LEVEL="ERROR", CHATMEMORY_LOG_LEVEL="ERROR",
               OPENAI_API_KEY="sk-bench", PYTHONWARNINGS="ignore")
    env.update(extra)
    return env


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


SETUP = """
import json, sys
from django.contrib.auth import get_user_model
from sessions_app.accounts.tokens import api_token_create
from sessions_app.models import ChatSession
user, _ = get_user_model().objects.get_or_create(username="stream-bench")
_, token = api_token_create(user=user, name="bench")
rows = ChatSession.objects.bulk_create([ChatSession(owner=user, title=f"s{i}") for i in range(int(sys.argv[1]))])
print(json.dumps({"token": token, "sessions": [str(r.pk) for r in rows]}))
"""

CHECK = """
import json, sys
from django.db.models import Count
from sessions_app.models import ChatMessage
ids = json.loads(open(sys.argv[1]).read())
counts = dict(ChatMessage.objects.filter(session_id__in=ids).values_list("session_id").annotate(n=Count("id")))
print(json.dumps({str(k): v for k, v in counts.items()}))
"""


def django_script(script: str, *args: str) -> Any:
    out = subprocess.run([PY, "-c", f"import django; django.setup()\n{script}", *args], env=base_env(), cwd=ROOT,
                         check=True, capture_output=True, text=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_model() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([PY, "-m", "tests.openai_server", "--ttft-ms", str(TTFT_MS), "--tokens-per-s",
                             str(TOKENS_PER_S), "--answer-tokens", str(ANSWER_TOKENS)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.split()[1]


def server_argv(kind: str, port: int) -> tuple[list[str], dict[str, str]]:
    if kind == "gthread":
        return ([PY, "-m", "gunicorn", "chatmemory.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                 "--threads", "16", "--worker-class", "gthread", "--timeout", "120", "--backlog", "4096",
                 "--log-level", "error"], {"CONN_MAX_AGE": "60"})
    return ([PY, "-m", "gunicorn", "-c", "python:chatmemory.gunicorn", "chatmemory.asgi:application", "--bind",
             f"127.0.0.1:{port}", "--log-level", "error", "--access-logfile", "/dev/null"],
            {"WEB_CONCURRENCY": "2", "CONN_MAX_AGE": "0", "DATABASE_POOL_MAX_SIZE": "10"})


class ProcSampler:
    """RSS (sum, peak) and CPU time of a process and its children, from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_rss = pid, 0

    def _pids(self) -> list[int]:
        pids = [self.pid]
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            children = []
        return pids + [int(c) for c in children]

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def sample(self) -> None:
        rss = 0
        for pid in self._pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1]) * 1024
            except OSError:
                continue
        self.peak_rss = max(self.peak_rss, rss)


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server not ready")


WARM = 8  # turns sent to a fresh server before a level is measured (first requests import lazily)


def run_level(kind: str, n: int, ids: list[str], warm: list[str], token: str, model_url: str) -> dict[str, Any]:
    from tests.live_server_utils import free_port, stop_process

    port = free_port()
    argv, extra = server_argv(kind, port)
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        sessions_file, out_file = Path(tmp) / "sessions.json", Path(tmp) / "out.json"
        sessions_file.write_text(json.dumps(ids))
        server = subprocess.Popen(argv, cwd=ROOT, env=base_env(OPENAI_BASE_URL=model_url, **extra),
                                  stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / "server.log", "wb"))
        try:
            wait_ready(base, server)
            warm_file = Path(tmp) / "warm.json"
            warm_file.write_text(json.dumps(warm))
            subprocess.run([PY, str(ROOT / "bench" / "streaming_load.py"), base, token, str(warm_file), str(len(warm)),
                            str(Path(tmp) / "warm-out.json"), "--ramp", "0.5"], cwd=ROOT, check=True, timeout=120)
            sampler = ProcSampler(server.pid)
            cpu0, t0 = sampler.cpu_seconds(), time.monotonic()
            load = subprocess.Popen([PY, str(ROOT / "bench" / "streaming_load.py"), base, token, str(sessions_file),
                                     str(n), str(out_file), "--ramp", str(RAMP), "--timeout", str(TIMEOUT)], cwd=ROOT)
            while load.poll() is None:
                sampler.sample()
                time.sleep(0.5)
            cpu = (sampler.cpu_seconds() - cpu0) / (time.monotonic() - t0)
            counts = drain(sessions_file, n)  # a client that gave up still gets its turn stored
        finally:
            stop_process(server)  # type: ignore[arg-type]
        turns = json.loads(out_file.read_text())["turns"]
    return summarize(turns, counts, cpu, sampler.peak_rss)


def drain(sessions_file: Path, n: int) -> dict[str, int]:
    """The sessions' message counts once every turn is stored, or nothing changed for 5 s (≤ DRAIN s)."""
    deadline, last, still = time.monotonic() + DRAIN, None, 0.0
    while True:
        counts: dict[str, int] = django_script(CHECK, str(sessions_file))
        if sum(1 for v in counts.values() if v >= 2) >= n or time.monotonic() > deadline:
            return counts
        still = still + 1.0 if counts == last else 0.0
        if still >= 5:
            return counts
        last = counts
        time.sleep(1.0)


def summarize(turns: list[dict[str, Any]], counts: dict[str, int], cpu: float, rss: int) -> dict[str, Any]:
    ok = [t for t in turns if t["done"] and not t["error"]]
    added = sorted((t["ttft"] - TTFT_MS / 1000) * 1000 for t in turns if t["ttft"] is not None)
    rates = [t["tokens"] / (t["total"] - t["ttft"]) for t in ok if t["total"] > t["ttft"]]
    stored_once = sum(1 for t in turns if counts.get(t["session"]) == 2)  # also turns whose client gave up
    duplicated = sum(1 for v in counts.values() if v > 2)
    errors: dict[str, int] = {}
    for t in turns:
        if t["error"] or not t["done"]:
            key = t["error"] or "no done event"
            errors[key] = errors.get(key, 0) + 1
    return {
        "turns": len(turns), "done": len(ok), "errors": errors,
        "ttft_p50": pct(added, 50), "ttft_p99": pct(added, 99),
        "tokens_s": statistics.median(rates) if rates else None,
        "cpu": cpu * 100, "rss_mb": rss / 2**20, "stored_once": stored_once, "duplicated": duplicated,
    }


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def fmt(value: float | None, spec: str = ".0f") -> str:
    return "—" if value is None else format(value, spec)


def write_report(out: Path, results: dict[str, dict[int, dict[str, Any]]], started: float) -> None:
    lines = [
        "# Streaming benchmark: concurrent streamed turns, gthread (WSGI) vs ASGI",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench-streaming` (`bench/streaming_bench.py`) in "
        f"{time.monotonic() - started:.0f} s on {os.cpu_count()} cores ({platform.python_version()}, "
        f"{platform.machine()}); the load generator, the model server and PostgreSQL share the machine.",
        "",
        f"Model: `tests/openai_server.py` (own process), {TTFT_MS} ms to the first token, {TOKENS_PER_S} tokens/s, "
        f"{ANSWER_TOKENS} tokens per answer, through `ChatOpenAI` (`OPENAI_BASE_URL`). Each turn is "
        f"`POST /api/sessions/{{id}}/chat` with `Accept: text/event-stream` on its own session; N turns start "
        f"evenly over {RAMP:.0f} s and give up after {TIMEOUT:.0f} s. *Added TTFT* = time to the first token "
        f"event at the client − the model's {TTFT_MS} ms. *tokens/s* = median per turn over turns that finished. "
        "*finished* = turns whose client got `done` within the timeout. "
        "*CPU* = server (master + workers) CPU time over the level's wall time, in % of one core; *RSS* = "
        "peak sum. *Stored once* = turns whose session holds exactly its 2 messages (the database is "
        "checked after each level, once the turns of clients that gave up were stored too); *dup* = sessions holding "
        "more than 2.",
        "",
        "| deployment | streams | finished | errors | added TTFT p50 (ms) | added TTFT p99 (ms) | tokens/s | "
        "server CPU % | server RSS (MB) | stored once | dup |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, levels in results.items():
        for n, r in levels.items():
            errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) or "0"
            lines.append(
                f"| {kind} | {n:,} | {r['done']:,} | {errors} | {fmt(r['ttft_p50'])} | {fmt(r['ttft_p99'])} | "
                f"{fmt(r['tokens_s'], '.1f')} | {fmt(r['cpu'])} | {fmt(r['rss_mb'])} | {r['stored_once']:,} | "
                f"{r['duplicated']} |"
            )
    lines += ["", "Deployments: " + "; ".join(f"**{k}** = {v}" for k, v in DEPLOYMENTS.items()) + ".", ""]
    out.write_text("\n".join(lines))
    (out.with_suffix(".json")).write_text(json.dumps(results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-streaming.md"))
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--deployments", default=",".join(DEPLOYMENTS))
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers and the load generator
    started = time.monotonic()
    reset_stores()
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=base_env(), cwd=ROOT, check=True)
    kinds = args.deployments.split(",")
    setup = django_script(SETUP, str((sum(levels) + WARM * len(levels)) * len(kinds)))
    sessions, token = setup["sessions"], setup["token"]
    model, model_url = start_model()
    results: dict[str, dict[int, dict[str, Any]]] = {k: {} for k in kinds}
    try:
        for kind in kinds:
            for n in levels:
                ids, warm, sessions = sessions[:n], sessions[n:n + WARM], sessions[n + WARM:]
                log(f"{kind}: {n} concurrent streams")
                results[kind][n] = r = run_level(kind, n, ids, warm, token, model_url)
                log(f"  {r}")
    finally:
        model.terminate()
    write_report(Path(args.out), results, started)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
