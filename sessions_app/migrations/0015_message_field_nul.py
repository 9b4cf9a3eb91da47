"""``ChatMessage.message`` becomes a ``MessageField``: a ``JSONField`` that keeps U+0000 exactly.

No schema change (the column stays ``jsonb`` / JSON text; ``sqlmigrate`` prints no SQL) and no data
step: a record is escaped only when it holds U+0000, which PostgreSQL could never store before, and
SQLite rows holding ``\\u0000`` read back unchanged (see ``sessions_app.models.fields``).
"""
from django.db import migrations

import sessions_app.models.fields


class Migration(migrations.Migration):

    dependencies = [
        ("sessions_app", "0014_deleted_session"),
    ]

    operations = [
        migrations.AlterField(
            model_name="chatmessage",
            name="message",
            field=sessions_app.models.fields.MessageField(),
        ),
    ]
