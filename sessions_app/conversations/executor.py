"""The storage executor of the async chat path: how async views and ``ChatTurn``'s async twins
reach the database and the cache without running the ORM on the event loop.

``storage_call(func)`` is ``func`` as a coroutine function on Django's thread-sensitive executor
(``sync_to_async(thread_sensitive=True)``: per request one thread, the mode Django's own async
session and auth code uses, so a call sees the request's connection state), and hands the
thread's database connections back after it (``db.release_connections``: to psycopg's pool with
``CONN_MAX_AGE=0``). ``start_turn`` runs an interface's start step (gate, rate limit,
``ChatTurn(...).prepare()``) that way: one hop before the model is called.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async

from ..db import release_connections

T = TypeVar("T")


async def start_turn(begin: Callable[..., T], *args: Any) -> T:
    """``begin(*args)`` — the interface's gate, rate limit and ``ChatTurn(...)`` — on the storage
    executor: how an async view starts a turn."""
    result: T = await storage_call(begin)(*args)
    return result


def storage_call(func: Callable[..., T]) -> Callable[..., Any]:
    """``func`` as a coroutine function on Django's thread-sensitive executor, this thread's
    database connections handed back after it (see the module docstring)."""

    @functools.wraps(func)
    def released(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        finally:
            release_connections()

    return sync_to_async(released, thread_sensitive=True)
