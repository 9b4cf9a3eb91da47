"""Cache updates after the database commit, and read-your-own-writes inside a transaction."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from .api import append_entries, evict


# -- read-your-own-writes inside a transaction ----------------------------------------------------
# Cache updates run after the commit. Until then this connection sees its own uncommitted writes
# in the database but the cache does not, so the sessions it wrote are *dirty* for it: its reads
# of them bypass the cache (and never fill it with uncommitted data) until the commit.
def _dirty_set(connection: Any, create: bool = False) -> set[uuid.UUID] | None:
    dirty = getattr(connection, "_chatmemory_dirty", None)
    if dirty is None and create:
        dirty = set()
        setattr(connection, "_chatmemory_dirty", dirty)  # noqa: B010 - per-connection state Django has no slot for
    return dirty


def _connection() -> Any:
    return connections[DEFAULT_DB_ALIAS]  # once: the ``connection`` proxy resolves it on every attribute


def is_dirty(session_id: uuid.UUID) -> bool:
    """Whether this connection has uncommitted writes to the session (read the database then)."""
    connection = _connection()
    dirty = _dirty_set(connection)
    if not dirty:
        return False
    if not connection.in_atomic_block:  # committed or rolled back since: nothing is pending
        dirty.clear()
        return False
    return session_id in dirty


def _after_commit(session_ids: Sequence[uuid.UUID], action: Callable[[], None]) -> None:
    connection = _connection()
    if not connection.in_atomic_block and connection.get_autocommit():
        action()  # autocommit: the write is committed already (what ``on_commit`` does then)
        return
    dirty = _dirty_set(connection, create=True)
    assert dirty is not None
    dirty.update(session_ids)

    def run() -> None:
        action()
        dirty = _dirty_set(_connection())
        if dirty:
            dirty.difference_update(session_ids)

    transaction.on_commit(run)


def append_after_commit(session_id: uuid.UUID, entries: Sequence[tuple[int, str]]) -> None:
    """Add the messages to the cache once the current transaction commits (at once in autocommit)."""
    _after_commit([session_id], lambda: append_entries(session_id, entries))


def evict_after_commit(*session_ids: uuid.UUID, gone: bool = False) -> None:
    """Evict the sessions once the current transaction commits (at once in autocommit);
    ``gone=True`` for deleted sessions (see ``api.evict``)."""
    _after_commit(list(session_ids), lambda: evict(*session_ids, gone=gone))


def evict_deleted_session(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_delete`` receiver for ``ChatSession``: evict (as deleted) after the commit.

    The services evict explicitly; this catches deletions they do not see, such as the cascade
    from deleting a user (Django sends ``post_delete`` for cascaded sessions).
    """
    evict_after_commit(instance.pk, gone=True)
