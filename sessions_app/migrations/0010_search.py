"""Full-text search of conversations (issue 13): an index kept in sync by the database itself.

**PostgreSQL.** ``search_vector`` on messages and on conversations is a *generated* column,
``to_tsvector('chatmemory_simple', …)`` of the text (the first 100,000 characters of a message; the title),
with a GIN index. The database computes it on every INSERT and UPDATE, so every write path —
``messages_append``'s one-statement INSERT, the importer's ``bulk_create``, a ``QuerySet.update``
of ``content_text``, raw SQL — keeps the index current, and a deleted row takes its entry with it.
``chatmemory_simple`` is PostgreSQL's ``simple`` configuration (lower-case, split on non-letters,
no stemming, no stop words: the same for every language, no English stemmer mangling German or
Portuguese) with accents folded by the ``unaccent`` dictionary ("cafe" finds "café"), like the
SQLite index below.

The trigram index of 0006 on ``UPPER(content_text)`` goes: it made the ShareGPT import 2.2×
slower (22 s → 49 s on a quiet machine) and full-text search now serves the admin's message
search. A trigram index on ``UPPER(title)`` replaces it (titles are short: no measurable import
cost) for substring/partial-word search of titles.

**SQLite** (the embedded default). An FTS5 table over ``content_text`` (external content: it
stores only the index, the text stays in the message table), ``unicode61`` tokenizer with
diacritics folded, kept in sync by three triggers (insert, delete, update of ``content_text``) —
triggers fire for ``bulk_create`` and ``QuerySet.update`` too. A table rebuild by a later
migration on SQLite (``_remake_table``) drops triggers: ``sessions_app.search.schema`` re-creates
them after every ``migrate`` (``post_migrate``) and the check ``sessions_app.E001`` reports them
missing. Titles are matched with ``LIKE`` on SQLite (the owner's conversations only).

None of these objects is in Django's model state (``makemigrations`` does not see them); the
SQL lives in ``sessions_app/search/schema.py``'s twin below, repeated here so this migration
never changes when that module does.
"""
from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION chatmemory_simple (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION chatmemory_simple ALTER MAPPING FOR word, hword, hword_part, numword, "
    "numhword, hword_numpart WITH unaccent, simple",
    "ALTER TABLE sessions_app_chatmessage ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('chatmemory_simple'::regconfig, left(content_text, 100000))) STORED",
    "CREATE INDEX chatmessage_search_idx ON sessions_app_chatmessage USING gin (search_vector)",
    "ALTER TABLE sessions_app_chatsession ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('chatmemory_simple'::regconfig, title)) STORED",
    "CREATE INDEX chatsession_search_idx ON sessions_app_chatsession USING gin (search_vector)",
    "DROP INDEX IF EXISTS chatmessage_text_trgm_idx",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX chatsession_title_trgm_idx ON sessions_app_chatsession USING gin (UPPER(title) gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS chatsession_title_trgm_idx",
    "CREATE INDEX IF NOT EXISTS chatmessage_text_trgm_idx ON sessions_app_chatmessage "
    "USING gin (UPPER(content_text) gin_trgm_ops)",
    "ALTER TABLE sessions_app_chatsession DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE sessions_app_chatmessage DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS chatmemory_simple",
]

FTS = "sessions_app_chatmessage_fts"
SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(content_text, content='sessions_app_chatmessage', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_insert AFTER INSERT ON sessions_app_chatmessage BEGIN "
    f"INSERT INTO {FTS}(rowid, content_text) VALUES (new.id, new.content_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_delete AFTER DELETE ON sessions_app_chatmessage BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, content_text) VALUES ('delete', old.id, old.content_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_update AFTER UPDATE OF content_text ON sessions_app_chatmessage BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, content_text) VALUES ('delete', old.id, old.content_text); "
    f"INSERT INTO {FTS}(rowid, content_text) VALUES (new.id, new.content_text); END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_insert",
    f"DROP TRIGGER IF EXISTS {FTS}_delete",
    f"DROP TRIGGER IF EXISTS {FTS}_update",
    f"DROP TABLE IF EXISTS {FTS}",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("sessions_app", "0009_store"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
            elidable=False,
        ),
    ]
