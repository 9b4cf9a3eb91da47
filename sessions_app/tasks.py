"""Celery tasks: thin interfaces over services (ids and flags in, the service inside).

The beat schedule (``CELERY_BEAT_SCHEDULE`` in settings) runs ``sweep_store`` hourly, ``apply_retention`` and
``prune_checkpoints`` daily. Each task declares its own time limits (seconds; there are no global
ones in settings) and late acks (a task lost with its worker runs again: every task here is idempotent).
Beat sends the periodic ones with ``beat=True`` (``chatmemory.settings_scale``): such a run first
takes the task's lease for the schedule period (``governance.schedule``) and skips if another run
holds it, so two beats started by mistake still run each job once per period.
"""
from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction

from .checkpoint.services import checkpoints_prune
from .conversations.titles import session_make_title
from .governance.retention import retention_apply
from .governance.schedule import beat_lease_acquire, beat_lease_seconds

SKIPPED = {"skipped": "another run holds this schedule period (a second beat?)"}


def _may_run(task: Any, beat: bool) -> bool:
    """A beat-sent run goes ahead only with the task's lease; any other run always does."""
    seconds = beat_lease_seconds(task.name) if beat else None
    if seconds is None:
        return True
    return beat_lease_acquire(name=task.name, holder=str(task.request.id or ""), seconds=seconds)

# --- LangGraph checkpoints (retention) -----------------------------------------------------------


@shared_task(name="sessions_app.prune_checkpoints", bind=True, acks_late=True, time_limit=60 * 60,
             soft_time_limit=55 * 60)
def prune_checkpoints(self: Any, keep: int, older_than_days: int | None = None, dry_run: bool = False,
                      beat: bool = False) -> dict[str, Any]:
    """Prune every thread to its latest ``keep`` checkpoints (``checkpoints_prune``).

    Returns the summary as a dict (``threads``, ``checkpoints``, ``writes``, ``blobs``,
    ``skipped_delta_threads``), or ``SKIPPED``. Safe to retry: each thread is pruned in its own transaction.
    """
    if not _may_run(self, beat):
        return SKIPPED

    result = checkpoints_prune(keep=int(keep), older_than_days=older_than_days, dry_run=bool(dry_run))
    return {
        "threads": result.threads,
        "checkpoints": result.checkpoints,
        "writes": result.writes,
        "blobs": result.blobs,
        "skipped_delta_threads": result.skipped_delta_threads,
    }


# --- Retention ------------------------------------------------------------------------------------


@shared_task(
    name="sessions_app.tasks.apply_retention",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=60,  # seconds, doubling
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=50 * 60,  # seconds; batches already committed stay done, the next run continues
    time_limit=55 * 60,
)
def apply_retention(self: Any, dry_run: bool = False, batch_size: int | None = None, beat: bool = False
                    ) -> dict[str, Any]:
    """Apply the retention policy once (``governance.retention.retention_apply``); return the summary.

    Safe to retry and to run twice: every batch is its own transaction and a second run changes
    nothing. Database outages (``OperationalError``/``InterfaceError``) are retried with
    exponential backoff. Audit entries name the actor ``task:apply_retention``. ``SKIPPED`` when a
    beat-sent run finds the period taken.
    """
    if not _may_run(self, beat):
        return SKIPPED
    return retention_apply(actor="task:apply_retention", dry_run=dry_run, batch_size=batch_size).as_dict()


def enqueue_apply_retention(*, dry_run: bool = False) -> None:
    """Queue ``apply_retention`` once the current transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: apply_retention.delay(dry_run=dry_run))


# --- long-term memory (DjangoStore) --------------------------------------------------------------


@shared_task(name="sessions_app.sweep_store", bind=True, acks_late=True, time_limit=30 * 60, soft_time_limit=25 * 60,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=60, max_retries=3)
def sweep_store(self: Any, dry_run: bool = False, beat: bool = False) -> dict[str, Any]:
    """Delete expired store items (``governance.store.retention_sweep_store``); ``{"store_items": n}``.

    Idempotent (each batch its own transaction); audited as ``task:sweep_store``. ``SKIPPED`` as above.
    """
    if not _may_run(self, beat):
        return SKIPPED
    from .governance.store import retention_sweep_store

    return {"store_items": retention_sweep_store(actor="task:sweep_store", dry_run=bool(dry_run))}


@shared_task(name="sessions_app.update_summary", acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=30, max_retries=3)
def update_summary(session_id: str) -> dict[str, Any] | None:
    """Rewrite a conversation's rolling summary (``memory.summary.summary_update``); queued by the
    chat turn when the window moved on (``memory.background``). Idempotent; ``None``: nothing new."""
    from .memory.summary import summary_update

    summary = summary_update(session_id)
    return None if summary is None else {"version": summary["version"], "through_seq": summary["through_seq"]}


# --- Conversations --------------------------------------------------------------------------------


@shared_task(name="sessions_app.tasks.make_session_title", acks_late=True, ignore_result=True,
             soft_time_limit=30, time_limit=45)  # seconds; the model call itself is bounded by CHATMEMORY_TITLE_TIMEOUT
def make_session_title(session_id: str) -> str:
    """Title an untitled conversation from its first exchange (``conversations.titles``); the
    title set, or ``""``. Idempotent: a titled conversation is left as it is."""
    return session_make_title(session_id=uuid.UUID(session_id))
