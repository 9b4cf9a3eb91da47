"""The app for the HTTP benchmark: ``chatmemory.wsgi`` with timers around the memory layer.

Measures, per worker process, the server time of every request (the WSGI call, body included)
and the time spent in the memory layer of ``DjangoChatMessageHistory`` — building it
(``__init__``/``from_session``), ``get_recent_messages`` (the context read) and
``session_append`` (the turn's write) — twice: wall clock (``time.perf_counter``: includes
waiting for PostgreSQL, Redis and the GIL) and the thread's CPU time (``time.thread_time``).
Totals are written to ``$BENCH_STATS_DIR/<pid>.json`` when the worker exits
(``bench/gunicorn_bench.py``'s ``worker_exit`` hook). Benchmark-only: nothing here is imported
by the app.
"""
from __future__ import annotations

import functools
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from chatmemory.wsgi import application as django_application
from sessions_app.conversations.history import DjangoChatMessageHistory

_lock = threading.Lock()
TOTALS: dict[str, float] = {"requests": 0, "server_s": 0.0, "memory_s": 0.0, "memory_calls": 0,
                            "server_cpu_s": 0.0, "memory_cpu_s": 0.0}
_local = threading.local()


def _timed(func: Any) -> Any:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "inside", False):  # nested call (e.g. add_messages → session_append)
            return func(*args, **kwargs)
        _local.inside = True
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return func(*args, **kwargs)
        finally:
            _local.inside = False
            wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
            with _lock:
                TOTALS["memory_s"] += wall
                TOTALS["memory_cpu_s"] += cpu
                TOTALS["memory_calls"] += 1

    return wrapper


for _name in ("__init__", "from_session", "get_recent_messages", "session_append"):
    _attr = DjangoChatMessageHistory.__dict__[_name]
    if isinstance(_attr, classmethod):
        setattr(DjangoChatMessageHistory, _name, classmethod(_timed(_attr.__func__)))
    else:
        setattr(DjangoChatMessageHistory, _name, _timed(_attr))


def application(environ: dict[str, Any], start_response: Any) -> Any:
    start, cpu = time.perf_counter(), time.thread_time()
    body = b"".join(django_application(environ, start_response))
    wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
    with _lock:
        TOTALS["requests"] += 1
        TOTALS["server_s"] += wall
        TOTALS["server_cpu_s"] += cpu
    return [body]


def dump() -> None:
    out = Path(os.environ["BENCH_STATS_DIR"]) / f"{os.getpid()}.json"
    with _lock:
        out.write_text(json.dumps(TOTALS))
