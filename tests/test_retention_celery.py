"""The retention task through a REAL Celery worker (``start_worker``), plus its schedule and enqueue.

Broker: Redis db 9 when ``REDIS_URL`` is set (override with ``CHATMEMORY_TEST_BROKER_URL``),
else kombu's in-process ``memory://`` transport — a real worker consuming a real queue either
way, not the eager mode the embedded default uses for requests.
"""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import transaction
from django.utils import timezone

from chatmemory.celery import app as project_app
from sessions_app import tasks
from sessions_app.models import AuditLogEntry, ChatSession

from .celery_fixtures import ran_in as _ran_in
from .celery_fixtures import wait_for as _wait_for
from .factories import UserFactory
from .lifecycle_fixtures import make_session


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_apply_retention_runs_in_a_real_worker_and_is_idempotent(worker_app, settings):
    settings.CHATMEMORY_ARCHIVE_AFTER_DAYS = 30
    settings.CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS = 90
    owner = UserFactory(username="celery-owner")
    idle = make_session(owner, turns=1)
    old = make_session(owner, turns=2)
    now = timezone.now()
    ChatSession.objects.filter(pk=idle.pk).update(last_active_at=now - dt.timedelta(days=45))
    ChatSession.objects.filter(pk=old.pk).update(status="archived", archived_at=now - dt.timedelta(days=120))

    # Enqueued from inside a transaction: sent only once it commits (transaction.on_commit).
    with transaction.atomic():
        tasks.enqueue_apply_retention()
        assert not AuditLogEntry.objects.exists()
    assert _wait_for(lambda: AuditLogEntry.objects.filter(action="purge").exists())
    assert _wait_for(lambda: ChatSession.objects.filter(pk=idle.pk, status="archived").exists())
    assert not ChatSession.objects.filter(pk=old.pk).exists()
    assert set(AuditLogEntry.objects.values_list("actor", flat=True)) == {"task:apply_retention"}

    # Again, by name, as beat sends it: the summary comes back through the result backend.
    result = worker_app.send_task("sessions_app.tasks.apply_retention")
    summary = result.get(timeout=30)
    assert summary["dry_run"] is False
    assert [s["sessions"] for s in summary["steps"]] == [0, 0, 0, 0, 0]  # the last: delete_tombstones
    assert AuditLogEntry.objects.count() == 2
    assert len(_ran_in) == 2 and threading.main_thread().name not in _ran_in  # the worker's thread


def test_beat_schedule_runs_apply_retention_daily_in_code():
    entry = project_app.conf.beat_schedule["apply-retention-daily"]
    assert entry["task"] == "sessions_app.tasks.apply_retention" == tasks.apply_retention.name
    schedule = entry["schedule"]
    assert schedule.hour == {3} and schedule.minute == {17} and schedule.day_of_week == set(range(7))
    assert entry["options"]["expires"] == 12 * 60 * 60


def test_task_declares_limits_and_retries():
    task = tasks.apply_retention
    assert task.soft_time_limit < task.time_limit
    assert task.max_retries == 5 and task.acks_late
    from django.db import OperationalError

    assert OperationalError in task.autoretry_for


@pytest.mark.django_db
def test_task_runs_the_service_when_called_eagerly(owner, settings, django_capture_on_commit_callbacks):
    settings.CHATMEMORY_ARCHIVE_AFTER_DAYS = 1
    session = make_session(owner, turns=1)
    ChatSession.objects.filter(pk=session.pk).update(last_active_at=timezone.now() - dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.enqueue_apply_retention(dry_run=True)
    assert len(callbacks) == 1
    summary = tasks.apply_retention.apply(kwargs={"dry_run": True}).get()
    assert summary["steps"][1]["sessions"] == 1 and not AuditLogEntry.objects.exists()
