"""The LangGraph store (``sessions_app.store.DjangoStore``): items, vectors, full-text search.

Full-text search is per vendor: on PostgreSQL a GIN index over ``to_tsvector('simple',
search_text)`` (the language-agnostic configuration: no stemming, no stop words, any script);
on SQLite an FTS5 table over ``search_text`` (external content, ``unicode61`` tokenizer) kept by
triggers, so every write path (the store, bulk deletes, cascades) keeps it in sync."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

FTS = {
    "postgresql": (
        ["CREATE INDEX storeitem_fts_idx ON sessions_app_storeitem USING gin (to_tsvector('simple', search_text))"],
        ["DROP INDEX IF EXISTS storeitem_fts_idx"],
    ),
    "sqlite": (
        [
            "CREATE VIRTUAL TABLE sessions_app_storeitem_fts USING fts5(search_text, "
            "content='sessions_app_storeitem', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
            "CREATE TRIGGER storeitem_fts_ai AFTER INSERT ON sessions_app_storeitem BEGIN "
            "INSERT INTO sessions_app_storeitem_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
            "CREATE TRIGGER storeitem_fts_ad AFTER DELETE ON sessions_app_storeitem BEGIN "
            "INSERT INTO sessions_app_storeitem_fts(sessions_app_storeitem_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); END",
            "CREATE TRIGGER storeitem_fts_au AFTER UPDATE OF search_text ON sessions_app_storeitem BEGIN "
            "INSERT INTO sessions_app_storeitem_fts(sessions_app_storeitem_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); "
            "INSERT INTO sessions_app_storeitem_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
        ],
        [
            "DROP TRIGGER IF EXISTS storeitem_fts_au",
            "DROP TRIGGER IF EXISTS storeitem_fts_ad",
            "DROP TRIGGER IF EXISTS storeitem_fts_ai",
            "DROP TABLE IF EXISTS sessions_app_storeitem_fts",
        ],
    ),
}


def create_fts(apps, schema_editor):
    for statement in FTS.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(statement)


def drop_fts(apps, schema_editor):
    for statement in FTS.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('sessions_app', '0008_checkpoint_thread_table'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditlogentry',
            name='action',
            field=models.CharField(choices=[('archive', 'Archive'), ('unarchive', 'Unarchive'), ('delete', 'Delete'), ('purge', 'Purge archived'), ('expire', 'Delete expired'), ('prune_state', 'Prune state versions'), ('export', 'Export'), ('import', 'Import'), ('erase', 'Erase user'), ('store_delete', 'Delete memory items'), ('store_expire', 'Delete expired memory items')], max_length=16),
        ),
        migrations.CreateModel(
            name='StoreItem',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('prefix', models.TextField(help_text="The namespace, labels joined by '.'.")),
                ('key', models.TextField()),
                ('value', models.JSONField()),
                ('search_text', models.TextField(blank=True, default='', help_text='What full-text search sees.')),
                ('owner_id', models.BigIntegerField(blank=True, help_text='The user the namespace belongs to.', null=True)),
                ('tenant', models.CharField(blank=True, default='', max_length=64)),
                ('session_id', models.UUIDField(blank=True, help_text='The conversation the namespace belongs to.', null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField(blank=True, null=True)),
                ('ttl_minutes', models.FloatField(blank=True, null=True)),
            ],
            options={
                'verbose_name': 'store item',
                'indexes': [models.Index(fields=['prefix'], name='storeitem_prefix_idx', opclasses=['text_pattern_ops']), models.Index(condition=models.Q(('expires_at__isnull', False)), fields=['expires_at'], name='storeitem_expires_idx'), models.Index(condition=models.Q(('session_id__isnull', False)), fields=['session_id'], name='storeitem_session_idx'), models.Index(condition=models.Q(('owner_id__isnull', False)), fields=['owner_id', '-updated_at'], name='storeitem_owner_idx')],
                'constraints': [models.UniqueConstraint(fields=('prefix', 'key'), name='storeitem_prefix_key_uniq')],
            },
        ),
        migrations.CreateModel(
            name='StoreVector',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('field_name', models.TextField()),
                ('embedding', models.BinaryField()),
                ('item', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='vectors', to='sessions_app.storeitem')),
            ],
            options={
                'verbose_name': 'store vector',
                'constraints': [models.UniqueConstraint(fields=('item', 'field_name'), name='storevector_item_field_uniq')],
            },
        ),
        migrations.RunPython(create_fts, drop_fts),
    ]
