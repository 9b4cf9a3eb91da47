"""Two Celery beats by mistake, two workers: each periodic job still runs once per schedule period.

Real processes: two ``celery beat`` (each its own schedule file) and two ``celery worker`` on a
Redis broker of their own (a throwaway ``redis-server`` on a free loopback port), sharing the test
database, with a 3-second retention schedule (``tests/scale/beat_settings.py``). Both beats send
every run; the workers' logs say which runs went ahead and which found the period taken
(``models.BeatLease``).
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from django.db import connection

from sessions_app.models import BeatLease

from ..live_server_utils import ROOT, child_env, children_database_url, stop_process
from ..redis_process import RedisProcess
from .beat_settings import BEAT_PERIOD
from .servers import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RUN_FOR = 12.0  # seconds of two beats
LINE = re.compile(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}).*Task sessions_app\.tasks\.apply_retention\[[^\]]+\] "
                  r"succeeded in [\d.]+s: (.*)$")


@pytest.fixture
def broker_url():
    """A broker nobody else uses: stray messages of other runs can't be counted as this run's."""
    server = RedisProcess()
    server.start()
    try:
        yield server.url
    finally:
        server.close()


def test_two_beats_run_each_job_once_per_period(tmp_path: Path, broker_url: str):
    broker = broker_url
    env = child_env(DJANGO_SETTINGS_MODULE="tests.scale.beat_settings", DATABASE_URL=children_database_url(),
                    CELERY_BROKER_URL=broker, PYTHONUNBUFFERED="1")
    celery = [sys.executable, "-m", "celery", "-A", "chatmemory"]
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(name: str, *args: str) -> None:
        log = tmp_path / f"{name}.log"
        handle = log.open("wb")
        procs.append((subprocess.Popen([*celery, *args], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT),
                      log))

    try:
        for n in (1, 2):
            start(f"worker{n}", "worker", "-l", "info", "--pool", "solo", "-n", f"scale{n}@%h", "--without-mingle",
                  "--without-gossip", "--without-heartbeat")
        time.sleep(3)  # workers connected before anything is sent
        for n in (1, 2):
            start(f"beat{n}", "beat", "-l", "info", "--max-interval", "1", "-s", str(tmp_path / f"schedule{n}"))
        wait_until(lambda: all("beat: Starting" in log.read_text(errors="replace") for _, log in procs[2:]),
                   timeout=60, what="both beats started")
        time.sleep(RUN_FOR)
        for proc, _ in procs[2:]:
            stop_process(proc)  # the beats stop sending
        time.sleep(3)  # the workers finish what was sent
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                stop_process(proc)
    ran: list[datetime] = []
    skipped = 0
    for _, log in procs[:2]:
        for line in log.read_text(errors="replace").splitlines():
            match = LINE.search(line)
            if match:
                if "a second beat?" in match.group(2):
                    skipped += 1
                else:
                    ran.append(datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f"))  # noqa: DTZ007 - log time
    ran.sort()
    if not ran:
        pytest.fail("no run logged:\n" + "\n".join(log.read_text(errors="replace")[-1500:] for _, log in procs))
    periods = RUN_FOR / BEAT_PERIOD
    assert 2 <= len(ran) <= periods + 2, (len(ran), skipped)  # once per period, not twice
    assert skipped >= len(ran) - 2, (len(ran), skipped)  # the other beat's runs found the period taken (±1 at each end)
    gaps = [(b - a).total_seconds() for a, b in zip(ran, ran[1:], strict=False)]
    assert all(gap >= 0.9 * BEAT_PERIOD - 0.3 for gap in gaps), gaps
    lease = BeatLease.objects.get(name="sessions_app.tasks.apply_retention")
    assert lease.runs >= len(ran)
    print(f"\nTWO BEATS ran={len(ran)} skipped={skipped} gaps={[round(g, 2) for g in gaps]}")
    connection.close()
