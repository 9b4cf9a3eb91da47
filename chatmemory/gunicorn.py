"""gunicorn's configuration for the web process (``make serve``, the Procfile, ``docs/deploy.md``).

``gunicorn -c python:chatmemory.gunicorn chatmemory.asgi:application`` runs ``WEB_CONCURRENCY``
uvicorn workers (ASGI: uvloop and httptools when installed), each serving thousands of streamed
answers on one event loop, on ``HOST``:``PORT``. gunicorn supervises them: restarts a dead one,
recycles each after ``WEB_MAX_REQUESTS`` requests (± jitter; 0 = never), and on ``SIGTERM`` gives
running streams ``WEB_GRACEFUL_TIMEOUT`` seconds to finish (their turns are stored) before it stops.

Metrics: with ``PROMETHEUS_MULTIPROC_DIR`` set, ``child_exit`` tells prometheus-client a worker is
gone, so its live gauges (``chatmemory_active_streams``) stop counting.
"""
from __future__ import annotations

import os
from typing import Any

from uvicorn_worker import UvicornWorker as _UvicornWorker

from chatmemory.env import env_int, env_str

bind = [f"{env_str('HOST', '127.0.0.1')}:{env_int('PORT', 8000, minimum=1)}"]
workers = env_int("WEB_CONCURRENCY", 2, minimum=1)
worker_class = "chatmemory.gunicorn.UvicornWorker"
backlog = env_int("WEB_BACKLOG", 4096, minimum=64)
timeout = env_int("WEB_TIMEOUT", 60, minimum=1)  # seconds without a heartbeat before a worker is killed
graceful_timeout = env_int("WEB_GRACEFUL_TIMEOUT", 90, minimum=1)  # seconds; an answer at 20 tokens/s
keepalive = env_int("WEB_KEEPALIVE", 5, minimum=1)  # seconds
max_requests = env_int("WEB_MAX_REQUESTS", 0, minimum=0)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-" if env_str("WEB_ACCESS_LOG", "true").lower() in ("1", "true", "yes", "on") else None
errorlog = "-"
loglevel = env_str("WEB_LOG_LEVEL", "info")
proc_name = "chatmemory-web"


class UvicornWorker(_UvicornWorker):
    """uvicorn under gunicorn, without the lifespan protocol (Django has none to offer)."""

    CONFIG_KWARGS: dict[str, Any] = {"loop": "auto", "http": "auto", "lifespan": "off"}


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
