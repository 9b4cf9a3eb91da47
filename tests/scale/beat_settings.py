"""Settings for the two-beats test's child processes: chatmemory's, with a 3-second retention beat."""
from chatmemory.settings import *  # noqa: F403

BEAT_PERIOD = 3.0  # seconds
CELERY_BEAT_SCHEDULE = {
    "retention-fast": {"task": "sessions_app.tasks.apply_retention", "schedule": BEAT_PERIOD,
                       "kwargs": {"dry_run": True, "beat": True}},
}
