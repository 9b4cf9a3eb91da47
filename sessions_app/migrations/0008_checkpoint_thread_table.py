"""``CheckpointThread`` becomes a table maintained by the saver (it was a GROUP BY view over every
checkpoint: a full aggregate on each admin changelist page). The view is dropped, the table
created and filled from the checkpoints; reversing drops the table and re-creates the view."""

import importlib

from django.db import migrations, models

threads_view = importlib.import_module("sessions_app.migrations.0005_checkpoint_threads")

BACKFILL = """
INSERT INTO sessions_app_checkpointthread (thread_id, checkpoint_ns, checkpoints, latest_checkpoint_id,
                                           latest_step, created_at, updated_at)
SELECT g.thread_id, g.checkpoint_ns, g.n, g.latest,
       (SELECT {step} FROM sessions_app_checkpoint l
         WHERE l.thread_id = g.thread_id AND l.checkpoint_ns = g.checkpoint_ns AND l.checkpoint_id = g.latest),
       g.created, g.updated
  FROM (SELECT thread_id, checkpoint_ns, count(*) AS n, max(checkpoint_id) AS latest,
               min(created_at) AS created, max(created_at) AS updated
          FROM sessions_app_checkpoint GROUP BY thread_id, checkpoint_ns) g
"""


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    step = threads_view.STEP.get(vendor, threads_view.STEP["sqlite"])
    schema_editor.execute(BACKFILL.format(step=step))


class Migration(migrations.Migration):

    dependencies = [
        ('sessions_app', '0007_drop_redundant_fk_indexes'),
    ]

    operations = [
        migrations.RunPython(threads_view.drop_view, threads_view.create_view),
        migrations.DeleteModel(name='CheckpointThread'),
        migrations.CreateModel(
            name='CheckpointThread',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('thread_id', models.CharField(max_length=255)),
                ('checkpoint_ns', models.CharField(blank=True, default='', max_length=255)),
                ('checkpoints', models.IntegerField()),
                ('latest_checkpoint_id', models.CharField(max_length=64)),
                ('latest_step', models.IntegerField(null=True)),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'LangGraph thread',
                'db_table': 'sessions_app_checkpointthread',
                'ordering': ['-updated_at'],
                'indexes': [models.Index(fields=['-updated_at'], name='checkpointthread_updated_idx')],
                'constraints': [models.UniqueConstraint(fields=('thread_id', 'checkpoint_ns'),
                                                        name='checkpointthread_key_uniq')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
