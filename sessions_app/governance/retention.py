"""Retention: archive idle sessions, purge old archived ones, delete expired ones, prune state, tombstones.

One service, two thin interfaces (Django's ``clearsessions`` pattern): the management commands
``archive_inactive`` / ``purge_archived`` / ``apply_retention`` and the Celery task
``sessions_app.tasks.apply_retention`` (daily, see ``chatmemory/celery.py``) all call
``retention_apply`` or one of its steps.

Memory and batching: candidates are walked by primary-key keyset (``WHERE … AND id > last
ORDER BY id LIMIT batch``) fetching ids only; each batch is one transaction that re-checks the
condition under the row lock, writes one audit entry and deletes messages with one ``DELETE …
WHERE session_id IN (batch)`` — nothing is loaded per message, so a million messages never sit
in memory. A run stopped half-way (time limit, crash) leaves whole batches done and the next run
continues; a second run right after a complete one changes nothing (idempotent).
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from ..models import AuditLogEntry, ChatSession, SessionState
from ..observability.metrics import retention_action
from .audit import Actor, audit_record
from .lifecycle import sessions_archive, sessions_delete
from .state import state_prune
from .tombstones import tombstones_delete

Progress = Callable[[int], object]
"""Called with the number of sessions handled after each batch (a tqdm bar's ``update``)."""

STEPS = ("delete_expired", "archive_inactive", "purge_archived", "prune_state")
KEEP_STATE_KEY = "keep_state_versions"


@dataclass
class StepSummary:
    """One retention step: sessions (and their messages …) affected, or that would be with dry_run."""

    step: str
    sessions: int = 0
    messages: int = 0
    state_versions: int = 0
    checkpoints: int = 0
    tombstones: int = 0  # step delete_tombstones: tombstones of deleted sessions removed
    batches: int = 0
    skipped: str = ""  # why the step did not run (policy switched off)


@dataclass
class RetentionSummary:
    """What ``retention_apply`` did; ``seconds`` is wall time."""

    dry_run: bool
    now: str
    steps: list[StepSummary] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        return sum(s.sessions + s.state_versions for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _id_batches(qs: QuerySet[ChatSession], batch_size: int) -> Iterator[list[uuid.UUID]]:
    """Primary keys of ``qs`` in ascending batches (keyset pagination; ids only)."""
    last: uuid.UUID | None = None
    while True:
        page = qs.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _batch_size(batch_size: int | None) -> int:
    return batch_size or settings.CHATMEMORY_RETENTION_BATCH_SIZE


def _step_batches(
    summary: StepSummary, qs: QuerySet[ChatSession], batch_size: int | None, progress: Progress | None,
) -> Iterator[list[uuid.UUID]]:
    """``_id_batches`` for a step's loop: once the loop body has handled a batch, count it in
    ``summary.batches`` and report its sessions to ``progress`` (a batch that raised is not counted)."""
    for ids in _id_batches(qs, _batch_size(batch_size)):
        yield ids
        summary.batches += 1
        if progress:
            progress(len(ids))


def _dry_run_counts(summary: StepSummary, qs: QuerySet[ChatSession], progress: Progress | None) -> StepSummary:
    agg = qs.aggregate(n=Count("pk"), m=Sum("message_count"))
    summary.sessions, summary.messages = agg["n"], agg["m"] or 0
    if progress:
        progress(summary.sessions)
    return summary


def _delete_step(
    step: str, action: str, qs: QuerySet[ChatSession], *, actor: Actor, dry_run: bool, batch_size: int | None,
    progress: Progress | None, details: dict[str, Any],
) -> StepSummary:
    summary = StepSummary(step=step)
    if dry_run:
        return _dry_run_counts(summary, qs, progress)
    for ids in _step_batches(summary, qs, batch_size, progress):
        result = sessions_delete(session_ids=ids, actor=actor, action=action, still=qs, details=details)
        summary.sessions += result.sessions
        summary.messages += result.messages
        summary.state_versions += result.state_versions
        summary.checkpoints += result.checkpoints
    return summary


def retention_candidates(step: str, *, days: int | None = None, now: datetime | None = None) -> QuerySet[ChatSession]:
    """The sessions a step would act on now (for counts and progress bars)."""
    now = now or timezone.now()
    if step == "delete_expired":
        return ChatSession.objects.expired(now)
    if step == "archive_inactive":
        return _inactive(days or settings.CHATMEMORY_ARCHIVE_AFTER_DAYS, now)
    if step == "purge_archived":
        return _archived_before(days or settings.CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS, now)
    if step == "prune_state":
        return ChatSession.objects.filter(metadata__has_key=KEEP_STATE_KEY)
    raise ValueError(f"unknown retention step {step!r}")


def _inactive(days: int, now: datetime) -> QuerySet[ChatSession]:
    return ChatSession.objects.active().inactive_since(now - timedelta(days=days))


def _archived_before(days: int, now: datetime) -> QuerySet[ChatSession]:
    return ChatSession.objects.archived_before(now - timedelta(days=days))


def retention_delete_expired(
    *, actor: Actor, now: datetime | None = None, dry_run: bool = False, batch_size: int | None = None,
    progress: Progress | None = None,
) -> StepSummary:
    """Delete ephemeral sessions whose ``expires_at`` has passed (audit action ``expire``)."""
    now = now or timezone.now()
    return _delete_step(
        "delete_expired", AuditLogEntry.Action.EXPIRE, ChatSession.objects.expired(now), actor=actor, dry_run=dry_run,
        batch_size=batch_size, progress=progress, details={"now": now.isoformat()},
    )


def retention_archive_inactive(
    *, actor: Actor, days: int | None = None, now: datetime | None = None, dry_run: bool = False,
    batch_size: int | None = None, progress: Progress | None = None,
) -> StepSummary:
    """Archive active sessions with no activity for more than ``days`` days.

    ``days`` defaults to ``CHATMEMORY_ARCHIVE_AFTER_DAYS``; 0 there switches the step off (an
    explicit ``days`` must be at least 1). Archived sessions become read-only and keep their data.
    """
    days = settings.CHATMEMORY_ARCHIVE_AFTER_DAYS if days is None else days
    summary = StepSummary(step="archive_inactive")
    if days <= 0:
        summary.skipped = "CHATMEMORY_ARCHIVE_AFTER_DAYS=0"
        return summary
    now = now or timezone.now()
    qs = _inactive(days, now)
    if dry_run:
        return _dry_run_counts(summary, qs, progress)
    for ids in _step_batches(summary, qs, batch_size, progress):
        archived = sessions_archive(
            session_ids=ids, actor=actor, still=qs, now=now, details={"inactive_days": days}
        )
        summary.sessions += len(archived)
        summary.messages += ChatSession.objects.filter(pk__in=archived).aggregate(m=Sum("message_count"))["m"] or 0
    return summary


def retention_purge_archived(
    *, actor: Actor, days: int | None = None, now: datetime | None = None, dry_run: bool = False,
    batch_size: int | None = None, progress: Progress | None = None,
) -> StepSummary:
    """Delete sessions archived more than ``days`` days ago, with everything hanging off them.

    ``days`` defaults to ``CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS``; 0 there switches it off.
    """
    days = settings.CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS if days is None else days
    if days <= 0:
        return StepSummary(step="purge_archived", skipped="CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS=0")
    now = now or timezone.now()
    return _delete_step(
        "purge_archived", AuditLogEntry.Action.PURGE, _archived_before(days, now), actor=actor, dry_run=dry_run,
        batch_size=batch_size, progress=progress, details={"archived_days": days},
    )


def keep_state_versions(metadata: Any) -> int | None:
    """How many state versions a session keeps, from its metadata; ``None`` = keep all.

    ``{"keep_state_versions": true}`` → ``CHATMEMORY_KEEP_STATE_VERSIONS``; a positive integer →
    that many; anything else (false, 0, a string …) → keep all.
    """
    value = metadata.get(KEEP_STATE_KEY) if isinstance(metadata, dict) else None
    if value is True:
        return int(settings.CHATMEMORY_KEEP_STATE_VERSIONS)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return None


def retention_prune_state(
    *, actor: Actor, dry_run: bool = False, batch_size: int | None = None, progress: Progress | None = None,
) -> StepSummary:
    """Keep only the newest K untagged state versions of sessions that ask for it in metadata."""
    summary = StepSummary(step="prune_state")
    qs = ChatSession.objects.filter(metadata__has_key=KEEP_STATE_KEY)
    for ids in _step_batches(summary, qs, batch_size, progress):
        pruned: dict[uuid.UUID, int] = {}
        for pk, metadata in ChatSession.objects.filter(pk__in=ids).values_list("pk", "metadata"):
            keep = keep_state_versions(metadata)
            if keep is None:
                continue
            if dry_run:
                newest = list(
                    SessionState.objects.filter(session_id=pk).order_by("-version").values_list("version", flat=True)[
                        keep - 1 : keep
                    ]
                )
                n = (
                    SessionState.objects.filter(session_id=pk, tag__isnull=True, version__lt=newest[0]).count()
                    if newest else 0
                )
            else:
                n = state_prune(session_id=pk, keep=keep)
            if n:
                pruned[pk] = n
        if pruned and not dry_run:
            audit_record(
                action=AuditLogEntry.Action.PRUNE_STATE, actor=actor, session_ids=list(pruned),
                sessions=len(pruned), details={"state_versions": sum(pruned.values())},
            )
        summary.sessions += len(pruned)
        summary.state_versions += sum(pruned.values())
    return summary


def retention_apply(
    *, actor: Actor, now: datetime | None = None, dry_run: bool = False, batch_size: int | None = None,
    progress_factory: Callable[[str, int], Progress | None] | None = None,
) -> RetentionSummary:
    """Run every retention step in order: delete expired, archive idle, purge archived, prune state,
    delete old tombstones (``governance.tombstones``, ``CHATMEMORY_TOMBSTONE_DAYS``).

    ``progress_factory(step, total)`` may return a per-step progress callback (the commands pass
    one that opens a tqdm bar with the candidate count). Policy from settings:
    ``CHATMEMORY_ARCHIVE_AFTER_DAYS``, ``CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS``,
    ``CHATMEMORY_KEEP_STATE_VERSIONS``, ``CHATMEMORY_RETENTION_BATCH_SIZE``. Sessions archived by
    this run are not purged by it (their ``archived_at`` is now). Returns the summary; with
    ``dry_run`` nothing is written (no audit entries either) and the counts say what would be.
    """
    started = time.monotonic()
    now = now or timezone.now()
    summary = RetentionSummary(dry_run=dry_run, now=now.isoformat())
    common: dict[str, Any] = {"actor": actor, "dry_run": dry_run, "batch_size": batch_size}

    def progress(step: str) -> Progress | None:
        if progress_factory is None:
            return None
        return progress_factory(step, retention_candidates(step, now=now).count())

    summary.steps.append(retention_delete_expired(now=now, progress=progress("delete_expired"), **common))
    summary.steps.append(retention_archive_inactive(now=now, progress=_maybe(progress, "archive_inactive",
                         settings.CHATMEMORY_ARCHIVE_AFTER_DAYS), **common))
    summary.steps.append(retention_purge_archived(now=now, progress=_maybe(progress, "purge_archived",
                         settings.CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS), **common))
    summary.steps.append(retention_prune_state(progress=progress("prune_state"), **common))
    summary.steps.append(StepSummary("delete_tombstones", tombstones=tombstones_delete(now=now, dry_run=dry_run)))
    summary.seconds = round(time.monotonic() - started, 3)
    if not dry_run:
        for step in summary.steps:  # chatmemory_retention_actions_total{action="<step>"}: sessions affected
            retention_action(step.step, step.sessions or step.state_versions or step.tombstones)
    return summary


def _maybe(progress: Callable[[str], Progress | None], step: str, days: int) -> Progress | None:
    return progress(step) if days > 0 else None
