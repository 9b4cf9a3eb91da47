"""Database routing for read replicas (``DATABASE_REPLICA_URLS``): the router and the read-your-writes middleware.

What may read from a replica, how replicas are measured and skipped, and how a user who just
wrote keeps reading the primary are in ``sessions_app.db.replicas``; this module only plugs it
into Django (``DATABASE_ROUTERS``, ``MIDDLEWARE``), both added by ``chatmemory.settings_scale``
when replicas are configured.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.db import DEFAULT_DB_ALIAS

from sessions_app.db.replicas import (
    REPLICA_PREFIX,
    UNSAFE_METHODS,
    current_read_alias,
    note_write,
    replica_aliases,
    request_user_id,
)


class ReadYourWritesMiddleware:
    """After an unsafe request (POST/PUT/PATCH/DELETE) pin its user to the primary (``note_write``).

    Sync and async (ASGI): a sync-only middleware would put every request through a thread; the
    pin (the lazy user, the cache) runs on Django's executor there."""

    sync_capable = async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        response = self.get_response(request)
        if request.method in UNSAFE_METHODS:
            note_write(request_user_id(request))
        return response

    async def _acall(self, request: Any) -> Any:
        response = await self.get_response(request)
        if request.method in UNSAFE_METHODS:
            await sync_to_async(lambda: note_write(request_user_id(request)))()
        return response


# -- the router -----------------------------------------------------------------------------------------
class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads in a ``replica_reads`` block may go to a replica, all else to
    ``default``; relations between the primary and its replicas are allowed (same data)."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return current_read_alias()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        ours = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        if db.startswith(REPLICA_PREFIX):
            return False  # a replica gets the schema by streaming; it is read-only anyway
        return None
