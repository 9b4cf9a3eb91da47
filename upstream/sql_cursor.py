"""The psycopg-cursor-shaped object upstream's tests get from ``saver._cursor()`` / ``store._cursor()``.

A few of upstream's saver and store tests run raw SQL on upstream's tables (reading rows, backdating
``expires_at``). ``saver_adapters.py`` and ``store_plugin.py`` answer with these: the same SQL on
Django's connection, upstream's table names mapped to ours (``rename``: our models keep upstream's
column names), run through the caller's ``call`` / ``acall`` (the thread its saver or store queries
on), with ``execute``, ``fetchone`` / ``fetchall`` as dict rows and ``rowcount``.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


class DictCursor:
    """``execute`` / ``fetchone`` / ``fetchall`` with dict rows, ``rowcount``."""

    def __init__(self, rename: Callable[[str], str], call: Callable[..., Any]) -> None:
        self._rename, self._call = rename, call
        self.rows: list[dict[str, Any]] = []
        self.rowcount = -1

    def _run(self, sql: str, params: Any = None) -> None:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(self._rename(sql), params)
            self.rowcount = cur.rowcount
            cols = [c[0] for c in cur.description] if cur.description else []
            self.rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()] if cols else []

    def execute(self, sql: str, params: Any = None) -> None:
        self._call(self._run, sql, params)

    def fetchone(self) -> dict[str, Any] | None:
        return self.rows.pop(0) if self.rows else None

    def fetchall(self) -> list[dict[str, Any]]:
        rows, self.rows = self.rows, []
        return rows


class AsyncDictCursor(DictCursor):
    """The same, awaited (``acall`` runs the query off the event loop)."""

    def __init__(self, rename: Callable[[str], str], acall: Callable[..., Awaitable[Any]]) -> None:
        super().__init__(rename, acall)
        self._acall = acall

    async def execute(self, sql: str, params: Any = None) -> None:  # type: ignore[override]
        await self._acall(self._run, sql, params)

    async def fetchone(self) -> dict[str, Any] | None:  # type: ignore[override]
        return DictCursor.fetchone(self)

    async def fetchall(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return DictCursor.fetchall(self)
