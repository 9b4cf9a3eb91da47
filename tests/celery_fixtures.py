"""A REAL Celery worker for tests (``worker_app``): ``celery.contrib.testing.worker.start_worker``.

Broker: Redis db 9 when ``REDIS_URL`` is set (override with ``CHATMEMORY_TEST_BROKER_URL``), else
kombu's in-process ``memory://`` transport — a real worker consuming a real queue either way, not
the eager mode the embedded default uses for requests. Tasks run on the worker's thread
(``ran_in`` records its name); its database connection is closed after each task.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection

from chatmemory.celery import app as project_app


def _broker_url() -> str:
    if settings.REDIS_URL:
        return os.environ.get("CHATMEMORY_TEST_BROKER_URL", "redis://127.0.0.1:6379/9")
    return "memory://"


ran_in: list[str] = []


def _close_worker_connection(**kwargs: object) -> None:
    ran_in.append(threading.current_thread().name)
    connection.close()  # the worker thread's own DB connection; the test DB must be droppable


@pytest.fixture
def worker_app() -> Iterator[Celery]:
    """A Celery app configured like the project's but on a real broker, with a worker running."""
    broker = _broker_url()
    app = Celery("chatmemory-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=broker,
        result_backend=broker if broker.startswith("redis") else "cache+memory://",
        task_always_eager=False,
        broker_connection_retry_on_startup=False,
        broker_connection_timeout=2,  # seconds
    )
    if broker.startswith("redis"):
        import redis

        redis.Redis.from_url(broker, socket_timeout=2).flushdb()  # this test's own broker db
    ran_in.clear()
    task_postrun.connect(_close_worker_connection, weak=False)
    previous = project_app
    app.set_current()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield app
    finally:
        # start_worker also made the test app the *default* app (what threads other than this one,
        # e.g. live_server's, resolve tasks with): give both roles back to the project's app.
        previous.set_current()
        previous.set_default()
        task_postrun.disconnect(_close_worker_connection)


def wait_for(predicate: Callable[[], object], timeout: float = 30.0) -> bool:
    """Poll ``predicate`` every 0.1 s until it is true (``True``) or ``timeout`` seconds passed (``False``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
