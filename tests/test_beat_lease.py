"""``governance.schedule``: a periodic job's lease — one run per period, retries of that run allowed."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.schedules import crontab

from sessions_app.governance.schedule import beat_lease_acquire, beat_lease_seconds, schedule_period
from sessions_app.models import BeatLease

pytestmark = pytest.mark.django_db


def test_one_holder_per_period_and_the_holder_may_retry():
    assert beat_lease_acquire(name="job", holder="run-1", seconds=60)
    assert beat_lease_acquire(name="job", holder="run-1", seconds=60)  # a retry of the same run
    assert not beat_lease_acquire(name="job", holder="run-2", seconds=60)  # the second beat's run
    assert BeatLease.objects.get(name="job").holder == "run-1"


def test_the_next_period_is_taken_by_the_next_run():
    assert beat_lease_acquire(name="job", holder="run-1", seconds=0.2)
    time.sleep(0.3)
    assert beat_lease_acquire(name="job", holder="run-2", seconds=60)
    assert BeatLease.objects.get(name="job").runs == 2


def test_periods_of_the_schedule_kinds():
    assert schedule_period(3600) == 3600
    assert schedule_period(timedelta(minutes=5)) == 300
    assert abs(schedule_period(crontab(hour=3, minute=17)) - 86400) <= 2


def test_beat_sent_runs_lease_most_of_their_period(settings):
    assert beat_lease_seconds("sessions_app.sweep_store") == pytest.approx(0.9 * 3600)
    assert beat_lease_seconds("not.scheduled") is None
    assert all(entry["kwargs"]["beat"] is True for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_a_run_not_sent_by_beat_is_never_held_back():
    from sessions_app import tasks

    BeatLease.objects.create(name="sessions_app.sweep_store", holder="someone", until=BeatLease._meta.get_field(
        "until").to_python("2999-01-01T00:00:00Z"))
    assert tasks.sweep_store.apply(kwargs={"dry_run": True}).get() == {"store_items": 0}
    assert tasks.sweep_store.apply(kwargs={"dry_run": True, "beat": True}).get() == tasks.SKIPPED
