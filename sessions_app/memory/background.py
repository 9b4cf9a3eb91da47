"""Run a memory task without making the turn wait: Celery when there is a broker, else a thread.

``submit("sessions_app.update_summary", session_id)`` sends the task by name
(``celery.current_app.send_task``: no import of the ``tasks`` interface module from the domain).
On the embedded default (no broker, ``CELERY_TASK_ALWAYS_EAGER``) an eager task would run inside
the request; instead it runs on one "memory-bg" daemon thread, which closes its database
connection after each job. ``drain()`` waits for the jobs submitted so far (tests, shutdown).
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connections

logger = logging.getLogger("sessions_app.memory")
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memory-bg")


def submit(task_name: str, *args: Any) -> None:
    """Queue ``task_name(*args)``; never blocks on the task itself."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        _executor.submit(_run, task_name, args)
    else:
        current_app.send_task(task_name, args=list(args))


def _run(task_name: str, args: tuple[Any, ...]) -> None:
    try:
        if task_name not in current_app.tasks:  # a web process: import the apps' tasks modules (autodiscovery)
            current_app.loader.import_default_modules()
        result = current_app.tasks[task_name].apply(args=args)
        if result.failed():
            logger.error("memory task %s%r failed: %s", task_name, args, result.result)
    except Exception:  # a background job must not die silently, nor kill the thread
        logger.exception("memory task %s%r failed", task_name, args)
    finally:
        connections.close_all()


def drain(timeout: float = 60) -> None:
    """Wait until every job submitted before this call has finished."""
    _executor.submit(lambda: None).result(timeout=timeout)
