"""The app for the HTTP benchmark: ``chatmemory.wsgi`` with timers around the memory layer.

Measures, per worker process, the server time of every request (the WSGI call, body included)
and the time spent in the memory layer of ``DjangoChatMessageHistory`` — building it (the
ownership gate), ``get_recent_messages`` (the context read) and ``session_append`` (the turn's
write). Totals are written to ``$BENCH_STATS_DIR/<pid>.json`` when the worker exits
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
from sessions_app.history import DjangoChatMessageHistory

_lock = threading.Lock()
TOTALS: dict[str, float] = {"requests": 0, "server_s": 0.0, "memory_s": 0.0, "memory_calls": 0}
_local = threading.local()


def _timed(func: Any) -> Any:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "inside", False):  # nested call (e.g. add_messages → session_append)
            return func(*args, **kwargs)
        _local.inside = True
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            _local.inside = False
            with _lock:
                TOTALS["memory_s"] += time.perf_counter() - start
                TOTALS["memory_calls"] += 1

    return wrapper


for _name in ("__init__", "get_recent_messages", "session_append"):
    setattr(DjangoChatMessageHistory, _name, _timed(getattr(DjangoChatMessageHistory, _name)))


def application(environ: dict[str, Any], start_response: Any) -> Any:
    start = time.perf_counter()
    body = b"".join(django_application(environ, start_response))
    with _lock:
        TOTALS["requests"] += 1
        TOTALS["server_s"] += time.perf_counter() - start
    return [body]


def dump() -> None:
    out = Path(os.environ["BENCH_STATS_DIR"]) / f"{os.getpid()}.json"
    with _lock:
        out.write_text(json.dumps(TOTALS))
