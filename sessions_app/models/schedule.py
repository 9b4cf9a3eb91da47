"""``BeatLease``: which run of a periodic task owns the current schedule period.

Celery beat must run once; two beats started by mistake (two hosts, a rolling deploy) would send
every periodic task twice. Each beat-sent run first takes the task's lease
(``governance.schedule.beat_lease_acquire``): one row per task name, ``holder`` the Celery task
id that took it, ``until`` the end of the period. A second run inside the period finds the row
held and skips; a *retry* of the holder (same task id: ``autoretry_for``, a late ack redelivered
after a worker died) goes ahead, since every task here is idempotent. The lease lives in the
database, the source of truth, so it survives a Redis failover.
"""
from __future__ import annotations

from django.db import models


class BeatLease(models.Model):
    name = models.CharField(primary_key=True, max_length=200, help_text="The Celery task name.")
    holder = models.CharField(max_length=255, blank=True, help_text="The task id that holds the period.")
    until = models.DateTimeField(help_text="End of the period the holder owns.")
    runs = models.PositiveBigIntegerField(default=0, help_text="Times taken (a retry of the holder counts again).")

    class Meta:
        verbose_name = "beat lease"

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or '-'} until {self.until:%Y-%m-%d %H:%M:%S}"
