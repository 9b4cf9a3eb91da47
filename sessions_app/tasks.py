"""Celery tasks: a thin interface over services (ids and ints in, the service inside).

Grouped by area; each group keeps its own tasks together.
"""
from __future__ import annotations

from typing import Any

from celery import shared_task

# --- LangGraph checkpoints (retention) -----------------------------------------------------------


@shared_task(name="sessions_app.prune_checkpoints", acks_late=True, time_limit=3600, soft_time_limit=3300)
def prune_checkpoints(keep: int, older_than_days: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Prune every thread to its latest ``keep`` checkpoints (``services.checkpoints_prune``).

    Returns the summary as a dict (``threads``, ``checkpoints``, ``writes``, ``blobs``,
    ``skipped_delta_threads``). Safe to retry: each thread is pruned in its own transaction.
    """
    from . import services

    result = services.checkpoints_prune(keep=int(keep), older_than_days=older_than_days, dry_run=bool(dry_run))
    return {
        "threads": result.threads,
        "checkpoints": result.checkpoints,
        "writes": result.writes,
        "blobs": result.blobs,
        "skipped_delta_threads": result.skipped_delta_threads,
    }
