"""Periodic tasks run once per schedule period, even with two Celery beats (``models.BeatLease``)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery.schedules import maybe_schedule
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from ..models import BeatLease

PERIOD_SHARE = 0.9  # the lease covers this share of the period: a beat a little late is not skipped


def schedule_period(schedule: Any) -> float:
    """Seconds between two runs of a beat ``schedule`` (a number of seconds, a timedelta, a crontab)."""
    if isinstance(schedule, int | float):
        return float(schedule)
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    sched: Any = maybe_schedule(schedule)  # a crontab / solar schedule here
    now = sched.now()
    first = sched.remaining_estimate(now)  # from a run now to the next one
    return (sched.remaining_estimate(now + first + timedelta(seconds=1)) - first).total_seconds() + 1


def beat_lease_seconds(task_name: str) -> float | None:
    """How long a beat-sent run of ``task_name`` holds its lease: ``PERIOD_SHARE`` of the shortest
    period it has in ``CELERY_BEAT_SCHEDULE``; None if beat does not schedule it."""
    periods = [schedule_period(entry["schedule"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()
               if entry.get("task") == task_name]
    return PERIOD_SHARE * min(periods) if periods else None


def beat_lease_acquire(*, name: str, holder: str, seconds: float) -> bool:
    """Take the lease ``name`` for ``seconds`` for ``holder`` (a task id); True if this run may go.

    One conditional UPDATE (after making sure the row exists): it succeeds if the lease expired or
    ``holder`` already has it (a retry of the same run). Two beats racing: PostgreSQL re-checks the
    condition after the first UPDATE commits (READ COMMITTED), SQLite serializes writers; either
    way exactly one of them gets the row.
    """
    now = timezone.now()
    BeatLease.objects.get_or_create(name=name, defaults={"until": now - timedelta(seconds=1)})
    return bool(
        BeatLease.objects.filter(Q(until__lte=now) | Q(holder=holder), name=name).update(
            holder=holder, until=now + timedelta(seconds=seconds), runs=F("runs") + 1)
    )
