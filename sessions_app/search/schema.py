"""The search index's database objects, and their repair on SQLite.

PostgreSQL: generated ``search_vector`` columns + GIN indexes (migration ``0010_search``); nothing
can drop them silently. SQLite: the FTS5 table ``FTS_TABLE`` and three triggers. Django rebuilds
an SQLite table for some later schema changes (``_remake_table``: copy, drop, rename), which drops
that table's triggers — the index would then silently stop following writes. ``ensure_index``
(run after every ``migrate`` by ``post_migrate``) re-creates missing triggers and rebuilds the
index from the messages; ``index_problems`` is what the system check ``sessions_app.E001`` reports.
"""
from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

MESSAGE_TABLE = "sessions_app_chatmessage"
SESSION_TABLE = "sessions_app_chatsession"
FTS_TABLE = "sessions_app_chatmessage_fts"
TRIGGERS = {
    f"{FTS_TABLE}_insert": (
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON {MESSAGE_TABLE} BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, content_text) VALUES (new.id, new.content_text); END"
    ),
    f"{FTS_TABLE}_delete": (
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON {MESSAGE_TABLE} BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, content_text) VALUES ('delete', old.id, old.content_text); END"
    ),
    f"{FTS_TABLE}_update": (
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF content_text ON {MESSAGE_TABLE} BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, content_text) VALUES ('delete', old.id, old.content_text); "
        f"INSERT INTO {FTS_TABLE}(rowid, content_text) VALUES (new.id, new.content_text); END"
    ),
}
CREATE_FTS = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(content_text, content='{MESSAGE_TABLE}', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)


def _sqlite_objects(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE %s", [f"{FTS_TABLE}%"])
        return {row[0] for row in cursor.fetchall()}


def _pg_columns(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'search_vector' "
            "AND table_name IN (%s, %s) AND table_schema = current_schema()", [MESSAGE_TABLE, SESSION_TABLE],
        )
        return {row[0] for row in cursor.fetchall()}


def index_problems(connection: BaseDatabaseWrapper) -> list[str]:
    """What is missing of the search index on this database (``[]`` when complete or not migrated yet)."""
    tables = connection.introspection.table_names()
    if MESSAGE_TABLE not in tables:
        return []
    if connection.vendor == "sqlite":
        present = _sqlite_objects(connection)
        if FTS_TABLE not in present:
            return []  # migration 0009 not applied yet: migrate will create everything
        return [f"trigger {name} is missing" for name in TRIGGERS if name not in present]
    if connection.vendor == "postgresql":
        columns = _pg_columns(connection)
        if not columns:
            return []
        return [f"{table}.search_vector is missing" for table in (MESSAGE_TABLE, SESSION_TABLE) if table not in columns]
    return []


def ensure_index(connection: BaseDatabaseWrapper) -> bool:
    """Re-create missing SQLite triggers and rebuild the FTS5 index from the messages; whether it did.

    Idempotent and cheap when nothing is missing (one catalog query). A no-op on PostgreSQL.
    """
    if connection.vendor != "sqlite" or not index_problems(connection):
        return False
    with connection.cursor() as cursor:
        cursor.execute(CREATE_FTS)
        for statement in TRIGGERS.values():
            cursor.execute(statement)
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    return True
