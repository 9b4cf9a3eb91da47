"""gunicorn settings for the HTTP benchmark: dump the memory-layer timers when a worker exits."""
from __future__ import annotations

from typing import Any


def worker_exit(server: Any, worker: Any) -> None:
    from bench.timed_wsgi import dump

    dump()
