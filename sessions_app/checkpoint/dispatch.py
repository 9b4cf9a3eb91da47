"""Where the saver's database work runs, so that no thread leaks a database connection.

Django opens one connection per thread and closes it only at the end of a request (or when a
thread calls ``connection.close()``). ``graph.invoke`` calls ``put``/``put_writes`` from the
worker threads of a short-lived thread pool, and the async API must not block the event loop; a
saver that simply used ``connection`` there would open a new connection per worker thread and
leave it open (the leak ``langgraph-checkpoint-django`` has).

The rule implemented by :func:`run_sync` and :func:`run_async`:

* Any thread **inside an atomic block** (it must see its own uncommitted rows), and the **main
  thread** when no event loop runs on it, run the query inline on their own connection, which
  Django manages as usual (request/command lifecycle).
* Every other caller — pool threads of ``graph.invoke``, the event loop (async methods), and a
  *sync* call made on a thread that runs an event loop (``graph.invoke()`` in a Jupyter cell or in
  an async view: Django refuses the ORM there with ``SynchronousOnlyOperation``) — hands the work
  to **one dedicated daemon thread** ("checkpoint-db") and waits for it (async methods await it
  without blocking the loop; a sync call blocks its caller, as a sync call does). That thread
  keeps one persistent connection for the life of the process, exactly like Django's
  ``sync_to_async(thread_sensitive=True)`` funnels async views' ORM work through one thread. So
  the saver holds at most one extra connection, however many threads or invokes use it, and
  never reconnects per call.

:func:`close_db_thread` closes that connection and stops the thread (called at exit, and by
tests before the test database is dropped). A connection that raised an error is health-checked
(and replaced if broken) before its next use, as ``close_old_connections()`` would.
"""
from __future__ import annotations

import asyncio
import atexit
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

from ..db.loop import event_loop_running
from ..observability.metrics import checkpoint_timer

T = TypeVar("T")

_THREAD_NAME = "checkpoint-db"
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_THREAD_NAME)
        return _executor


def _on_db_thread() -> bool:
    return threading.current_thread().name.startswith(_THREAD_NAME)


def _call_on_db_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.connection is not None and conn.errors_occurred:
        # An error since the last use: keep the connection only if it still works.
        conn.close_if_unusable_or_obsolete()
    return fn(*args, **kwargs)


def runs_inline() -> bool:
    """Whether the current thread runs saver queries on its own connection (see module doc).

    A thread running an event loop never does (unless it is inside an atomic block, which it could
    only have opened with ``DJANGO_ALLOW_ASYNC_UNSAFE``): a sync call there blocks the loop while
    the checkpoint-db thread does the work, as a sync call must, but never runs the ORM on it.
    """
    if _on_db_thread() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return True
    return threading.current_thread() is threading.main_thread() and not event_loop_running()


def run_sync(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` inline or on the checkpoint-db thread (blocking until done);
    timed as ``chatmemory_checkpoint_op_duration_seconds{op=fn's name}``."""
    with checkpoint_timer(fn.__name__.lstrip("_")):
        if runs_inline():
            return fn(*args, **kwargs)
        return _get_executor().submit(_call_on_db_thread, fn, *args, **kwargs).result()


async def run_async(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Await ``fn(*args, **kwargs)`` run on the checkpoint-db thread; the event loop stays free."""
    loop = asyncio.get_running_loop()
    with checkpoint_timer(fn.__name__.lstrip("_")):
        return await loop.run_in_executor(
            _get_executor(), functools.partial(_call_on_db_thread, fn, *args, **kwargs)
        )


def close_db_thread() -> None:
    """Close the checkpoint-db thread's connections and stop the thread (it restarts on demand)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is None:
        return
    try:
        executor.submit(connections.close_all).result(timeout=30)
    except RuntimeError:
        # At interpreter exit the pool was already shut down (its exit hook runs before ours):
        # its thread is gone and the process exit closes the socket.
        return
    executor.shutdown(wait=True)


atexit.register(close_db_thread)
