"""The full-text objects of the store that Django's model state does not know (see migration 0009).

On SQLite a later migration that rebuilds ``sessions_app_storeitem`` (Django's ``_remake_table``:
most ``AlterField``/``AddField`` operations) drops its triggers, and the FTS5 index would silently
stop following writes. ``ensure_fts`` re-creates whatever is missing (idempotent: ``IF NOT
EXISTS``, then a ``rebuild`` of the index when a trigger had to be re-created); ``apps.py`` runs it
after every ``migrate``. PostgreSQL's GIN index survives table changes and needs nothing here.
"""
from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

T = "sessions_app_storeitem"
FTS = f"{T}_fts"
TRIGGERS = {
    "storeitem_fts_ai": f"AFTER INSERT ON {T} BEGIN INSERT INTO {FTS}(rowid, search_text) "
                        "VALUES (new.id, new.search_text); END",
    "storeitem_fts_ad": f"AFTER DELETE ON {T} BEGIN INSERT INTO {FTS}({FTS}, rowid, search_text) "
                        "VALUES ('delete', old.id, old.search_text); END",
    "storeitem_fts_au": f"AFTER UPDATE OF search_text ON {T} BEGIN INSERT INTO {FTS}({FTS}, rowid, search_text) "
                        "VALUES ('delete', old.id, old.search_text); INSERT INTO {FTS}(rowid, search_text) "
                        "VALUES (new.id, new.search_text); END",
}


def ensure_fts(using: str = DEFAULT_DB_ALIAS, **_: Any) -> bool:
    """Re-create missing FTS5 triggers of the store on SQLite; ``True`` if anything was missing."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE 'storeitem%%' "
                    "OR name = %s OR name = %s", [T, FTS])
        present = {row[0] for row in cur.fetchall()}
        if T not in present or FTS not in present:
            return False  # before migration 0009 (or after it was unapplied): nothing to keep in sync
        missing = [name for name in TRIGGERS if name not in present]
        for name in missing:
            cur.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {TRIGGERS[name]}")
        if missing:
            cur.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")
    return bool(missing)
