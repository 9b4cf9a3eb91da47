"""``/metrics``'s body: this process's registry, or every process's with ``PROMETHEUS_MULTIPROC_DIR``."""
from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector


def render() -> tuple[bytes, str]:
    """The Prometheus text exposition (``bytes``) and its content type.

    In multiprocess mode a fresh registry collects the files of every process (gunicorn workers
    and Celery processes sharing the directory), as prometheus-client documents; otherwise the
    default registry of this process (which also has the process and platform collectors).
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
