"""Tombstones of deleted conversations (``DeletedSession``) and the trigger that writes one for any delete.

The services write their tombstones themselves (with the delete's reason) in the delete's
transaction; the trigger is the backstop for deletes that bypass them (a cascade from a user row,
the shell, raw SQL): every row deleted from the session table leaves a tombstone, reason
``delete``, unless one is there already. PostgreSQL: one statement-level trigger (a transition
table: one INSERT per DELETE statement, whatever its row count). SQLite: a row trigger.
"""
import django.utils.timezone
from django.db import migrations, models

SESSIONS = "sessions_app_chatsession"
TOMBS = "sessions_app_deletedsession"
TRIGGER = "sessions_app_chatsession_tombstone"

FORWARD = {
    "postgresql": [
        f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {TOMBS} (session_id, deleted_at, reason) SELECT id, now(), 'delete' FROM gone "
        "ON CONFLICT (session_id) DO NOTHING; RETURN NULL; END $$",
        f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON {SESSIONS} REFERENCING OLD TABLE AS gone "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()",
    ],
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER} AFTER DELETE ON {SESSIONS} BEGIN "
        f"INSERT OR IGNORE INTO {TOMBS} (session_id, deleted_at, reason) "
        "VALUES (old.id, strftime('%Y-%m-%d %H:%M:%f', 'now'), 'delete'); END",
    ],
}
BACKWARD = {
    "postgresql": [f"DROP TRIGGER IF EXISTS {TRIGGER} ON {SESSIONS}", f"DROP FUNCTION IF EXISTS {TRIGGER}()"],
    "sqlite": [f"DROP TRIGGER IF EXISTS {TRIGGER}"],
}


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('sessions_app', '0013_beat_lease'),
    ]

    operations = [
        migrations.CreateModel(
            name='DeletedSession',
            fields=[
                ('session_id', models.UUIDField(help_text="The deleted conversation's id.", primary_key=True, serialize=False)),
                ('deleted_at', models.DateTimeField(default=django.utils.timezone.now, help_text='When it was deleted.')),
                ('reason', models.CharField(default='delete', help_text='The audit action that deleted it (delete, purge, expire, erase).', max_length=20)),
            ],
            options={
                'verbose_name': 'deleted conversation',
                'indexes': [models.Index(fields=['deleted_at'], name='deletedsession_deleted_idx')],
            },
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
